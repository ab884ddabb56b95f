using SteerMoE.Research.Data.Files;
using System.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SteerMoE.Research.Specs;

/// <summary>The steering grid of an experiment: every combination is one cell (per selection metric, strategy and seed).</summary>
public sealed record SteeringGrid(
    IReadOnlyList<int> Activate,
    IReadOnlyList<int> Deactivate,
    IReadOnlyList<bool> Reverse,
    IReadOnlyList<double> Strength);

/// <summary>
/// An experiment spec (YAML, docs/CONTRACTS.md §13): model, paired data, selection metrics, steering grid,
/// selection strategies (the authors' and controls), evaluators, seeds. Unknown fields are errors naming
/// the file, line and column.
/// </summary>
public sealed record ExperimentSpec
{
    /// <summary>Name of the experiment (free text, used in reports).</summary>
    public required string Name { get; init; }
    /// <summary>Model folder (relative paths are relative to the spec file).</summary>
    public required string Model { get; init; }
    /// <summary>Paired detection dataset (JSONL).</summary>
    public required string Pairs { get; init; }
    /// <summary>Evaluation prompts (JSONL); when null the runner holds out <see cref="Holdout"/> of the pairs.</summary>
    public string? Evaluation { get; init; }
    /// <summary>Share of pairs held out for evaluation when no evaluation file is given.</summary>
    public double Holdout { get; init; } = 0.3;
    /// <summary>Precision mode of every forward pass ("exact" or "fast").</summary>
    public string Precision { get; init; } = "exact";
    /// <summary>Selection metric ids (CONTRACTS §6), e.g. rd, log-or.</summary>
    public IReadOnlyList<string> Metrics { get; init; } = ["rd"];
    /// <summary>Selection strategies: authors, per-layer, significant, and the controls bottom and random.</summary>
    public IReadOnlyList<string> Strategies { get; init; } = ["authors", "random"];
    /// <summary>Evaluator ids applied to every cell.</summary>
    public IReadOnlyList<string> Evaluators { get; init; } = [];
    /// <summary>Seeds; each cell is run once per seed.</summary>
    public IReadOnlyList<int> Seeds { get; init; } = [0];
    /// <summary>The steering grid.</summary>
    public required SteeringGrid Grid { get; init; }
    /// <summary>New tokens generated per evaluation prompt.</summary>
    public int MaxNewTokens { get; init; } = 16;
    /// <summary>Where the spec came from (a path), for errors and relative paths.</summary>
    public string Source { get; init; } = "spec";
    /// <summary>The spec text as read (hashed into the run registry).</summary>
    public string Text { get; init; } = "";

    /// <summary>sha256 of the spec text, hex: identifies the spec in the registry.</summary>
    public string Sha256 => FileHash.Sha256(Encoding.UTF8.GetBytes(Text));

