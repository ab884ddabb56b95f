using SteerMoE.Research.Inference.Routing;

namespace SteerMoE.Research.Inference.Tests.Routing;

public class SteeringRewriteTests
{
    private static SteeringMask Mask(string json) => SteeringMask.Parse(json, "test.json");

    [Fact]
    public void LogSoftmaxMatchesClosedForm()
    {
        float[] z = [1f, 2f, 3f];
        SteeringRewrite.LogSoftmaxInPlace(z);
        // log_softmax([1,2,3]) = [1,2,3] - 3 - log(e^-2 + e^-1 + 1) = [-2.40760596, -1.40760596, -0.40760596]
        Assert.Equal(-2.40760596, z[0], 6);
        Assert.Equal(-1.40760596, z[1], 6);
        Assert.Equal(-0.40760596, z[2], 6);
    }

    [Fact]
    public void ActivateAndDeactivateUseMaxAndMinTakenBeforeAssignment()
    {
        var rewrite = new SteeringRewrite(Mask("""{"0": {"activate": [0], "deactivate": [2]}}"""));
        float[] scores = [1f, 2f, 3f, 0.5f,   0f, 0f, 0f, 0f]; // two tokens, four experts
        rewrite.Rewrite(0, scores, tokens: 2, experts: 4);
        float[] s = [1f, 2f, 3f, 0.5f];
        SteeringRewrite.LogSoftmaxInPlace(s);
        Assert.Equal(s[2] + 0.01f, scores[0]);        // activate: max + 0.01 (max is expert 2 before it is deactivated)
        Assert.Equal(s[3] - 0.01f, scores[2]);        // deactivate: min - 0.01
        Assert.Equal(s[1], scores[1]);
        Assert.Equal(-MathF.Log(4f) + 0.01f, scores[4], 6); // uniform row: log(1/4) + 0.01
        Assert.Equal(-MathF.Log(4f) - 0.01f, scores[6], 6);
    }

    [Fact]
    public void UnsteeredLayerGetsLogSoftmaxOnlyInPaperScope()
    {
        var mask = Mask("""{"layers": {"1": {"activate": [1]}}}""");
        float[] paper = [1f, 2f, 4f];
        new SteeringRewrite(mask).Rewrite(0, paper, 1, 3);
        Assert.Equal(-3.1698460, paper[0], 5); // log_softmax([1,2,4])[0] = -3 - log(1 + e^-2 + e^-3)
        float[] steeredOnly = [1f, 2f, 4f];
        new SteeringRewrite(mask, LogSoftmaxScope.SteeredLayersOnly).Rewrite(0, steeredOnly, 1, 3);
        Assert.Equal([1f, 2f, 4f], steeredOnly);
    }

    [Fact]
    public void StrengthMovesScoreLinearlyTowardTheTarget()
    {
        var mask = Mask("""{"strength": 0.25, "layers": {"0": {"deactivate": [{"expert": 0, "strength": 0.5}, 1]}}}""");
        float[] scores = [3f, 2f, 1f];
        new SteeringRewrite(mask).Rewrite(0, scores, 1, 3);
        float[] s = [3f, 2f, 1f];
        SteeringRewrite.LogSoftmaxInPlace(s);
        float target = s[2] - 0.01f;
        Assert.Equal(s[0] + 0.5f * (target - s[0]), scores[0], 5);
        Assert.Equal(s[1] + 0.25f * (target - s[1]), scores[1], 5);
    }

    [Theory]
    [InlineData("""{"0": {"activate": [1], "deactivate": [1]}}""", "expert 1 is named twice")]
    [InlineData("""{"x": {"activate": [1]}}""", "key 'x'")]
    [InlineData("""{"0": {"activate": "1"}}""", "layers.0.activate")]
    [InlineData("""{"0": {"activate": [{"expert": 1, "strength": 2}]}}""", "outside [0, 1]")]
    [InlineData("""[1, 2]""", "expected a JSON object")]
    [InlineData("""{"0": """, "not valid JSON")]
    public void BadPlansNameTheFileAndField(string json, string expected)
    {
        var e = Assert.Throws<FormatException>(() => Mask(json));
        Assert.Contains("test.json", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void ValidateRejectsLayersAndExpertsTheModelLacks()
    {
        var mask = Mask("""{"3": {"activate": [9]}}""");
        Assert.Contains("layer 3 does not exist", Assert.Throws<FormatException>(() => mask.Validate(3, 8, 2)).Message);
        Assert.Contains("expert 9 does not exist", Assert.Throws<FormatException>(() => mask.Validate(4, 8, 2)).Message);
        var tooMany = Mask("""{"0": {"deactivate": [0,1,2,3,4,5,6]}}""");
        Assert.Contains("fewer than k = 2", Assert.Throws<FormatException>(() => tooMany.Validate(1, 8, 2)).Message);
    }

    [Fact]
    public void FixtureSteeringFilesParse()
    {
        var mask = SteeringMask.Load(SteerMoE.Research.Tests.RepoPaths.Get("tests", "fixtures", "hf-parity", "olmoe", "steering.json"));
        Assert.Equal((2, 3), mask.Count);
        Assert.Equal([5, 6], mask.ForLayer(0)!.Deactivate.Select(e => e.Expert));
    }

    [Fact]
    public void LoadReadsThePlansLogSoftmaxScopeOnceAndNamesTheFileWhenItIsWrong()
    {
        string dir = SteerMoE.Research.Tests.RepoPaths.TempDir("rewrite-scope");
        string plan = Path.Combine(dir, "PLAN.json"), bare = Path.Combine(dir, "steering.json"), bad = Path.Combine(dir, "bad.json");
        File.WriteAllText(plan, """{"layers": {"1": {"activate": [0]}}, "log_softmax_scope": "steered-layers-only"}""");
        File.WriteAllText(bare, """{"1": {"activate": [0]}}""");
        File.WriteAllText(bad, """{"layers": {}, "log_softmax_scope": 3}""");
        Assert.Equal(LogSoftmaxScope.SteeredLayersOnly, SteeringRewrite.Load(plan, (2, 4, 2)).Scope);
        Assert.Equal(LogSoftmaxScope.AllMoeLayers, SteeringRewrite.Load(bare).Scope);
        Assert.Equal(LogSoftmaxScope.SteeredLayersOnly, SteeringMask.Load(plan).Scope);
        Assert.Equal($"{bad}: field 'log_softmax_scope': expected \"all-moe-layers\" or \"steered-layers-only\".",
            Assert.Throws<FormatException>(() => SteeringRewrite.Load(bad)).Message);
        Assert.Equal("steered-layers-only", LogSoftmaxScopeIds.Id(LogSoftmaxScope.SteeredLayersOnly));
    }
}
