using System.CommandLine;
using SteerMoE.Research.Inference;
using SteerMoE.Research.Inference.Layers;

namespace SteerMoE.Research.Cli.Commands;

/// <summary>`steermoe trace`: logits, raw router logits and top-k of every MoE layer for an inputs file (docs/CONTRACTS.md §5.1).</summary>
internal static class TraceCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "a Hugging Face model folder", Required = true };
        var inputs = new Option<string>("--inputs") { Description = "a safetensors file with input_ids [B, T]", Required = true };
        var plan = new Option<string?>("--plan", "--steering") { Description = "a steering plan (PLAN.json or a bare steering.json mapping)" };
        var generate = new Option<int>("--generate") { Description = "also generate N tokens greedily from row 0 (written as 'gen')" };
        var prompt = new Option<int>("--prompt-tokens") { Description = "the first P ids of row 0 are the generation's prompt" };
        var output = new Option<string>("--out") { Description = "output safetensors file", Required = true };
        var precision = new Option<string>("--precision") { Description = "exact|fast", DefaultValueFactory = _ => "exact" };
        var arithmetic = ExpertArithmeticOption();
        var threads = new Option<int?>("--threads") { Description = "worker threads (default: all cores); results do not depend on it" };
        var device = GpuCheckCommand.DeviceOption();
        var command = new Command("trace", "Run one forward pass over input_ids and write logits, router logits and top-k per MoE layer.")
            { model, inputs, plan, generate, prompt, output, precision, arithmetic, threads, device };
        command.SetAction(result =>
        {
            if (result.GetValue(threads) is { } n) Inference.Kernels.Parallelism.Threads = n;
            string outPath = CommandRunner.Required(result, output);
            var load = LoadOptions(result, arithmetic);
            if (GpuCheckCommand.IsCuda(result.GetValue(device)!))
                return GpuCheckCommand.Trace(CommandRunner.Required(result, model), new Inference.Models.TraceRequest
                {
                    InputsPath = CommandRunner.Required(result, inputs), OutputPath = outPath, Generate = result.GetValue(generate),
                    PromptTokens = result.GetValue(prompt), Precision = PrecisionNames.Parse(result.GetValue(precision)!),
                }, result.GetValue(plan), load);
            new SteerMoEContext().Models.Trace(CommandRunner.Required(result, model), CommandRunner.Required(result, inputs), outPath,
                result.GetValue(plan), result.GetValue(generate), result.GetValue(prompt), PrecisionNames.Parse(result.GetValue(precision)!), load);
            Console.WriteLine($"wrote {outPath}");
            return 0;
        });
        return command;
    }

    /// <summary>`--expert-arithmetic fp32|bf16` (shared by trace, generate and detect).</summary>
    internal static Option<string> ExpertArithmeticOption() => new("--expert-arithmetic")
    {
        Description = "fp32 | bf16: gpt-oss experts in fp32, or in transformers' bf16 sequence for dequantised MXFP4 experts (CPU engine)",
        DefaultValueFactory = _ => "fp32",
    };

    /// <summary>The load options the parsed `--expert-arithmetic` asks for.</summary>
    internal static Inference.Models.LoadOptions LoadOptions(ParseResult result, Option<string> arithmetic) =>
        new() { ExpertArithmetic = ExpertArithmeticNames.Parse(result.GetValue(arithmetic)!) };
}
