using SteerMoE.Research.Inference.Kernels;
using SteerMoE.Research.Inference.Models;
using SteerMoE.Research.Tests;

namespace SteerMoE.Research.Inference.Tests.Parity;

/// <summary>Batching, KV cache, thread independence and sampling of the engine, on the fixtures' models.</summary>
[Collection("Parallelism")]
public class EngineBehaviourTests
{
    private static int[] Ids(int count, int seed) { var r = new Random(seed); return Enumerable.Range(0, count).Select(_ => r.Next(3, 384)).ToArray(); }

    [Theory]
    [InlineData("olmoe")]
    [InlineData("gpt_oss")]
    [InlineData("qwen2_moe")]
    public void SequencesOfDifferentLengthsMatchRunningEachAlone(string arch)
    {
        using var model = MoeModel.Load(RepoPaths.Fixture(arch));
        var a = Ids(13, 1); var b = Ids(5, 2); var c = Ids(20, 3);
        var batched = model.Forward([a, b, c], new ForwardOptions { ReturnLogits = true });
        int v = model.Config.VocabSize, offset = 0;
        foreach (var seq in new[] { a, b, c })
        {
            var alone = model.Forward([seq], new ForwardOptions { ReturnLogits = true });
            // the same rows in the same order through the same kernels: identical, not just close
            Assert.Equal(alone.Logits!, batched.Logits!.AsSpan(offset * v, seq.Length * v).ToArray());
            offset += seq.Length;
        }
    }

    [Theory]
    [InlineData("mixtral")]
    [InlineData("gpt_oss")]
    [InlineData("phimoe")]
    public void CachedDecodeMatchesFullForward(string arch)
    {
        using var model = MoeModel.Load(RepoPaths.Fixture(arch));
        var ids = Ids(18, 7);
        var full = model.Forward([ids], new ForwardOptions { ReturnLogits = true });
        var cache = model.CreateCache(1);
        model.Forward([ids[..11]], new ForwardOptions(), cache);
        int v = model.Config.VocabSize;
        for (int p = 11; p < ids.Length; p++)
        {
            var step = model.Forward([new[] { ids[p] }], new ForwardOptions(), cache);
            float err = HfParityTests.MaxAbs(full.Logits!.AsSpan(p * v, v).ToArray(), step.LastLogits);
            Assert.True(err < 2e-5f, $"{arch} position {p}: cached decode differs from the full pass by {err}");
        }
        Assert.Equal(ids.Length, cache.Lengths[0]);
    }

    [Fact]
    public void ResultsDoNotDependOnThreadCount()
    {
        using var model = MoeModel.Load(RepoPaths.Fixture("qwen3_moe"));
        var batch = new[] { Ids(30, 4), Ids(9, 5) };
        int saved = Parallelism.Threads;
        try
        {
            Parallelism.Threads = 1;
            var one = model.Forward(batch, new ForwardOptions { ReturnLogits = true }).Logits!;
            Parallelism.Threads = 2;
            var two = model.Forward(batch, new ForwardOptions { ReturnLogits = true }).Logits!;
            Parallelism.Threads = 3;
            var three = model.Forward(batch, new ForwardOptions { ReturnLogits = true }).Logits!;
            Assert.Equal(one, two);
            Assert.Equal(one, three);
        }
        finally { Parallelism.Threads = saved; }
    }

    [Fact]
    public void SeededSamplingIsReproducibleAndDiffersFromGreedy()
    {
        using var model = MoeModel.Load(RepoPaths.Fixture("olmoe"));
        var prompt = Ids(6, 9);
        var options = new GenerationOptions { MaxNewTokens = 12, Temperature = 1.5, TopP = 0.95, Seed = 42 };
        var first = model.Generate(prompt, options);
        var again = model.Generate(prompt, options);
        Assert.Equal(first, again);
        Assert.Equal(18, first.Length);
        var greedy = model.Generate(prompt, options with { Temperature = 0 });
        var otherSeeds = Enumerable.Range(0, 4).Select(s => model.Generate(prompt, options with { Seed = s })).ToList();
        Assert.Contains(otherSeeds.Append(first), g => !g.SequenceEqual(greedy));
    }

    [Fact]
    public void TopPOfATinyMassIsGreedy()
    {
        float[] logits = [0.1f, 3f, 2.9f, -1f];
        var random = new Random(1);
        for (int i = 0; i < 50; i++) Assert.Equal(1, Sampling.Next(logits, 1.0, 1e-6, random));
    }
}

/// <summary>Generation stopping and argument checks.</summary>
public class GenerationTests
{
    [Fact]
    public void StopsAtAStopTokenAndIncludesIt()
    {
        using var model = MoeModel.Load(RepoPaths.Fixture("mixtral"));
        int[] prompt = [5, 6, 7, 8];
        var full = model.Generate(prompt, new GenerationOptions { MaxNewTokens = 8 });
        int stop = full[6];   // the third generated token
        int firstStop = Array.IndexOf(full, stop, 4);
        var stopped = model.Generate(prompt, new GenerationOptions { MaxNewTokens = 8, StopTokens = new HashSet<int> { stop } });
        Assert.Equal(full[..(firstStop + 1)], stopped);
    }

    [Fact]
    public void BadArgumentsAreRejected()
    {
        using var model = MoeModel.Load(RepoPaths.Fixture("olmoe"));
        Assert.Throws<ArgumentException>(() => model.Generate([], new GenerationOptions()));
        Assert.Contains("top-p", Assert.Throws<ArgumentException>(() => model.Generate([3], new GenerationOptions { Temperature = 1, TopP = 0 })).Message);
        Assert.Contains("cache holds 1", Assert.Throws<ArgumentException>(() => model.Forward([[1], [2]], null, model.CreateCache(1))).Message);
    }
}