    /// <summary>A path of the spec, made absolute relative to the spec file's folder.</summary>
    public string Resolve(string path) => Path.IsPathRooted(path) ? path
        : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(Source)) ?? ".", path));

    /// <summary>Reads a spec file.</summary>
    public static ExperimentSpec Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such spec file.", path);
        return Parse(File.ReadAllText(path), path);
    }

    private static readonly string[] TopFields = ["name", "model", "pairs", "evaluation", "holdout", "precision", "metrics", "strategies", "evaluators", "seeds", "grid", "max_new_tokens"];
    private static readonly string[] GridFields = ["activate", "deactivate", "reverse", "strength"];
    /// <summary>Strategy ids a spec may name.</summary>
    public static readonly string[] KnownStrategies = ["authors", "per-layer", "significant", "bottom", "random"];

    /// <summary>Parses spec YAML; <paramref name="source"/> names the file in errors.</summary>
    public static ExperimentSpec Parse(string yaml, string source)
    {
        var stream = new YamlStream();
        try { stream.Load(new StringReader(yaml)); }
        catch (YamlException ye) { throw new FormatException($"{source}: line {ye.Start.Line}, column {ye.Start.Column}: not valid YAML: {ye.Message}"); }
        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new FormatException($"{source}: expected one YAML mapping (name, model, pairs, grid, ...).");
        var r = new Reader(source);
        var top = r.Fields(root, "spec", TopFields);
        var gridNode = r.Require(top, root, "grid") as YamlMappingNode ?? throw r.Error(top["grid"], "grid: expected a mapping with activate, deactivate, reverse, strength");
        var grid = r.Fields(gridNode, "grid", GridFields);
        var spec = new ExperimentSpec
        {
            Name = r.String(r.Require(top, root, "name"), "name"),
            Model = r.String(r.Require(top, root, "model"), "model"),
            Pairs = r.String(r.Require(top, root, "pairs"), "pairs"),
            Evaluation = top.TryGetValue("evaluation", out var ev) ? r.String(ev, "evaluation") : null,
            Holdout = top.TryGetValue("holdout", out var h) ? r.Double(h, "holdout", 0, 0.9) : 0.3,
            Precision = top.TryGetValue("precision", out var p) ? r.OneOf(p, "precision", ["exact", "fast"]) : "exact",
            Metrics = top.TryGetValue("metrics", out var m) ? r.List(m, "metrics", n => r.String(n, "metrics")) : ["rd"],
            Strategies = top.TryGetValue("strategies", out var s) ? r.List(s, "strategies", n => r.OneOf(n, "strategies", KnownStrategies)) : ["authors", "random"],
            Evaluators = top.TryGetValue("evaluators", out var e) ? r.List(e, "evaluators", n => r.String(n, "evaluators")) : [],
            Seeds = top.TryGetValue("seeds", out var sd) ? r.List(sd, "seeds", n => r.Int(n, "seeds", int.MinValue, int.MaxValue)) : [0],
            MaxNewTokens = top.TryGetValue("max_new_tokens", out var mt) ? r.Int(mt, "max_new_tokens", 1, 4096) : 16,
            Grid = new SteeringGrid(
                grid.TryGetValue("activate", out var a) ? r.List(a, "grid.activate", n => r.Int(n, "grid.activate", 0, 100_000)) : [0],
                grid.TryGetValue("deactivate", out var d) ? r.List(d, "grid.deactivate", n => r.Int(n, "grid.deactivate", 0, 100_000)) : [0],
                grid.TryGetValue("reverse", out var rv) ? r.List(rv, "grid.reverse", n => r.Bool(n, "grid.reverse")) : [false],
                grid.TryGetValue("strength", out var st) ? r.List(st, "grid.strength", n => r.Double(n, "grid.strength", 0, 1)) : [1.0]),
            Source = source,
            Text = yaml,
        };
        return spec;
    }

    /// <summary>Walks YAML nodes and reports errors with file, line and column.</summary>
    private sealed class Reader(string source)
    {
        public FormatException Error(YamlNode node, string what) =>
            new($"{source}: line {node.Start.Line}, column {node.Start.Column}: {what}.");

        public Dictionary<string, YamlNode> Fields(YamlMappingNode map, string where, string[] known)
        {
            var result = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
            foreach (var (k, v) in map.Children)
            {
                string key = (k as YamlScalarNode)?.Value ?? throw Error(k, $"{where}: expected a field name");
                if (!known.Contains(key)) throw Error(k, $"unknown field '{key}' in {where} (known: {string.Join(", ", known)})");
                if (!result.TryAdd(key, v)) throw Error(k, $"field '{key}' appears twice in {where}");
            }
            return result;
        }

        public YamlNode Require(Dictionary<string, YamlNode> fields, YamlNode parent, string name) =>
            fields.TryGetValue(name, out var n) ? n : throw Error(parent, $"missing required field '{name}'");

        public string String(YamlNode n, string field) =>
            n is YamlScalarNode { Value: { Length: > 0 } v } ? v : throw Error(n, $"{field}: expected a non-empty text value");

        public string OneOf(YamlNode n, string field, string[] allowed)
        {
            string v = String(n, field);
            return allowed.Contains(v) ? v : throw Error(n, $"{field}: '{v}' is not one of {string.Join(", ", allowed)}");
        }

        public int Int(YamlNode n, string field, int min, int max) =>
            n is YamlScalarNode { Value: var v } && int.TryParse(v, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out int i) && i >= min && i <= max
                ? i : throw Error(n, $"{field}: expected a whole number in [{min}, {max}]");

        public double Double(YamlNode n, string field, double min, double max) =>
            n is YamlScalarNode { Value: var v } && double.TryParse(v, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double d) && d >= min && d <= max
                ? d : throw Error(n, $"{field}: expected a number in [{min}, {max}]");

        public bool Bool(YamlNode n, string field) =>
            n is YamlScalarNode { Value: "true" or "false" } s ? s.Value == "true" : throw Error(n, $"{field}: expected true or false");

        public IReadOnlyList<T> List<T>(YamlNode n, string field, Func<YamlNode, T> item)
        {
            if (n is YamlScalarNode) return [item(n)];
            if (n is not YamlSequenceNode seq || seq.Children.Count == 0) throw Error(n, $"{field}: expected a value or a non-empty list");
            return seq.Children.Select(item).ToArray();
        }
    }
}
