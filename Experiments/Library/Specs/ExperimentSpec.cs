using SteerMoE.Research.Data.Files;
using System.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using SteerMoE.Research.Inference.Files;

namespace SteerMoE.Research.Specs;

/// <summary>The steering grid of an experiment: every combination is one cell (per selection metric, strategy and seed).</summary>
public sealed record SteeringGrid(
    IReadOnlyList<int> Activate,
    IReadOnlyList<int> Deactivate,
    IReadOnlyList<bool> Reverse,
    IReadOnlyList<double> Strength)
{
    /// <summary>
    /// <c>faithful</c>, <c>safe</c> or <c>unsafe</c> when the grid takes the paper's expert counts for the run's model
    /// (<see cref="PaperExpertCounts"/>); resolved by <see cref="ExperimentSpec.WithPaperCounts"/> before any cell runs.
    /// </summary>
    public string? PaperGoal { get; init; }
}

/// <summary>A benchmark of a spec: its id (Evaluation's BenchmarkRegistry), an optional path and a prompt limit.</summary>
/// <param name="Id">Benchmark id, e.g. <c>faitheval-counterfactual</c>.</param>
/// <param name="Path">File or folder of the local copy, relative to the data folder; null: the benchmark's default path.</param>
/// <param name="Limit">Read only the first this many prompts; null: all.</param>
public sealed record BenchmarkEntry(string Id, string? Path = null, int? Limit = null);

/// <summary>Detection pairs built from a source dataset at run time (<c>pairs: {from: squad, path: ...}</c>).</summary>
/// <param name="From"><c>squad</c> or <c>beavertails</c> (Data's PairBuilders).</param>
/// <param name="Limit">Use only the first this many pairs; null: all.</param>
public sealed record PairsSource(string From, int? Limit = null);

/// <summary>
/// An experiment spec (YAML, docs/CONTRACTS.md §13): model, paired data, selection metrics, steering grid,
/// selection strategies (the authors' and controls), evaluators, seeds. Unknown fields are errors naming
/// the file, line and column.
/// </summary>
public sealed record ExperimentSpec
{
    /// <summary>Name of the experiment (free text, used in reports).</summary>
    public required string Name { get; init; }
    /// <summary>Model folder (relative paths are relative to the spec file); "" when the spec leaves it to <c>--model</c>.</summary>
    public required string Model { get; init; }
    /// <summary>Paired detection dataset (JSONL), or with <see cref="PairsFrom"/> the source dataset the pairs are built from;
    /// relative to <see cref="Data"/> when the spec has a data folder.</summary>
    public required string Pairs { get; init; }
    /// <summary>When set, <see cref="Pairs"/> is a SQuAD or BeaverTails copy and the pairs are built from it at run time.</summary>
    public PairsSource? PairsFrom { get; init; }
    /// <summary>The data folder benchmarks and pairs are read from (relative to the spec file); null when the spec has none.</summary>
    public string? Data { get; init; }
    /// <summary>Benchmarks evaluated in every cell (docs/BENCHMARKS.md); empty: the evaluation file or held-out pairs.</summary>
    public IReadOnlyList<BenchmarkEntry> Benchmarks { get; init; } = [];
    /// <summary>The AIM jailbreak template (text with the request placeholder) for the <c>aim-*</c> benchmarks, relative to the data folder.</summary>
    public string? AimTemplate { get; init; }
    /// <summary>Judge model folders by judge evaluator id (e.g. <c>llama-guard</c>), relative to the spec file.</summary>
    public IReadOnlyDictionary<string, string> Judges { get; init; } = new Dictionary<string, string>();
    /// <summary>Prompts generated together in one batch (one KV cache).</summary>
    public int BatchSize { get; init; } = 16;
    /// <summary>Values given on the command line (<c>--model</c>, <c>--data</c>, ...): part of the spec's identity.</summary>
    public IReadOnlyDictionary<string, string> Overrides { get; init; } = new SortedDictionary<string, string>(StringComparer.Ordinal);
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
    /// <summary>The steering grids; the cells are the union of each grid's combinations (an ablation sweeps activation and deactivation in two grids).</summary>
    public required IReadOnlyList<SteeringGrid> Grids { get; init; }
    /// <summary>The first grid; setting it makes it the only one.</summary>
    public SteeringGrid Grid { get => Grids[0]; init => Grids = [value]; }
    /// <summary>New tokens generated per evaluation prompt.</summary>
    public int MaxNewTokens { get; init; } = 16;
    /// <summary>Where the spec came from (a path), for errors and relative paths.</summary>
    public string Source { get; init; } = "spec";
    /// <summary>The spec text as read (hashed into the run registry).</summary>
    public string Text { get; init; } = "";

