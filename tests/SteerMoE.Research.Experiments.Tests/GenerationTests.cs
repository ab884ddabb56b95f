using SteerMoE.Research.Generation;
using SteerMoE.Research.Inference.Models;
using SteerMoE.Research.Inference.Routing;
using SteerMoE.Research.Steering.Plans;
using SteerMoE.Research.Tests;

namespace SteerMoE.Research.Experiments.Tests;

public class GenerationTests
{
    private static readonly GenerationPrompt[] Prompts =
    [
        GenerationPrompt.User("count to three"),
        GenerationPrompt.User("where is the capital of france ? please tell me about paris"),
        GenerationPrompt.User("make a cake"),
    ];

    [Fact]
    public void ChatTemplateIsAppliedAndEncoded()
    {
        using var g = SteeredGenerator.Load(TinyModel.Create());
        Assert.Equal("<|user|> count to three <|end|> <|assistant|>", g.Render(Prompts[0]));
        Assert.Equal([3, 49, 50, 31, 6, 4], g.EncodePrompt(Prompts[0]));
        Assert.Contains(2, g.StopTokens);
    }

    [Theory]
    [InlineData("mixtral", false)]
    [InlineData("mixtral", true)]
    [InlineData("olmoe", true)]
    public void BatchedGreedyEqualsTheEngineOnePromptAtATime(string arch, bool steered)
    {
        using var g = SteeredGenerator.Load(TinyModel.Create(arch));
        var plan = steered ? SteeringPlan.Load(Path.Combine(RepoPaths.Fixture(arch), "steering.json")) : null;
        var batch = g.Generate(Prompts, plan, new GenerationSettings { MaxNewTokens = 12 });
        for (int i = 0; i < Prompts.Length; i++)
        {
            var ids = g.EncodePrompt(Prompts[i]);
            var single = g.Model.Generate(ids, new GenerationOptions { MaxNewTokens = 12, StopTokens = g.StopTokens.ToHashSet(), Rewrite = SteeredGenerator.RewriteFor(plan) });
            Assert.Equal(single[ids.Length..], batch[i].OutputIds);
        }
    }

    [Fact]
    public void GreedyOutputOnFixedPromptsIsExact()
    {
        using var g = SteeredGenerator.Load(TinyModel.Create());
        var outputs = g.Generate(Prompts, null, new GenerationSettings { MaxNewTokens = 8 });
        Assert.Equal(ExpectedUnsteered, outputs.Select(o => o.OutputText).ToArray());
        var steered = g.Generate(Prompts, SteeringPlan.Load(Path.Combine(RepoPaths.Fixture("mixtral"), "steering.json")), new GenerationSettings { MaxNewTokens = 8 });
        Assert.Equal(ExpectedSteered, steered.Select(o => o.OutputText).ToArray());
    }

    private static readonly string[] ExpectedUnsteered = ["w58 w61 eight twelve 17 w15 17 w58", "did w181 w222 how w244 so how", "w185 w185 w185 w185 w185 w185 w185 w185"];
    private static readonly string[] ExpectedSteered = ["w58 17 w61 w185 w185 15 15 15", "so so so so italy so italy so", "eight w185 w185 w185 w185 w185 w185 w185"];

    [Fact]
    public void SeededSamplingIsReproducibleAndBatchIndependent()
    {
        using var g = SteeredGenerator.Load(TinyModel.Create());
        var settings = new GenerationSettings { MaxNewTokens = 10, Temperature = 1.0, TopP = 0.9, Seed = 7 };
        var a = g.Generate(Prompts, null, settings);
        var b = g.Generate(Prompts, null, settings);
        Assert.Equal(a.Select(o => o.OutputIds), b.Select(o => o.OutputIds));
        var first = g.Generate(Prompts[..1], null, settings);
        Assert.Equal(a[0].OutputIds, first[0].OutputIds);
        var other = g.Generate(Prompts, null, settings with { Seed = 8 });
        Assert.NotEqual(a.Select(o => string.Join(",", o.OutputIds)), other.Select(o => string.Join(",", o.OutputIds)));
        // In chunks (as generate --prompts and experiment run batch a long list), each prompt samples as in one call.
        var chunked = g.Generate(Prompts[..1], null, settings).Concat(g.Generate(Prompts[1..], null, settings with { PromptIndexOffset = 1 }));
        Assert.Equal(a.Select(o => o.OutputIds), chunked.Select(o => o.OutputIds));
    }

