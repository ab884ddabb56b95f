using SteerMoE.Research.Inference.Models;
using SteerMoE.Research.Inference.Routing;
using SteerMoE.Research.Tests;
using Xunit.Abstractions;

namespace SteerMoE.Research.Inference.Tests.Parity;

/// <summary>
/// The log_softmax scope (CONTRACTS §3): applying log_softmax to unsteered layers is a per-token shift of the
/// scores, invisible to softmax routers (Mixtral) but not to Phi-3.5's sparsemixer, whose mask compares
/// (max − s) / max(|s|, max) against 2ε.
/// </summary>
public class SteeringScopeTests(ITestOutputHelper output)
{
    private static float ScopeDifference(string arch)
    {
        string dir = RepoPaths.Fixture(arch);
        using var reference = new Reference(Path.Combine(dir, "reference.safetensors"));
        using var model = MoeModel.Load(dir);
        var mask = SteeringMask.Parse("""{"0": {"activate": [3], "deactivate": [5]}}""", "test plan");
        var all = model.Forward(reference.Batch(), new ForwardOptions { ReturnLogits = true, Rewrite = new SteeringRewrite(mask, LogSoftmaxScope.AllMoeLayers) }).Logits!;
        var only = model.Forward(reference.Batch(), new ForwardOptions { ReturnLogits = true, Rewrite = new SteeringRewrite(mask, LogSoftmaxScope.SteeredLayersOnly) }).Logits!;
        return HfParityTests.MaxAbs(all, only);
    }

    [Fact]
    public void ScopeIsInvisibleToSoftmaxRouting()
    {
        float d = ScopeDifference("mixtral");
        output.WriteLine($"mixtral: all-moe-layers vs steered-layers-only max abs logit difference {d:E3}");
        Assert.True(d < 1e-5f, $"mixtral: {d}");
    }

    [Fact]
    public void ScopeChangesSparsemixerRouting()
    {
        float d = ScopeDifference("phimoe");
        output.WriteLine($"phimoe: all-moe-layers vs steered-layers-only max abs logit difference {d:E3}");
        Assert.True(d > 1e-3f, $"phimoe: {d}");
    }
}
