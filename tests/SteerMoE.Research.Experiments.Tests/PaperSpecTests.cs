using SteerMoE.Research.Inference.Models;
using SteerMoE.Research.Specs;

namespace SteerMoE.Research.Experiments.Tests;

/// <summary>The spec fields of the paper's tables: data folder, benchmarks, judges, pairs built from a source, paper counts, grids, overrides.</summary>
public class PaperSpecTests
{
    private const string Faithfulness = """
        name: paper-faithfulness
        pairs: { from: squad, path: squad/train.parquet, limit: 500 }
        benchmarks:
          - faitheval-counterfactual
          - { id: mquake, path: mquake/MQuAKE-CF-3k.json, limit: 100 }
        judges: { fluency-judge: ../judges/qwen }
        batch_size: 8
        strategies: [authors, random]
        grid: { paper: faithful }
        """;

    private static ModelConfig Config(string arch, int layers, int experts) => ModelConfig.Parse($$"""
        {"architectures": ["{{arch}}"], "vocab_size": 10, "hidden_size": 8, "num_hidden_layers": {{layers}}, "num_attention_heads": 2,
         "num_key_value_heads": 2, "intermediate_size": 8, "num_local_experts": {{experts}}, "num_experts": {{experts}}, "num_experts_per_tok": 2,
         "moe_intermediate_size": 8, "router_jitter_noise": 0.01, "rms_norm_eps": 1e-5, "max_position_embeddings": 64, "rope_theta": 10000}
        """, "config.json");

    [Fact]
    public void ReadsTheNewFields()
    {
        var spec = ExperimentSpec.Parse(Faithfulness, "/tmp/specs/paper/faithfulness.yaml");
        Assert.Equal("", spec.Model);
        Assert.Equal(new PairsSource("squad", 500), spec.PairsFrom);
        Assert.Equal([new BenchmarkEntry("faitheval-counterfactual"), new BenchmarkEntry("mquake", "mquake/MQuAKE-CF-3k.json", 100)], spec.Benchmarks);
        Assert.Equal("/tmp/specs/judges/qwen", spec.Resolve(spec.Judges["fluency-judge"]));
        Assert.Equal(8, spec.BatchSize);
        Assert.Equal("faithful", spec.Grid.PaperGoal);
        var missing = Assert.Throws<FormatException>(spec.RequireInputs);
        Assert.Contains("model: missing; set it in the spec or pass --model DIR", missing.Message);
        // Listing cells before the counts are known is a programming error, not a silent empty grid.
        Assert.Throws<InvalidOperationException>(() => ExperimentCell.Enumerate(spec));
    }

    [Fact]
    public void OverridesFillModelAndDataAndChangeTheIdentity()
    {
        var spec = ExperimentSpec.Parse(Faithfulness, "/tmp/specs/paper/faithfulness.yaml");
        var run = spec.WithOverrides(model: "/models/olmoe", data: "/data");
        Assert.Equal("/models/olmoe", run.Model);
        Assert.Equal("/data/squad/train.parquet", run.ResolveData(run.Pairs));
        run.RequireInputs();
        Assert.NotEqual(spec.Sha256, run.Sha256);
        Assert.NotEqual(run.Sha256, spec.WithOverrides(model: "/models/mixtral", data: "/data").Sha256);
        Assert.Equal(run.Sha256, spec.WithOverrides(model: "/models/olmoe", data: "/data").Sha256);
    }

    [Theory]
    [InlineData("OlmoeForCausalLM", 16, 64, "faithful", 0, 50, false)]
    [InlineData("MixtralForCausalLM", 32, 8, "safe", 20, 0, false)]
    [InlineData("Qwen3MoeForCausalLM", 48, 128, "unsafe", 5, 480, true)]
    [InlineData("PhimoeForCausalLM", 32, 16, "faithful", 10, 75, false)]
    public void PaperCountsComeFromTheModelShape(string arch, int layers, int experts, string goal, int a, int d, bool reverse)
    {
        var spec = ExperimentSpec.Parse(Faithfulness.Replace("paper: faithful", "paper: " + goal), "s.yaml").WithOverrides(model: "/m", data: "/d");
        var resolved = spec.WithPaperCounts(Config(arch, layers, experts));
        Assert.Equal([a], resolved.Grid.Activate);
        Assert.Equal([d], resolved.Grid.Deactivate);
        Assert.Equal([reverse], resolved.Grid.Reverse);
        // baseline + authors + random
        Assert.Equal(3, ExperimentCell.Enumerate(resolved).Count);
    }