    [Fact]
    public void AProgressLineFollowsEachBatchOfALongPromptsFile()
    {
        string model = TinyModel.Create();
        string prompts = Path.Combine(RepoPaths.TempDir("generate-progress"), "prompts.jsonl");
        File.WriteAllLines(prompts, Enumerable.Range(0, 20).Select(i => $"{{\"prompt\": \"count to {i % 5}\"}}"));
        var r = Cli.Run("generate", "--model", model, "--prompts", prompts, "--max-new-tokens", "3", "--temperature", "1", "--seed", "3");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("generate: 16/20 prompts (80%), ", r.Stderr);
        Assert.Contains("generate: 20/20 prompts (100%), ", r.Stderr);
        Assert.Equal(20, r.Stdout.Split('\n').Count(l => l.StartsWith("[prompts.jsonl:")));
        // Batched output equals the library's one call over all 20 (sampling included).
        using var g = SteeredGenerator.Load(model);
        var all = g.Generate(GenerationPrompt.ReadJsonLines(prompts), null, new GenerationSettings { MaxNewTokens = 3, Temperature = 1, Seed = 3 });
        Assert.Equal(string.Concat(all.Select(o => $"[{o.Prompt.Id}]\n{o.OutputText}\n")), r.Stdout.Replace("\r\n", "\n"));
    }

    [Fact]
    public void PlanNamingALayerOrExpertTheModelLacksFailsBeforeLoading()
    {
        string model = TinyModel.Create();
        var badLayer = new SteeringPlan(new Dictionary<int, LayerSteering> { [7] = new([new SteeredExpert(1)], []) });
        var e = Assert.Throws<FormatException>(() => SteeredGenerator.Load(model, badLayer, "bad.json"));
        Assert.Contains("bad.json", e.Message);
        Assert.Contains("7", e.Message);
        var badExpert = new SteeringPlan(new Dictionary<int, LayerSteering> { [0] = new([], [new SteeredExpert(8)]) });
        e = Assert.Throws<FormatException>(() => SteeredGenerator.Load(model, badExpert, "bad.json"));
        Assert.Contains("8", e.Message);
    }

    [Fact]
    public void GenerateCommandSteersAndRejectsBadPlans()
    {
        string model = TinyModel.Create();
        string dir = RepoPaths.TempDir("generate");
        string prompts = Path.Combine(dir, "prompts.jsonl");
        File.WriteAllText(prompts, "{\"prompt\": \"count to three\"}\n\n{\"messages\": [{\"role\": \"user\", \"content\": \"make a cake\"}], \"answer\": \"cake\"}\n");
        var r = Cli.Run("generate", "--model", model, "--prompts", prompts, "--max-new-tokens", "8");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal($"[prompts.jsonl:1]\n{ExpectedUnsteered[0]}\n[prompts.jsonl:3]\n{ExpectedUnsteered[2]}\n", r.Stdout.Replace("\r\n", "\n"));
        r = Cli.Run("generate", "--model", model, "--plan", Path.Combine(RepoPaths.Fixture("mixtral"), "steering.json"), "--prompt", "count to three", "--max-new-tokens", "8");
        Assert.Equal(ExpectedSteered[0] + "\n", r.Stdout.Replace("\r\n", "\n"));

        string bad = Path.Combine(dir, "bad-plan.json");
        File.WriteAllText(bad, "{\"layers\": {\"5\": {\"activate\": [1], \"deactivate\": []}}}");
        r = Cli.Run("generate", "--model", model, "--plan", bad, "--prompt", "hi");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("bad-plan.json", r.Stderr);
        Assert.Contains("layer 5", r.Stderr);

        foreach (var (flag, value, expected) in new[] { ("--temperature", "-1", "--temperature: -1: expected 0 (greedy) or a positive number"), ("--top-p", "0", "--top-p: 0: expected a number in (0, 1]") })
        {
            r = Cli.Run("generate", "--model", model, "--prompt", "hi", flag, value);
            Assert.Equal(2, r.ExitCode);
            Assert.Contains(expected, r.Stderr);
        }

        File.WriteAllText(prompts, "{\"text\": \"no prompt\"}\n");
        r = Cli.Run("generate", "--model", model, "--prompts", prompts);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("line 1", r.Stderr);
        Assert.Contains("prompt", r.Stderr);
    }
}