    /// <summary>sha256 of the spec text and the command-line overrides, hex: identifies the spec in the registry.</summary>
    public string Sha256 => FileHash.Sha256(Encoding.UTF8.GetBytes(Overrides.Count == 0 ? Text
        : Text + "\n# overrides\n" + string.Concat(Overrides.Select(o => $"# {o.Key}={o.Value}\n"))));

    /// <summary>A path of the spec, made absolute relative to the spec file's folder.</summary>
    public string Resolve(string path) => Path.IsPathRooted(path) ? path
        : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(Source)) ?? ".", path));

    /// <summary>A data path (pairs, benchmarks, AIM template): relative to the data folder when the spec has one, else to the spec file.</summary>
    public string ResolveData(string path) => Data is null || Path.IsPathRooted(path) ? Resolve(path) : Path.GetFullPath(Path.Combine(Resolve(Data), path));

    /// <summary>
    /// The spec with command-line values filled in: <paramref name="model"/> and <paramref name="data"/> folders (relative to
    /// the working folder), judge folders by id, and expert counts that replace every grid's activate/deactivate lists.
    /// </summary>
    public ExperimentSpec WithOverrides(string? model = null, string? data = null, IReadOnlyDictionary<string, string>? judges = null,
        int? activate = null, int? deactivate = null)
    {
        var overrides = new SortedDictionary<string, string>(Overrides.ToDictionary(), StringComparer.Ordinal);
        var spec = this;
        if (model != null) { overrides["model"] = Path.GetFullPath(model); spec = spec with { Model = overrides["model"] }; }
        if (data != null) { overrides["data"] = Path.GetFullPath(data); spec = spec with { Data = overrides["data"] }; }
        if (judges is { Count: > 0 })
        {
            var all = new Dictionary<string, string>(Judges, StringComparer.Ordinal);
            foreach (var (id, dir) in judges) overrides["judge." + id] = all[id] = Path.GetFullPath(dir);
            spec = spec with { Judges = all };
        }
        if (activate != null || deactivate != null)
        {
            if (activate != null) overrides["activate"] = activate.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (deactivate != null) overrides["deactivate"] = deactivate.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
            spec = spec with
            {
                Grids = spec.Grids.Select(g => g with
                {
                    Activate = activate is { } a ? [a] : g.Activate, Deactivate = deactivate is { } d ? [d] : g.Deactivate,
                }).ToArray(),
            };
        }
        return spec with { Overrides = overrides };
    }

    /// <summary>Throws naming the spec and field when the model or the pairs are missing (the spec left them to flags that were not given).</summary>
    public void RequireInputs()
    {
        if (Model.Length == 0) throw new FormatException($"{Source}: model: missing; set it in the spec or pass --model DIR.");
        if (Pairs.Length == 0) throw new FormatException($"{Source}: pairs: missing; set it in the spec.");
        if (Data is null && (Benchmarks.Any(b => b.Path is null) || PairsFrom != null))
            throw new FormatException($"{Source}: data: missing; the benchmarks and pairs are read from a data folder: set it in the spec or pass --data DIR.");
    }

    /// <summary>
    /// The spec with every <c>paper: GOAL</c> grid replaced by the paper's counts for <paramref name="model"/>
    /// (<see cref="PaperExpertCounts"/>); the <c>unsafe</c> goal steers toward side 2 (reverse) of the safety pairs.
    /// </summary>
    public ExperimentSpec WithPaperCounts(Inference.Models.ModelConfig model)
    {
        if (Grids.All(g => g.PaperGoal is null)) return this;
        return this with
        {
            Grids = Grids.Select(g =>
            {
                if (g.PaperGoal is null) return g;
                // Counts given on the command line win; the paper's table is consulted only for the others.
                bool activateGiven = Overrides.ContainsKey("activate"), deactivateGiven = Overrides.ContainsKey("deactivate");
                var (a, d) = activateGiven && deactivateGiven ? (0, 0) : PaperExpertCounts.For(model, g.PaperGoal, Source);
                return g with
                {
                    Activate = activateGiven ? g.Activate : [a],
                    Deactivate = deactivateGiven ? g.Deactivate : [d],
                    Reverse = [g.PaperGoal == "unsafe"], PaperGoal = null,
                };
            }).ToArray(),
        };
    }

    /// <summary>Reads a spec file.</summary>
    public static ExperimentSpec Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such spec file.", path);
        return Parse(StrictUtf8.ReadFile(path), path);
    }

    private static readonly string[] TopFields = ["name", "model", "data", "pairs", "evaluation", "benchmarks", "aim_template", "judges", "holdout",
        "precision", "metrics", "strategies", "evaluators", "seeds", "grid", "max_new_tokens", "batch_size"];
    private static readonly string[] GridFields = ["activate", "deactivate", "reverse", "strength", "paper"];
    private static readonly string[] PairsFields = ["from", "path", "limit"];
    private static readonly string[] BenchmarkFields = ["id", "path", "limit"];
    private static readonly string[] MetricIds = [.. Detection.Ranking.DetectionMetric.All.Select(x => x.Id)];
    /// <summary>Strategy ids a spec may name.</summary>
    public static readonly string[] KnownStrategies = ["authors", "per-layer", "significant", "bottom", "random"];

    /// <summary>Parses spec YAML; <paramref name="source"/> names the file in errors.</summary>
    public static ExperimentSpec Parse(string yaml, string source)
    {
        var stream = new YamlStream();
        try { stream.Load(new StringReader(yaml)); }
        catch (YamlException ye) { throw new FormatException($"{source}: line {ye.Start.Line}, column {ye.Start.Column}: not valid YAML: {ye.Message}"); }
        // YamlDotNet reports some malformed documents as an invalid state or a bad argument rather than a YamlException.
        catch (Exception ie) when (ie is InvalidOperationException or ArgumentException) { throw new FormatException($"{source}: not valid YAML: {ie.Message}"); }
        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new FormatException($"{source}: expected one YAML mapping (name, model, pairs, grid, ...).");
        var r = new Reader(source);
        var top = r.Fields(root, "spec", TopFields);
        var gridNode = r.Require(top, root, "grid");
        IReadOnlyList<SteeringGrid> grids = gridNode is YamlSequenceNode seq && seq.Children.Count > 0
            ? seq.Children.Select((g, i) => ParseGrid(r, g, $"grid[{i}]")).ToArray()
            : [ParseGrid(r, gridNode, "grid")];
        string pairs = "";
        PairsSource? pairsFrom = null;
        if (top.TryGetValue("pairs", out var pn))
        {
            if (pn is YamlMappingNode pm)
            {
                var pf = r.Fields(pm, "pairs", PairsFields);
                pairsFrom = new PairsSource(r.OneOf(r.Require(pf, pm, "from"), "pairs.from", ["squad", "beavertails"]),
                    pf.TryGetValue("limit", out var pl) ? r.Int(pl, "pairs.limit", 1, int.MaxValue) : null);
                pairs = r.String(r.Require(pf, pm, "path"), "pairs.path");
            }
            else pairs = r.String(pn, "pairs");
        }
        var spec = new ExperimentSpec
        {
            Name = r.String(r.Require(top, root, "name"), "name"),
            Model = top.TryGetValue("model", out var mo) ? r.String(mo, "model") : "",
            Pairs = pairs,
            PairsFrom = pairsFrom,
            Data = top.TryGetValue("data", out var da) ? r.String(da, "data") : null,
            Evaluation = top.TryGetValue("evaluation", out var ev) ? r.String(ev, "evaluation") : null,
            Benchmarks = top.TryGetValue("benchmarks", out var bn) ? r.List(bn, "benchmarks", n => ParseBenchmark(r, n)) : [],
            AimTemplate = top.TryGetValue("aim_template", out var at) ? r.String(at, "aim_template") : null,
            Judges = top.TryGetValue("judges", out var jn) ? ParseJudges(r, jn) : new Dictionary<string, string>(),
            Holdout = top.TryGetValue("holdout", out var h) ? r.Double(h, "holdout", 0, 0.9) : 0.3,
            Precision = top.TryGetValue("precision", out var p) ? r.OneOf(p, "precision", ["exact", "fast"]) : "exact",
            Metrics = top.TryGetValue("metrics", out var m) ? r.List(m, "metrics", n => r.OneOf(n, "metrics", MetricIds)) : ["rd"],
            Strategies = top.TryGetValue("strategies", out var s) ? r.List(s, "strategies", n => r.OneOf(n, "strategies", KnownStrategies)) : ["authors", "random"],
            Evaluators = top.TryGetValue("evaluators", out var e) ? r.List(e, "evaluators", n => r.String(n, "evaluators")) : [],
            Seeds = top.TryGetValue("seeds", out var sd) ? r.List(sd, "seeds", n => r.Int(n, "seeds", int.MinValue, int.MaxValue)) : [0],
            MaxNewTokens = top.TryGetValue("max_new_tokens", out var mt) ? r.Int(mt, "max_new_tokens", 1, 4096) : 16,
            BatchSize = top.TryGetValue("batch_size", out var bs) ? r.Int(bs, "batch_size", 1, 4096) : 16,
            Grids = grids,
            Source = source,
            Text = yaml,
        };
        if (spec.Benchmarks.GroupBy(b => b.Id).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw r.Error(top["benchmarks"], $"benchmarks: '{twice.Key}' is listed twice");
        if (spec.Evaluation != null && spec.Benchmarks.Count > 0)
            throw r.Error(top["benchmarks"], "benchmarks: give an evaluation file or benchmarks, not both");
        if (spec.PairsFrom == null && top.ContainsKey("pairs") == false) throw r.Error(root, "missing required field 'pairs'");
        return spec;
    }

    private static SteeringGrid ParseGrid(Reader r, YamlNode node, string where)
    {
        if (node is not YamlMappingNode map) throw r.Error(node, $"{where}: expected a mapping with activate, deactivate, reverse, strength (or paper)");
        var grid = r.Fields(map, where, GridFields);
        string? paper = grid.TryGetValue("paper", out var pg) ? r.OneOf(pg, $"{where}.paper", PaperExpertCounts.Goals) : null;
        if (paper != null && (grid.ContainsKey("activate") || grid.ContainsKey("deactivate") || grid.ContainsKey("reverse")))
            throw r.Error(pg!, $"{where}.paper: the paper's counts set activate, deactivate and reverse; give either paper or those");
        return new SteeringGrid(
            grid.TryGetValue("activate", out var a) ? r.List(a, $"{where}.activate", n => r.Int(n, $"{where}.activate", 0, 100_000)) : [0],
            grid.TryGetValue("deactivate", out var d) ? r.List(d, $"{where}.deactivate", n => r.Int(n, $"{where}.deactivate", 0, 100_000)) : [0],
            grid.TryGetValue("reverse", out var rv) ? r.List(rv, $"{where}.reverse", n => r.Bool(n, $"{where}.reverse")) : [false],
            grid.TryGetValue("strength", out var st) ? r.List(st, $"{where}.strength", n => r.Double(n, $"{where}.strength", 0, 1)) : [1.0])
        { PaperGoal = paper };
    }

    private static BenchmarkEntry ParseBenchmark(Reader r, YamlNode node)
    {
        if (node is YamlScalarNode) return new BenchmarkEntry(r.String(node, "benchmarks"));
        if (node is not YamlMappingNode map) throw r.Error(node, "benchmarks: expected an id or a mapping with id, path, limit");
        var f = r.Fields(map, "benchmarks", BenchmarkFields);
        return new BenchmarkEntry(r.String(r.Require(f, map, "id"), "benchmarks.id"),
            f.TryGetValue("path", out var p) ? r.String(p, "benchmarks.path") : null,
            f.TryGetValue("limit", out var l) ? r.Int(l, "benchmarks.limit", 1, int.MaxValue) : null);
    }

    private static Dictionary<string, string> ParseJudges(Reader r, YamlNode node)
    {
        if (node is not YamlMappingNode map) throw r.Error(node, "judges: expected a mapping of judge id to model folder (e.g. llama-guard: ../models/Llama-Guard-3-1B)");
        var judges = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in map.Children)
        {
            string id = (k as YamlScalarNode)?.Value ?? throw r.Error(k, "judges: expected a judge id");
            if (!judges.TryAdd(id, r.String(v, $"judges.{id}"))) throw r.Error(k, $"field '{id}' appears twice in judges");
        }
        return judges;
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
