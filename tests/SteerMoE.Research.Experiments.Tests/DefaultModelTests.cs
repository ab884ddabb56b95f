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
    /// models/default/planted_experts.json (written by tools/default-model/train.py --route-hint): per hinted layer, the
    /// expert each behaviour's answers were routed through in training. Returns (layer, expert) of "{behaviour}/{side}".
    /// </summary>
    internal static (int Layer, int Expert)[] Planted(string behaviour, int side)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Model, "planted_experts.json")));
        int group = doc.RootElement.GetProperty("groups").EnumerateArray().Select(g => g.GetString()).ToList().IndexOf($"{behaviour}/{side}");
        Assert.True(group >= 0, $"planted_experts.json has no group {behaviour}/{side}");
        return doc.RootElement.GetProperty("layers").EnumerateObject()
            .Select(l => (int.Parse(l.Name), l.Value[group].GetInt32())).ToArray();
    }

    /// <summary>
    /// Each demo spec at 0/2 and 2/2 (activate 0 or 2, deactivate 2), both ways. Detection must rank the planted
    /// experts first (the two of behaviour 1 with RD &gt; 0, the two of behaviour 2 with RD &lt; 0); every steered cell must
    /// switch (almost) every held-out prompt (McNemar p &lt; 0.01); and in each direction at least one cell must stand
    /// ≥ 0.25 beyond its random control. Not every random control is null on this model: activating any other expert
    /// in a hinted layer pushes the weaker of the two competing planted experts out of the top-2 (docs/DEFAULT_MODEL.md §6).
    /// Measured (seed 0, exact) in §6; the margins leave room for a retrained model of the same recipe, not for a null one.
    /// </summary>
    [Theory]
    [InlineData("counting.yaml", "counting", "digits-rate")]
    [InlineData("faithfulness.yaml", "faithfulness", "context-match")]
    [InlineData("safety.yaml", "safety", "refusal")]
    public void DemoFindsThePlantedExpertsAndSteersBothWaysBeyondTheRandomControl(string specFile, string behaviour, string rate)
    {
        string run = RepoPaths.TempDir("default-" + behaviour);
        var context = new SteerMoEContext(0);
        var spec = context.Experiments.LoadSpec(RepoPaths.Get("Experiments", "Library", "Demo", "Specs", specFile));
        var cells = context.Experiments.RunSteering(spec with { Grid = spec.Grid with { Activate = [0, 2], Deactivate = [2], Reverse = [false, true] } }, run);
        Assert.All(cells, c => Assert.Equal(CellStatus.Done, c.Status));

        var ranking = Data.Tables.CsvTable.Load(Path.Combine(run, "ranking.rd.csv"));
        int layer = ranking.ColumnIndex("layer"), expert = ranking.ColumnIndex("expert"), rd = ranking.ColumnIndex("risk_diff");
        var top = Enumerable.Range(0, 4).Select(r => (Layer: (int)ranking.Int64(r, layer), Expert: (int)ranking.Int64(r, expert), Rd: ranking.Double(r, rd))).ToArray();
        Assert.Equal(Planted(behaviour, 1).Order(), top.Where(t => t.Rd > 0).Select(t => (t.Layer, t.Expert)).Order());
        Assert.Equal(Planted(behaviour, 2).Order(), top.Where(t => t.Rd < 0).Select(t => (t.Layer, t.Expert)).Order());

        string key = rate + ".rate";
        double before = cells.Single(c => c.Cell.IsBaseline).Metrics[key];
        Assert.InRange(before, 0.15, 0.85);
        foreach (bool reverse in new[] { false, true })
        {
            double bestMargin = double.NegativeInfinity;
            foreach (int activate in new[] { 0, 2 })
            {
                var steered = cells.Single(c => c.Cell.Strategy == "authors" && c.Cell.Reverse == reverse && c.Cell.Activate == activate).Metrics;
                var random = cells.Single(c => c.Cell.Strategy == "random" && c.Cell.Reverse == reverse && c.Cell.Activate == activate).Metrics;
                string cell = $"{behaviour} {activate}/2 toward behaviour {(reverse ? 2 : 1)}";
                Assert.True(reverse ? steered[key] <= 0.05 : steered[key] >= 0.95, $"{cell}: {before} -> {steered[key]}");
                Assert.True(steered[rate + ".mcnemar_p"] < 0.01, $"{cell}: McNemar p {steered[rate + ".mcnemar_p"]}");
                bestMargin = Math.Max(bestMargin, reverse ? random[key] - steered[key] : steered[key] - random[key]);
            }
            Assert.True(bestMargin >= 0.25, $"{behaviour} toward behaviour {(reverse ? 2 : 1)}: no cell 0.25 beyond its random control (best {bestMargin})");
        }
    }
}
