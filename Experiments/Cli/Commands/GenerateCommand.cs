using System.CommandLine;
using SteerMoE.Research.Generation;
using SteerMoE.Research.Inference;

namespace SteerMoE.Research.Cli.Commands;

/// <summary>`steermoe generate`: generation from one prompt or a prompts file, unsteered or steered by a plan.</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "a Hugging Face model folder (config.json, *.safetensors, tokenizer.json, chat template)", Required = true };
        var plan = new Option<string?>("--plan", "--steering") { Description = "PLAN.json: steer generation with it (checked against the model first)" };
        var prompt = new Option<string?>("--prompt") { Description = "one user message" };
        var prompts = new Option<string?>("--prompts") { Description = "a JSONL file: one {\"prompt\": ...} or {\"messages\": [...]} a line; all run as one batch" };
        var maxNew = new Option<int>("--max-new-tokens") { Description = "new tokens per prompt at most", DefaultValueFactory = _ => 32 };
        var temperature = new Option<double>("--temperature") { Description = "0: greedy; > 0: seeded sampling", DefaultValueFactory = _ => 0.0 };
        var topP = new Option<double>("--top-p") { Description = "nucleus mass when sampling", DefaultValueFactory = _ => 1.0 };
        var seed = new Option<int>("--seed") { Description = "sampling seed", DefaultValueFactory = _ => 0 };
        var precision = new Option<string>("--precision") { Description = "exact | fast", DefaultValueFactory = _ => "exact" };
        var variables = new Option<string[]>("--var") { Description = "NAME=VALUE: a chat-template variable (a JSON value is passed as that value, other text as a string)", AllowMultipleArgumentsPerToken = false };
        var arithmetic = TraceCommand.ExpertArithmeticOption();
        var device = GpuCheckCommand.DeviceOption();
        var command = new Command("generate", "Generate from prompts with the chat template applied, greedy or seeded sampling, batched, optionally steered by a plan.")
            { model, plan, prompt, prompts, maxNew, temperature, topP, seed, precision, arithmetic, variables, device };
        command.SetAction(result =>
        {
            var engine = GpuCheckCommand.ParseEngine(result.GetValue(device)!, "generate");   // no GPU: exit 2 before any work
            var context = new SteerMoEContext(result.GetValue(seed));
            string? one = result.GetValue(prompt), file = result.GetValue(prompts);
            if ((one is null) == (file is null)) throw new ArgumentException("generate: give exactly one of --prompt TEXT or --prompts FILE.jsonl.");
            string? planPath = result.GetValue(plan);
            var steering = planPath is null ? null : context.Steering.LoadPlan(planPath);
            var list = one is not null ? [GenerationPrompt.User(one)] : context.Steering.ReadPrompts(file!);
            var settings = new GenerationSettings
            {
                MaxNewTokens = result.GetValue(maxNew), Temperature = result.GetValue(temperature), TopP = result.GetValue(topP), Seed = result.GetValue(seed),
                Precision = PrecisionNames.Parse(result.GetValue(precision)!), TemplateVariables = Catalogs.DetectionCatalog.ParseTemplateVariables(result.GetValue(variables) ?? []),
            };
            using var generator = context.Steering.LoadGenerator(CommandRunner.Required(result, model), steering, planPath ?? "plan", engine,
                TraceCommand.LoadOptions(result, arithmetic));
            // A prompts file is generated in batches (one KV cache each), printing each batch's outputs as it finishes and a
            // progress line on stderr; sampling is as in one call (PromptIndexOffset).
            const int Batch = 16;
            return ProgressReporter.Run("generate", "prompts", progress =>
            {
                for (int start = 0; start < list.Count; start += Batch)
                {
                    var chunk = list.Skip(start).Take(Batch).ToArray();
                    foreach (var output in context.Steering.Generate(generator, chunk, steering, settings with { PromptIndexOffset = start }, planPath ?? "plan"))
                    {
                        if (list.Count > 1) Console.WriteLine($"[{output.Prompt.Id}]");
                        Console.WriteLine(output.OutputText);
                    }
                    if (list.Count > Batch) progress.Report(start + chunk.Length, list.Count);
                }
                return 0;
            }, everySeconds: 0, bar: Console.IsOutputRedirected);   // a live bar would tear the outputs printed to the terminal
        });
        return command;
    }
}
