using SteerMoE.Research.Inference.Kernels;
using SteerMoE.Research.Inference.Layers;
using SteerMoE.Research.Inference.Models;
using SteerMoE.Research.Tests;
using Xunit.Abstractions;

namespace SteerMoE.Research.Inference.Tests.Parity;

/// <summary>
/// Parity with llama.cpp on the fixtures of tests/fixtures/llamacpp-parity (see their README): all-position logits
/// within 1e-4, the routed experts of every MoE layer as sets (skipping tokens whose k-th and (k+1)-th selection scores
/// are within 1e-3), no routing event in a dense layer, and the greedy continuation, in exact mode with 1 and 2 threads.
/// llama.cpp has no steering, so there is no steered reference here.
/// </summary>
[Collection("Parallelism")]
public class LlamaCppParityTests(ITestOutputHelper output)
{
    private const float LogitTolerance = 1e-4f;
    private const float NearTie = 1e-3f;

    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (var arch in new[] { "deepseek_v2", "deepseek_v3", "glm4_moe", "granitemoe", "llama4" })
            foreach (int threads in new[] { 1, 2 }) data.Add(arch, threads);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ForwardMatchesLlamaCpp(string arch, int threads)
    {
        string dir = RepoPaths.LlamaCppFixture(arch);
        using var reference = new Reference(Path.Combine(dir, "reference.safetensors"));
        using var model = MoeModel.Load(dir);
        Assert.Empty(model.Config.UnreadFields);
        int saved = Parallelism.Threads;
        Parallelism.Threads = threads;
        try { Check(arch, model, reference, $"threads {threads}"); }
        finally { Parallelism.Threads = saved; }
    }

    /// <summary>The absorbed-weight path of latent attention gives llama.cpp's logits too (llama.cpp itself runs absorbed).</summary>
    [Theory]
    [InlineData("deepseek_v2")]
    [InlineData("deepseek_v3")]
    public void AbsorbedLatentAttentionMatchesLlamaCpp(string arch)
    {
        string dir = RepoPaths.LlamaCppFixture(arch);
        using var reference = new Reference(Path.Combine(dir, "reference.safetensors"));
        using var model = MoeModel.Load(dir, new LoadOptions { LatentAttention = LatentAttentionPath.Absorbed });
        Assert.All(model.Layers, l => Assert.Equal(LatentAttentionPath.Absorbed, Assert.IsType<LatentAttention>(l.Attention).Path));
        Check(arch, model, reference, "absorbed");
    }

    /// <summary>
    /// Llama 4's long-context parts, which llama.cpp fixes at Scout's values (chunk 8192, temperature floor 8192, scale
    /// 0.1): one row of 8200 tokens, its last 16 positions (8184..8199) straddling the chunk boundary at 8192 (the rope
    /// layers 0-2 then see only their own chunk) and the first position where the NoPE layer 3 scales its queries
    /// (8191: log1p(floor(8192 / 8192)) · 0.1 + 1).
    /// </summary>
    [Fact]
    public void Llama4LongRowAcrossTheChunkBoundaryMatchesLlamaCpp()
    {
        string dir = RepoPaths.LlamaCppFixture("llama4");
        using var reference = new Reference(Path.Combine(dir, "reference.safetensors"));
        using var model = MoeModel.Load(dir);
        Assert.Equal([8192, 8192, 8192, 0], model.Config.AttentionChunks);
        Assert.Equal([3], model.Config.NoRopeLayers);
        var ids = reference.Longs("long.input_ids").Select(x => (int)x).ToArray();
        var expected = reference.Floats("long.logits");
        int keep = expected.Length / model.Config.VocabSize, first = ids.Length - keep;
        var capture = new RoutingCapture();
        var result = model.Forward([ids], new ForwardOptions { ReturnLogits = true, Observer = capture });
        var logits = result.Logits!.AsSpan(first * model.Config.VocabSize).ToArray();
        float err = HfParityTests.MaxAbs(expected, logits);
        output.WriteLine($"llama4 long row: logits of positions {first}..{ids.Length - 1} max abs error vs llama.cpp {err:E6}");
        Assert.True(err <= LogitTolerance, $"llama4 long row logits: max abs error {err} > {LogitTolerance}");
        int k = model.Config.TopK;
        foreach (int l in model.Config.MoeLayers)
            Assert.Equal(reference.Longs($"long.topk_index.L{l}").Select(x => (int)x), capture.TopK[l].Skip(first * k));
    }

    private void Check(string arch, MoeModel model, Reference reference, string label)
    {
        var batch = reference.Batch();
        var capture = new RoutingCapture();
        var result = model.Forward(batch, new ForwardOptions { ReturnLogits = true, Observer = capture });
        float err = HfParityTests.MaxAbs(reference.Floats("logits"), result.Logits!);
        output.WriteLine($"{arch} logits max abs error vs llama.cpp {err:E6} ({label})");
        Assert.True(err <= LogitTolerance, $"{arch} logits: max abs error {err} > {LogitTolerance} ({label})");
        Assert.Equal(model.Config.MoeLayers, capture.TopK.Keys.Order().ToArray());   // dense layers route nothing
        int skipped = 0;
        foreach (int l in model.Config.MoeLayers)
            skipped += CompareTopK(arch, l, reference.Longs($"topk_index.L{l}"), capture, model.Layers[l].Moe!.Routing as ISelectionRouting);
        output.WriteLine($"{arch} top-k: {skipped} near-tie tokens skipped ({label})");
        var prompt = batch[0].Take(10).ToArray();
        var expected = reference.Longs("gen.plain").Select(x => (int)x).ToArray();
        Assert.Equal(expected, model.Generate(prompt, new GenerationOptions { MaxNewTokens = expected.Length - prompt.Length }));
    }

    private static int CompareTopK(string arch, int layer, long[] expected, RoutingCapture capture, ISelectionRouting? routing)
    {
        int k = capture.K, e = capture.E, n = expected.Length / k, skipped = 0;
        var selection = new float[e];
        for (int t = 0; t < n; t++)
        {
            var want = expected.Skip(t * k).Take(k).Select(x => (int)x).ToHashSet();
            var got = capture.TopK[layer].Skip(t * k).Take(k).ToHashSet();
            if (want.SetEquals(got)) continue;
            // the score the top-k ranks: the selection score, or the logits themselves (Granite's top-k-then-softmax)
            if (routing is null) capture.Logits[layer].AsSpan(t * e, e).CopyTo(selection);
            else routing.SelectionScores(capture.Logits[layer].AsSpan(t * e, e), selection);
            var sorted = selection.OrderDescending().ToArray();
            if (sorted[k - 1] - sorted[k] <= NearTie) { skipped++; continue; }
            Assert.Fail($"{arch} topk_index.L{layer} token {t}: expected {{{string.Join(",", want.Order())}}}, got {{{string.Join(",", got.Order())}}} (gap {sorted[k - 1] - sorted[k]}).");
        }
        return skipped;
    }
}
