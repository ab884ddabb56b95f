using System.Security.Cryptography;
using SteerMoE.Research.Inference.Routing;
using SteerMoE.Research.Steering.Plans;
using SteerMoE.Research.Tests;

namespace SteerMoE.Research.Steering.Tests.Plans;

public class SteeringPlanTests
{
    [Fact]
    public void WritesTheContractFormat()
    {
        var plan = ExpertSelector.Select(ExpertSelectorTests.Ranking(), new PlanRequest(4, 2, Cap: 2));
        Assert.Equal(
            "{\n" +
            "  \"format\": \"steermoe-plan/1\",\n" +
            "  \"layers\": {\n" +
            "    \"0\": {\"activate\": [0, 1], \"deactivate\": []},\n" +
            "    \"1\": {\"activate\": [0], \"deactivate\": [1]},\n" +
            "    \"2\": {\"activate\": [], \"deactivate\": [0]}\n" +
            "  },\n" +
            "  \"strength\": 1,\n" +
            "  \"log_softmax_scope\": \"all-moe-layers\",\n" +
            "  \"provenance\": {\n" +
            "    \"ranking\": \"ranking.csv\",\n" +
            "    \"metric\": \"rd\",\n" +
            "    \"column\": \"risk_diff\",\n" +
            "    \"strategy\": \"authors\",\n" +
            "    \"count_scope\": \"all-layers\",\n" +
            "    \"activate_requested\": 4,\n" +
            "    \"deactivate_requested\": 2,\n" +
            "    \"activate_applied\": 3,\n" +
            "    \"deactivate_applied\": 2,\n" +
            "    \"activate_dropped_by_cap\": 1,\n" +
            "    \"cap\": 2,\n" +
            "    \"reverse\": false,\n" +
            "    \"strength\": 1\n" +
            "  }\n" +
            "}\n", plan.ToJson().Replace("\r\n", "\n"));
    }

    [Fact]
    public void RoundTripsThroughTheEnginesReaderAndThePlanReader()
    {
        var plan = ExpertSelector.Select(ExpertSelectorTests.Ranking(), new PlanRequest(5, 3, Cap: 2) { Strength = 0.5, Reverse = true });
        string path = Path.Combine(RepoPaths.TempDir("plan"), "PLAN.json");
        plan.Save(path);
        var mask = SteeringMask.Load(path);
        Assert.Equal(plan.Layers.Keys, mask.Layers.Keys);
        foreach (var (layer, sets) in plan.Layers)
        {
            Assert.Equal(sets.Activate, mask.Layers[layer].Activate);
            Assert.Equal(sets.Deactivate, mask.Layers[layer].Deactivate);
            Assert.All(mask.Layers[layer].Activate.Concat(mask.Layers[layer].Deactivate), e => Assert.Equal(0.5, e.Strength));
        }
        var back = SteeringPlan.Load(path);
        Assert.Equal(plan.Provenance, back.Provenance);
        Assert.Equal(0.5, back.Strength);
        Assert.Equal(plan.ToJson(), back.ToJson());
    }

    [Fact]
    public void PerExpertStrengthsAndScopeRoundTrip()
    {
        var layers = new Dictionary<int, LayerSteering>
        {
            [3] = new([new SteeredExpert(7, 0.25), new SteeredExpert(2)], [new SteeredExpert(9)]),
        };
        var plan = new SteeringPlan(layers, null, 1.0, LogSoftmaxScope.SteeredLayersOnly);
        string json = plan.ToJson();
        Assert.Contains("\"3\": {\"activate\": [{\"expert\": 7, \"strength\": 0.25}, 2], \"deactivate\": [9]}", json);
        var back = SteeringPlan.Parse(json, "PLAN.json");
        Assert.Equal(LogSoftmaxScope.SteeredLayersOnly, back.Scope);
        Assert.Null(back.Provenance);
        Assert.Equal(layers[3].Activate, back.Layers[3].Activate);
        Assert.Equal(layers[3].Activate, SteeringMask.Parse(json, "PLAN.json").Layers[3].Activate);
    }

    /// <summary>rewrite_target is written only when it is not the default, and read back by both readers.</summary>
    [Fact]
    public void RewriteTargetRoundTrips()
    {
        var layers = new Dictionary<int, LayerSteering> { [1] = new([new SteeredExpert(2)], []) };
        Assert.DoesNotContain("rewrite_target", new SteeringPlan(layers).ToJson());
        string json = new SteeringPlan(layers, target: RewriteTarget.RouterLogits).ToJson();
        Assert.Contains("\"rewrite_target\": \"router-logits\"", json);
        Assert.Equal(RewriteTarget.RouterLogits, SteeringPlan.Parse(json, "PLAN.json").Target);
        Assert.Equal(RewriteTarget.RouterLogits, SteeringMask.Parse(json, "PLAN.json").Target);
        var e = Assert.Throws<FormatException>(() => SteeringPlan.Parse("{\"layers\": {}, \"rewrite_target\": 1}", "p.json"));
        Assert.Equal("p.json: field 'rewrite_target': expected \"selection-score\" or \"router-logits\".", e.Message);
    }

    [Fact]
    public void RejectsAnExpertInBothListsAndABadScope()
    {
        var layers = new Dictionary<int, LayerSteering> { [0] = new([new SteeredExpert(1)], [new SteeredExpert(1)]) };
        Assert.Contains("layer 0: expert 1 is named twice", Assert.Throws<FormatException>(() => new SteeringPlan(layers)).Message);
        var e = Assert.Throws<FormatException>(() => SteeringPlan.Parse("{\"layers\": {}, \"log_softmax_scope\": \"some\"}", "p.json"));
        Assert.Equal("p.json: field 'log_softmax_scope': 'some', expected \"all-moe-layers\" or \"steered-layers-only\".", e.Message);
    }

