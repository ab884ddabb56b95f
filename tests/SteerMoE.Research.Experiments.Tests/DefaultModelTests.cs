using System.Text.Json;
using SteerMoE.Research.Generation;
using SteerMoE.Research.Registry;
using SteerMoE.Research.Steering.Plans;
using SteerMoE.Research.Tests;

namespace SteerMoE.Research.Experiments.Tests;

/// <summary>The embedded default model (models/default): greedy outputs against PyTorch, and the demo's counting effect with margins from measured runs.</summary>
public class DefaultModelTests
{
    private static string Model => RepoPaths.Get("models", "default");

    /// <summary>tools/default-model/reference.json (PyTorch, fp32): greedy ids of fixed prompts, unsteered and steered.</summary>
    [Fact]
    public void GreedyOutputsMatchThePyTorchReferenceUnsteeredAndSteered()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(RepoPaths.Get("tools", "default-model", "reference.json")));
        using var g = SteeredGenerator.Load(Model);
        int checkedCount = 0;
        foreach (string section in new[] { "prompts", "steered" })
            foreach (var item in doc.RootElement.GetProperty(section).EnumerateArray())
            {
                var messages = item.GetProperty("messages").EnumerateArray().Select(m => new Inference.Text.ChatMessage(m.GetProperty("role").GetString()!, m.GetProperty("content").GetString()!)).ToArray();
                var prompt = new GenerationPrompt(section, messages, new Dictionary<string, string>());
                Assert.Equal(item.GetProperty("input_ids").EnumerateArray().Select(x => x.GetInt32()), g.EncodePrompt(prompt));
                var plan = section == "steered" ? SteeringPlan.Parse(item.GetProperty("layers").GetRawText(), "reference.json") : null;
                var expected = item.GetProperty("greedy_ids").EnumerateArray().Select(x => x.GetInt32()).ToArray();
                var output = g.Generate([prompt], plan, new GenerationSettings { MaxNewTokens = expected.Length })[0];
                Assert.Equal(expected, output.OutputIds);
                Assert.Equal(item.GetProperty("greedy_text").GetString(), output.OutputText);
                checkedCount++;
            }
        Assert.Equal(28, checkedCount);
    }

    /// <summary>
    /// The demo's counting spec. Measured (seed 0): digits rate 0.571 unsteered; activating 4 experts "toward
    /// behaviour 2" (words) gives 0.971 with its random control at 0.600. Margins: about a third of the distance.
    /// </summary>
    [Fact]
    public void CountingDemoMovesTheDigitRateFarBeyondTheRandomControl()
    {
        string run = RepoPaths.TempDir("default-counting");
        var context = new SteerMoEContext(0);
        var spec = context.Experiments.LoadSpec(RepoPaths.Get("Experiments", "Library", "Demo", "Specs", "counting.yaml"));
        var cells = context.Experiments.RunSteering(spec with { Grid = spec.Grid with { Activate = [4], Deactivate = [0], Reverse = [true] } }, run);
        Assert.All(cells, c => Assert.Equal(CellStatus.Done, c.Status));
        double before = cells.Single(c => c.Cell.IsBaseline).Metrics["digits-rate.rate"];
        var steered = cells.Single(c => c.Cell.Strategy == "authors").Metrics;
        var random = cells.Single(c => c.Cell.Strategy == "random").Metrics;
        Assert.InRange(before, 0.45, 0.70);
        Assert.True(steered["digits-rate.rate"] >= 0.85, $"steered digits rate {steered["digits-rate.rate"]}");
        Assert.True(steered["digits-rate.mcnemar_p"] < 0.01);
        Assert.True(random["digits-rate.rate"] <= 0.75, $"random control digits rate {random["digits-rate.rate"]}");
    }
}
