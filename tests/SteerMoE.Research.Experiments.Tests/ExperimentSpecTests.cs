using SteerMoE.Research.Specs;

namespace SteerMoE.Research.Experiments.Tests;

public class ExperimentSpecTests
{
    private const string Valid = """
        name: digits
        model: ../models/default
        pairs: pairs.jsonl
        metrics: [rd, log-or]
        strategies: [authors, random]
        seeds: [0, 1]
        grid:
          activate: [0, 2]
          deactivate: [0, 4]
          reverse: [false, true]
        """;

    [Fact]
    public void ParsesFieldsAndEnumeratesCells()
    {
        var spec = ExperimentSpec.Parse(Valid, "/tmp/exp/spec.yaml");
        Assert.Equal("digits", spec.Name);
        Assert.Equal("/tmp/models/default", spec.Resolve(spec.Model));
        Assert.Equal([1.0], spec.Grid.Strength);
        var cells = ExperimentCell.Enumerate(spec);
        // per seed: 1 baseline + 2 metrics x 2 strategies x (3 steering (a,d) pairs) x 2 directions
        Assert.Equal(2 * (1 + 2 * 2 * 3 * 2), cells.Count);
        Assert.Equal("metric=none/strategy=baseline/activate=0/deactivate=0/reverse=false/strength=1/seed=0", cells[0].Key);
        Assert.Equal(cells.Count, cells.Select(c => c.Key).Distinct().Count());
    }

    [Theory]
    [InlineData("grid:\n  actvate: [1]\n", "line 9, column 3: unknown field 'actvate' in grid (known: activate, deactivate, reverse, strength, paper)")]
    [InlineData("colour: red\n", "line 7, column 1: unknown field 'colour' in spec")]
    [InlineData("precision: half\n", "precision: 'half' is not one of exact, fast")]
    [InlineData("seeds: [a]\n", "seeds: expected a whole number")]
    [InlineData("metrics: [rdx]\n", "line 7, column 11: metrics: 'rdx' is not one of rd, ")]
    public void BadSpecsSayWhatAndWhere(string extra, string expected)
    {
        string yaml = "name: x\nmodel: m\npairs: p\ngrid:\n  activate: [1]\n" + "max_new_tokens: 4\n" + extra;
        if (extra.StartsWith("grid:")) yaml = "name: x\nmodel: m\npairs: p\nmax_new_tokens: 4\nholdout: 0.2\nprecision: exact\nseeds: [0]\n" + extra;
        var e = Assert.Throws<FormatException>(() => ExperimentSpec.Parse(yaml, "spec.yaml"));
        Assert.StartsWith("spec.yaml: ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void MissingRequiredFieldIsNamed()
    {
        var e = Assert.Throws<FormatException>(() => ExperimentSpec.Parse("name: x\nmodel: m\ngrid:\n  activate: 1\n", "s.yaml"));
        Assert.Contains("missing required field 'pairs'", e.Message);
    }
}