    [Theory]
    [InlineData("{\"layers\": {\"1\": {\"activate\": [2], \"deactivat\": [3]}}}", "p.json: layers.1: unknown field 'deactivat' (known: activate, deactivate).")]
    [InlineData("{\"layers\": {}, \"strenght\": 0.5}", "p.json: the plan: unknown field 'strenght' (known: format, layers, strength, log_softmax_scope, rewrite_target, provenance).")]
    [InlineData("{\"0\": {\"activate\": [{\"expert\": 1, \"strenght\": 0.5}]}}", "p.json: layers.0: activate item {\"expert\": 1, \"strenght\": 0.5}: unknown field 'strenght' (known: expert, strength).")]
    public void AMisspeltKeyIsAnErrorNotAHalfAppliedPlan(string json, string expected)
    {
        var e = Assert.Throws<FormatException>(() => SteeringPlan.Parse(json, "p.json"));
        Assert.Equal(expected, e.Message);
    }

    [Fact]
    public void RankingRecordsTheFileHashAndRejectsBadTables()
    {
        string dir = RepoPaths.TempDir("ranking");
        string path = Path.Combine(dir, "ranking.csv");
        File.WriteAllText(path, ExpertSelectorTests.Table);
        var ranking = ExpertRanking.Load(path, ExpertRanking.ColumnForMetric("rd"));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path))), ranking.Sha256);
        Assert.Equal((3, 4), (ranking.LayerCount, ranking.ExpertCount));
        Assert.Equal("log_odds_ratio", ExpertRanking.ColumnForMetric("log-or"));
        Assert.Equal("fisher_q", ExpertRanking.ColumnForMetric("fisher_q"));

        void Bad(string text, string expected, string column = "risk_diff", string? q = null)
        {
            File.WriteAllText(path, text);
            var e = Assert.Throws<FormatException>(() => ExpertRanking.Load(path, column, q));
            Assert.Equal(path + ": " + expected, e.Message);
        }
        Bad("layer,expert,risk_diff\n0,0,0.1\n", "missing column 'log_odds_ratio' (the header has: layer, expert, risk_diff).", "log_odds_ratio");
        Bad("layer,expert,risk_diff\n0,0,nan\n", "line 2, column 'risk_diff': nan; a ranking needs a score for every expert.");
        Bad("layer,expert,risk_diff\n0,0,0.1\n0,0,0.2\n", "layer 0, expert 0 appears twice.");
        Bad("layer,expert,risk_diff\n0,-1,0.1\n", "line 2: layer 0, expert -1: expected indices >= 0.");
        Bad("layer,expert,risk_diff,q\n0,0,0.1,1.5\n", "line 2, column 'q': 1.5 is not a q-value in [0, 1].", q: "q");
        Assert.Throws<FileNotFoundException>(() => ExpertRanking.Load(Path.Combine(dir, "none.csv"), "risk_diff"));
    }

    [Fact]
    public void ModelShapeIsReadFromConfigJson()
    {
        string dir = RepoPaths.TempDir("model");
        File.WriteAllText(Path.Combine(dir, "config.json"), "{\"num_hidden_layers\": 16, \"num_experts\": 64, \"num_experts_per_tok\": 8}");
        Assert.Equal(new ModelShape(16, 64, 8), ModelShape.FromModelFolder(dir));
        File.WriteAllText(Path.Combine(dir, "config.json"), "{\"num_hidden_layers\": 32, \"num_local_experts\": 8, \"num_experts_per_tok\": 2}");
        Assert.Equal(new ModelShape(32, 8, 2), ModelShape.FromModelFolder(dir));
        File.WriteAllText(Path.Combine(dir, "config.json"), "{\"num_hidden_layers\": 32, \"num_experts_per_tok\": 2}");
        var e = Assert.Throws<FormatException>(() => ModelShape.FromModelFolder(dir));
        Assert.EndsWith("config.json: missing field 'num_experts' or 'num_local_experts' or 'n_routed_experts' (not a Mixture-of-Experts config?).", e.Message);
        // DeepSeek: n_routed_experts, and the first_k_dense_replace leading layers are dense.
        File.WriteAllText(Path.Combine(dir, "config.json"), "{\"num_hidden_layers\": 4, \"n_routed_experts\": 16, \"num_experts_per_tok\": 3, \"first_k_dense_replace\": 1}");
        var deepseek = ModelShape.FromModelFolder(dir);
        Assert.Equal((4, 16, 3), (deepseek.LayerCount, deepseek.ExpertCount, deepseek.TopK));
        Assert.Equal([0], deepseek.DenseLayers!);
        Assert.Throws<FileNotFoundException>(() => ModelShape.FromModelFolder(Path.Combine(dir, "absent")));
    }

    [Theory]
    [InlineData("olmoe")]
    [InlineData("mixtral")]
    [InlineData("qwen2_moe")]
    [InlineData("qwen3_moe")]
    [InlineData("phimoe")]
    [InlineData("gpt_oss")]
    [InlineData("gpt_oss_mxfp4")]
    public void ModelShapeAgreesWithTheEngineConfigOnEveryFixture(string arch)
    {
        string dir = RepoPaths.Fixture(arch);
        var config = SteerMoE.Research.Inference.Models.ModelConfig.Load(dir);
        Assert.Equal(new ModelShape(config.LayerCount, config.ExpertCount, config.TopK), ModelShape.FromModelFolder(dir));
    }
}
