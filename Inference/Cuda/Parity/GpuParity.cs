using SteerMoE.Research.Inference.Cuda.Model;
using SteerMoE.Research.Inference.Models;
using SteerMoE.Research.Inference.Routing;

namespace SteerMoE.Research.Inference.Cuda.Parity;

/// <summary>One check of one fixture: a name, the measured value, the bound, and whether it held.</summary>
public sealed record ParityCheck(string Fixture, string Name, double Value, double Bound, bool Passed, string Detail = "");

/// <summary>
/// The GPU against the CPU engine on a model folder (the seven tests/fixtures/hf-parity models): `gpu-check`.
/// <list type="bullet">
/// <item>exact: max |logit GPU exact − CPU exact| ≤ 1e-4 over a batch of two sequences (17 and 9 tokens), plain and steered.</item>
/// <item>fast: max |GPU fast − CPU exact| ≤ 2 · max |CPU fast − CPU exact| + 1e-3. Both fast modes round the same GEMM
/// inputs to bf16 and accumulate in fp32, so the GPU's fast mode may drift from exact about as far as the CPU's own
/// (measured in the same run); the factor 2 leaves room for the different fp32 summation order changing which way
/// a bf16 rounding goes downstream, the 1e-3 for models whose CPU deviation is tiny.</item>
/// <item>routing: the top-k sets of every (layer, token) equal in exact mode, except near-ties: a token whose k-th and
/// (k+1)-th CPU router logits lie within 1e-3 may swap them.</item>
/// <item>greedy: 10 new tokens from a 6-token prompt, plain and steered, equal on both (exact, KV-cached decode).</item>
/// </list>
/// </summary>
public static class GpuParity
{
    /// <summary>The exact-mode logit bound.</summary>
    public const double ExactTolerance = 1e-4;
    /// <summary>Router logits closer than this count as a near-tie.</summary>
    public const double NearTie = 1e-3;

    /// <summary>Runs every check on one model folder (a steering.json beside it adds the steered checks).</summary>
    public static IReadOnlyList<ParityCheck> Run(string directory, Action<string>? progress = null)
    {
        string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(directory));
        var checks = new List<ParityCheck>();
        using var cpu = MoeModel.Load(directory);
        using var gpu = CudaModel.Load(cpu);
        progress?.Invoke($"{name}: loaded ({cpu.Config.Architecture}, {cpu.Config.LayerCount} layers) on {gpu.Description}");
        var random = new Random(1);
        int vocab = cpu.Config.VocabSize;
        int[] Ids(int count) => Enumerable.Range(0, count).Select(_ => random.Next(Math.Min(3, vocab - 1), vocab)).ToArray();
        var batch = new[] { Ids(17), Ids(9) };
        var prompt = Ids(6);
        string steeringPath = Path.Combine(directory, "steering.json");
        var steering = File.Exists(steeringPath)
            ? SteeringRewrite.Load(steeringPath, (cpu.Config.LayerCount, cpu.Config.ExpertCount, cpu.Config.TopK)) : null;

