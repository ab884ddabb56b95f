using SteerMoE.Research.Inference.Kernels;
using SteerMoE.Research.Inference.Models;
using SteerMoE.Research.Inference.Routing;
using SteerMoE.Research.Tests;
using Xunit.Abstractions;

namespace SteerMoE.Research.Inference.Tests.Parity;

/// <summary>
/// Parity with Hugging Face transformers on the fixtures of tests/fixtures/hf-parity (see the fixtures
/// README): logits within 1e-4, raw router logits, top-k sets (skipping documented near-ties), the steered
/// pass and the greedy generations — in exact mode with 1 and with 2 threads.
/// </summary>
[Collection("Parallelism")]
public class HfParityTests(ITestOutputHelper output)
{
    private const float LogitTolerance = 1e-4f;
    private const float RouterTolerance = 1e-4f;
    private const float NearTie = 1e-3f;

    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (var arch in new[] { "olmoe", "mixtral", "qwen2_moe", "qwen3_moe", "phimoe", "gpt_oss" })
            foreach (int threads in new[] { 1, 2 }) data.Add(arch, threads);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ForwardMatchesTransformers(string arch, int threads)
    {
        string dir = RepoPaths.Fixture(arch);
        using var reference = new Reference(Path.Combine(dir, "reference.safetensors"));
        using var model = MoeModel.Load(dir);
        var batch = reference.Batch();
        int saved = Parallelism.Threads;
        Parallelism.Threads = threads;
        try
        {
            var steering = new SteeringRewrite(SteeringMask.Load(Path.Combine(dir, "steering.json")));
            foreach (var (prefix, rewrite) in new (string, IRouterRewrite?)[] { ("", null), ("steered.", steering) })
            {
                var capture = new RoutingCapture();
                var result = model.Forward(batch, new ForwardOptions { ReturnLogits = true, Rewrite = rewrite, Observer = capture });
                float err = MaxAbs(reference.Floats(prefix + "logits"), result.Logits!);
                output.WriteLine($"{arch} {prefix}logits max abs error {err:E3} (threads {threads})");
                Assert.True(err <= LogitTolerance, $"{arch} {prefix}logits: max abs error {err} > {LogitTolerance}");
                int skipped = 0;
                for (int l = 0; l < model.Config.LayerCount; l++)
                {
                    float routerErr = MaxAbs(reference.Floats($"{prefix}router_logits.L{l}"), capture.Logits[l]);
                    Assert.True(routerErr <= RouterTolerance, $"{arch} {prefix}router_logits.L{l}: max abs error {routerErr}");
                    skipped += CompareTopK(arch, prefix, l, reference.Longs($"{prefix}topk_index.L{l}"), capture, rewrite);
                }
                output.WriteLine($"{arch} {prefix}top-k: {skipped} near-tie tokens skipped");
            }
            var prompt = batch[0].Take(10).ToArray();
            foreach (var (name, rewrite) in new (string, IRouterRewrite?)[] { ("gen.plain", null), ("gen.steered", steering) })
            {
                var expected = reference.Longs(name).Select(x => (int)x).ToArray();
                var generated = model.Generate(prompt, new GenerationOptions { MaxNewTokens = expected.Length - prompt.Length, Rewrite = rewrite });
                Assert.Equal(expected, generated);
            }
        }
        finally { Parallelism.Threads = saved; }
    }

    /// <summary>Compares top-k as sets; skips tokens whose k-th and (k+1)-th ranking scores (after the rewrite) are within <see cref="NearTie"/>.</summary>
    private static int CompareTopK(string arch, string prefix, int layer, long[] expected, RoutingCapture capture, IRouterRewrite? rewrite)
    {
        int k = capture.K, e = capture.E, n = expected.Length / k, skipped = 0;
        var scores = (float[])capture.Logits[layer].Clone();
        rewrite?.Rewrite(layer, scores, n, e);
        for (int t = 0; t < n; t++)
        {
            var want = expected.Skip(t * k).Take(k).Select(x => (int)x).ToHashSet();
            var got = capture.TopK[layer].Skip(t * k).Take(k).ToHashSet();
            if (want.SetEquals(got)) continue;
            var sorted = scores.Skip(t * e).Take(e).OrderDescending().ToArray();
            if (sorted[k - 1] - sorted[k] <= NearTie) { skipped++; continue; }
            Assert.Fail($"{arch} {prefix}topk_index.L{layer} token {t}: expected {{{string.Join(",", want.Order())}}}, got {{{string.Join(",", got.Order())}}} (gap {sorted[k - 1] - sorted[k]}).");
        }
        return skipped;
    }

    internal static float MaxAbs(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        float max = 0f;
        for (int i = 0; i < expected.Length; i++) max = MathF.Max(max, MathF.Abs(expected[i] - actual[i]));
        return max;
    }
}

[CollectionDefinition("Parallelism", DisableParallelization = true)]
public class ParallelismCollection;
