using System.CommandLine;

namespace SteerMoE.Research.Cli.Commands;

/// <summary>`steermoe inspect --model DIR`: architecture, layers, experts, top-k, parameters, dtypes and memory.</summary>
internal static class InspectCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "a Hugging Face model folder (config.json, *.safetensors)", Required = true };
        var command = new Command("inspect", "Print a model's architecture, shape, parameter count, stored dtypes and memory.") { model };
        command.SetAction(result =>
        {
            var s = new SteerMoEContext().Models.Inspect(CommandRunner.Required(result, model));
            var c = s.Config;
            Console.WriteLine($"architecture   {c.Architecture}");
            Console.WriteLine($"layers         {c.LayerCount} ({(c.ExpertCount == 1 && c.TopK == 1 ? "dense: the MLP as one expert, top-1"
                : c.DenseLayers.Length == 0 ? "an MoE block in each" : $"dense layers {string.Join(", ", c.DenseLayers)}, MoE layers the other {c.MoeLayers.Length}")})");
            Console.WriteLine($"experts        {c.ExpertCount} per layer, top-k {c.TopK}{(c.SharedExpertIntermediateSize > 0 ? $", shared expert ({c.SharedExpertIntermediateSize})" : "")}, expert intermediate {c.ExpertIntermediateSize}");
            Console.WriteLine(c.LatentAttention is { } m
                ? $"hidden         {c.HiddenSize}, heads {c.HeadCount}, latent attention (q_lora {(m.QLoraRank?.ToString() ?? "none")}, kv_lora {m.KvLoraRank}, nope {m.NopeHeadDim} + rope {m.RopeHeadDim}, v {m.ValueHeadDim}), vocab {c.VocabSize}"
                : $"hidden         {c.HiddenSize}, heads {c.HeadCount} (kv {c.KeyValueHeadCount}) x {c.HeadDim}, vocab {c.VocabSize}");
            Console.WriteLine($"rope           {c.Rope.Type}, theta {c.Rope.Theta}{(c.SlidingWindows.Any(w => w > 0) ? $", sliding window {c.SlidingWindows.Max()} on {c.SlidingWindows.Count(w => w > 0)} layers" : "")}");
            Console.WriteLine($"parameters     {s.Parameters:N0}");
            Console.WriteLine($"dtypes         {string.Join(", ", s.BytesByDType.Select(kv => $"{kv.Key} {Gib(kv.Value)}"))}{(c.QuantizationMethod is null ? "" : $" (quantization: {c.QuantizationMethod})")}");
            Console.WriteLine($"memory         {Gib(s.CheckpointBytes)} mapped from {s.Files} file(s), {Gib(s.DerivedBytes)} derived, KV cache {s.KvBytesPerToken / 1024.0:F1} KiB per token (fp32)");
            return 0;
        });
        return command;
    }

    private static string Gib(long bytes) => bytes >= 1L << 30 ? $"{bytes / (double)(1L << 30):F2} GiB" : $"{bytes / (double)(1L << 20):F2} MiB";
}