        foreach (var (label, rewrite) in new (string, IRouterRewrite?)[] { ("plain", null), ("steered", steering) })
        {
            if (label == "steered" && rewrite is null) continue;
            var cpuRouting = new RoutingRecorder(); var gpuRouting = new RoutingRecorder();
            var cpuExact = cpu.Forward(batch, new ForwardOptions { ReturnLogits = true, Rewrite = rewrite, Observer = cpuRouting }).Logits!;
            var gpuExact = gpu.Forward(batch, new ForwardOptions { ReturnLogits = true, Rewrite = rewrite, Observer = gpuRouting }).Logits!;
            double exact = MaxAbs(cpuExact, gpuExact);
            checks.Add(new ParityCheck(name, $"{label} exact max|logit err|", exact, ExactTolerance, exact <= ExactTolerance));
            var (mismatches, ties, pairs) = CompareRouting(cpuRouting, gpuRouting);
            checks.Add(new ParityCheck(name, $"{label} exact top-k mismatches", mismatches, 0, mismatches == 0, $"{pairs} (layer, token) sets, {ties} near-tie swaps allowed"));

            var cpuFast = cpu.Forward(batch, new ForwardOptions { ReturnLogits = true, Rewrite = rewrite, Precision = Precision.Fast }).Logits!;
            var gpuFast = gpu.Forward(batch, new ForwardOptions { ReturnLogits = true, Rewrite = rewrite, Precision = Precision.Fast }).Logits!;
            double cpuDeviation = MaxAbs(cpuFast, cpuExact), gpuDeviation = MaxAbs(gpuFast, cpuExact);
            double bound = 2 * cpuDeviation + 1e-3;
            checks.Add(new ParityCheck(name, $"{label} fast max|GPU fast - CPU exact|", gpuDeviation, bound, gpuDeviation <= bound,
                $"CPU fast deviates by {cpuDeviation:G3}; GPU fast vs CPU fast {MaxAbs(gpuFast, cpuFast):G3}"));

            var generation = new GenerationOptions { MaxNewTokens = 10, Rewrite = rewrite };
            var cpuText = cpu.Generate(prompt, generation);
            var gpuText = gpu.Generate(prompt, generation);
            int differing = cpuText.Length == gpuText.Length ? cpuText.Zip(gpuText).Count(p => p.First != p.Second) : Math.Max(cpuText.Length, gpuText.Length);
            checks.Add(new ParityCheck(name, $"{label} greedy tokens differing", differing, 0, differing == 0,
                $"CPU [{string.Join(" ", cpuText.Skip(prompt.Length))}] GPU [{string.Join(" ", gpuText.Skip(prompt.Length))}]"));
            progress?.Invoke($"{name}: {label} done");
        }
        return checks;
    }

    /// <summary>max |a − b| over two equal-length arrays (NaN when a value is NaN on one side only).</summary>
    public static double MaxAbs(float[] a, float[] b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"MaxAbs: lengths differ ({a.Length} vs {b.Length}).");
        double max = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double d = Math.Abs((double)a[i] - b[i]);
            if (double.IsNaN(d)) return double.NaN;
            max = Math.Max(max, d);
        }
        return max;
    }

    private static (int Mismatches, int NearTies, int Sets) CompareRouting(RoutingRecorder cpu, RoutingRecorder gpu)
    {
        int mismatches = 0, ties = 0, sets = 0;
        if (cpu.Layers.Count != gpu.Layers.Count) return (int.MaxValue, 0, 0);
        for (int l = 0; l < cpu.Layers.Count; l++)
        {
            var (c, g) = (cpu.Layers[l], gpu.Layers[l]);
            if (c.Layer != g.Layer || c.Index.Length != g.Index.Length) { mismatches++; continue; }
            int k = c.K, e = c.Experts;
            for (int t = 0; t < c.Index.Length / k; t++)
            {
                sets++;
                var a = c.Index.AsSpan(t * k, k).ToArray().Order(); var b = g.Index.AsSpan(t * k, k).ToArray().Order();
                if (a.SequenceEqual(b)) continue;
                // near-tie: the k-th and (k+1)-th largest CPU router logits of the token are within NearTie
                var sorted = c.Logits.AsSpan(t * e, e).ToArray().OrderDescending().ToArray();
                if (k < e && sorted[k - 1] - sorted[k] <= NearTie) ties++;
                else mismatches++;
            }
        }
        return (mismatches, ties, sets);
    }

    /// <summary>Keeps a copy of every layer's routing.</summary>
    private sealed class RoutingRecorder : IRoutingObserver
    {
        public List<(int Layer, int Experts, int K, float[] Logits, int[] Index)> Layers { get; } = new();
        public void OnRouting(in RoutingBatch batch) =>
            Layers.Add((batch.Layer, batch.ExpertCount, batch.TopK, batch.RouterLogits.ToArray(), batch.TopKIndex.ToArray()));
    }
}