    [Fact]
    public void AModelThePaperDidNotRunNeedsExplicitCounts()
    {
        var spec = ExperimentSpec.Parse(Faithfulness, "s.yaml").WithOverrides(model: "/m", data: "/d");
        var e = Assert.Throws<FormatException>(() => spec.WithPaperCounts(Config("MixtralForCausalLM", 4, 8)));
        Assert.Contains("s.yaml: grid.paper: the paper gives no expert counts for MixtralForCausalLM with 4 layers x 8 experts", e.Message);
        Assert.Contains("--activate N --deactivate M", e.Message);
        var explicitCounts = spec.WithOverrides(activate: 2, deactivate: 3).WithPaperCounts(Config("MixtralForCausalLM", 4, 8));
        Assert.Equal([2], explicitCounts.Grid.Activate);
        Assert.Equal([3], explicitCounts.Grid.Deactivate);
        Assert.Equal([false], explicitCounts.Grid.Reverse);
        // The goal still sets the direction when both counts come from the command line: unsafe steers toward side 2.
        var unsafeSpec = ExperimentSpec.Parse(Faithfulness.Replace("paper: faithful", "paper: unsafe"), "s.yaml").WithOverrides(model: "/m", data: "/d", activate: 2, deactivate: 3);
        var unsafeCells = unsafeSpec.WithPaperCounts(Config("MixtralForCausalLM", 4, 8));
        Assert.Equal([2], unsafeCells.Grid.Activate);
        Assert.Equal([3], unsafeCells.Grid.Deactivate);
        Assert.Equal([true], unsafeCells.Grid.Reverse);
    }

    [Fact]
    public void AGridListSweepsActivationAndDeactivationSeparately()
    {
        var spec = ExperimentSpec.Parse("""
            name: ablation
            model: m
            pairs: p.jsonl
            metrics: [rd, log-or]
            strategies: [authors]
            grid:
              - { activate: [0], deactivate: [10, 20] }
              - { activate: [1, 2, 4], deactivate: [0] }
            """, "a.yaml");
        var cells = ExperimentCell.Enumerate(spec);
        Assert.Equal(1 + 2 * (2 + 3), cells.Count);
        Assert.DoesNotContain(cells, c => c.Activate > 0 && c.Deactivate > 0);
        var e = Assert.Throws<FormatException>(() => ExperimentSpec.Parse("name: x\nmodel: m\npairs: p\ngrid:\n  - { paper: faithful, activate: [1] }\n", "g.yaml"));
        Assert.Contains("g.yaml: line 5, column 14: grid[0].paper: the paper's counts set activate, deactivate and reverse", e.Message);
    }

    [Theory]
    [InlineData("pairs: { from: imdb, path: x }", "pairs.from: 'imdb' is not one of squad, beavertails")]
    [InlineData("pairs: { from: squad }", "missing required field 'path'")]
    [InlineData("pairs: p\nevaluation: e.jsonl\nbenchmarks: [mctest]", "benchmarks: give an evaluation file or benchmarks, not both")]
    [InlineData("pairs: p\nbenchmarks: [{ id: mctest, limt: 3 }]", "unknown field 'limt' in benchmarks")]
    [InlineData("pairs: p\njudges: [llama-guard]", "judges: expected a mapping of judge id to model folder")]
    [InlineData("pairs: p\nbenchmarks: [mctest, { id: mctest, limit: 3 }]", "benchmarks: 'mctest' is listed twice")]
    public void BadPaperFieldsSayWhatAndWhere(string fields, string expected)
    {
        var e = Assert.Throws<FormatException>(() => ExperimentSpec.Parse($"name: x\nmodel: m\n{fields}\ngrid: {{ activate: [1] }}\n", "spec.yaml"));
        Assert.StartsWith("spec.yaml: ", e.Message);
        Assert.Contains(expected, e.Message);
    }
}
