using System.Text.Json;
using SteerMoE.Research.Inference.Files;

namespace SteerMoE.Research.Inference.Routing;

/// <summary>One steered expert of a layer, with its strength λ in [0, 1] (1 = the paper's rewrite).</summary>
public readonly record struct SteeredExpert(int Expert, double Strength = 1.0);

/// <summary>The activate / deactivate sets of one MoE layer.</summary>
public sealed record LayerSteering(IReadOnlyList<SteeredExpert> Activate, IReadOnlyList<SteeredExpert> Deactivate)
{
    /// <summary>True when the layer steers no expert.</summary>
    public bool IsEmpty => Activate.Count == 0 && Deactivate.Count == 0;
}

/// <summary>
/// Which experts to force on or off in which decoder layer: the <c>layers</c> mapping of PLAN.json
/// (docs/CONTRACTS.md). Layers not named steer nothing.
/// </summary>
public sealed class SteeringMask
{
    private readonly SortedDictionary<int, LayerSteering> _layers;

    /// <summary>The plan's <c>log_softmax_scope</c> (PLAN.json; the default for a bare mapping or a mask built in code).</summary>
    public LogSoftmaxScope Scope { get; init; } = LogSoftmaxScope.AllMoeLayers;
    /// <summary>The plan's <c>rewrite_target</c> (PLAN.json; default <see cref="RewriteTarget.SelectionScore"/>).</summary>
    public RewriteTarget Target { get; init; } = RewriteTarget.SelectionScore;

    /// <summary>Builds a mask from per-layer sets; a layer may not name an expert twice or in both lists.</summary>
    public SteeringMask(IReadOnlyDictionary<int, LayerSteering> layers, string source = "steering mask")
    {
        _layers = new SortedDictionary<int, LayerSteering>();
        foreach (var (layer, sets) in layers)
        {
            if (layer < 0) throw new FormatException($"{source}: layer {layer}: layer indices are decoder-layer indices, expected >= 0.");
            var seen = new HashSet<int>();
            foreach (var e in sets.Activate.Concat(sets.Deactivate))
            {
                if (e.Expert < 0) throw new FormatException($"{source}: layer {layer}: expert {e.Expert}: expected an index >= 0.");
                if (!(e.Strength >= 0 && e.Strength <= 1)) throw new FormatException($"{source}: layer {layer}: expert {e.Expert}: strength {e.Strength} is outside [0, 1].");
                if (!seen.Add(e.Expert)) throw new FormatException($"{source}: layer {layer}: expert {e.Expert} is named twice (an expert is activated or deactivated, once).");
            }
            if (!sets.IsEmpty) _layers[layer] = sets;
        }
    }

    /// <summary>The steered layers, in increasing order.</summary>
    public IReadOnlyDictionary<int, LayerSteering> Layers => _layers;

    /// <summary>The sets of a layer, or null when it is not steered.</summary>
    public LayerSteering? ForLayer(int layer) => _layers.TryGetValue(layer, out var s) ? s : null;

    /// <summary>Total number of (layer, expert) entries activated and deactivated.</summary>
    public (int Activated, int Deactivated) Count =>
        (_layers.Values.Sum(l => l.Activate.Count), _layers.Values.Sum(l => l.Deactivate.Count));

    /// <summary>
    /// Checks the mask against a model's shape: every layer exists, every expert exists, and no layer is
    /// left with fewer than k experts that may still be chosen. Throws with the offending layer and expert.
    /// </summary>
    public void Validate(int layerCount, int expertCount, int topK, string source = "steering mask", IReadOnlyCollection<int>? denseLayers = null)
    {
        foreach (var (layer, sets) in _layers)
        {
            if (layer >= layerCount) throw new FormatException($"{source}: layer {layer} does not exist: the model has layers 0..{layerCount - 1}.");
            if (denseLayers is not null && denseLayers.Contains(layer))
                throw new FormatException($"{source}: layer {layer} is a dense layer (no router, no experts to steer); the model's MoE layers are {MoeLayerList(layerCount, denseLayers)}.");
            foreach (var e in sets.Activate.Concat(sets.Deactivate))
                if (e.Expert >= expertCount) throw new FormatException($"{source}: layer {layer}: expert {e.Expert} does not exist: the model has experts 0..{expertCount - 1}.");
            if (sets.Activate.Count > topK) throw new FormatException($"{source}: layer {layer}: {sets.Activate.Count} experts to activate, but only k = {topK} are routed per token.");
            if (expertCount - sets.Deactivate.Count < topK) throw new FormatException($"{source}: layer {layer}: deactivating {sets.Deactivate.Count} of {expertCount} experts leaves fewer than k = {topK} to route to.");
        }
    }

    private static string MoeLayerList(int layerCount, IReadOnlyCollection<int> dense) =>
        string.Join(", ", Enumerable.Range(0, layerCount).Where(l => !dense.Contains(l)));

    /// <summary>Reads a PLAN.json (an object with a <c>layers</c> field) or a bare steering.json mapping.</summary>
    public static SteeringMask Load(string path)
    {
        string text;
        try { text = StrictUtf8.ReadFile(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException && e is not FileNotFoundException) { throw new FileNotFoundException($"{path}: cannot read the steering plan: {e.Message}", path, e); }
        return Parse(text, path);
    }

    /// <summary>Parses PLAN.json text; <paramref name="source"/> names the file in errors.</summary>
    public static SteeringMask Parse(string json, string source)
    {
        using (var doc = StrictJson.Parse(json, source))
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new FormatException($"{source}: expected a JSON object (a layers mapping, or a plan with a 'layers' field).");
            double planStrength = 1.0;
            if (root.TryGetProperty("strength", out var st))
            {
                if (st.ValueKind != JsonValueKind.Number) throw new FormatException($"{source}: field 'strength': expected a number in [0, 1].");
                planStrength = st.GetDouble();
            }
            bool isPlan = root.TryGetProperty("layers", out var l);
            // A misspelt key would leave part of a plan unapplied without a word: every key must be known.
            if (isPlan) RejectUnknown(root, source, "the plan", ["format", "layers", "strength", "log_softmax_scope", "rewrite_target", "provenance"]);
            var mapping = isPlan ? l : root;
            if (mapping.ValueKind != JsonValueKind.Object) throw new FormatException($"{source}: field 'layers': expected an object mapping layer index to {{activate, deactivate}}.");
            var layers = new Dictionary<int, LayerSteering>();
            foreach (var prop in mapping.EnumerateObject())
            {
                if (!int.TryParse(prop.Name, System.Globalization.NumberStyles.None, null, out int layer))
                    throw new FormatException($"{source}: layers: key '{prop.Name}': expected a decoder-layer index.");
                if (prop.Value.ValueKind != JsonValueKind.Object) throw new FormatException($"{source}: layers.{prop.Name}: expected an object with 'activate' and 'deactivate' lists.");
                RejectUnknown(prop.Value, source, $"layers.{prop.Name}", ["activate", "deactivate"]);
                layers[layer] = new LayerSteering(
                    ReadList(prop.Value, "activate", $"{source}: layers.{prop.Name}", planStrength),
                    ReadList(prop.Value, "deactivate", $"{source}: layers.{prop.Name}", planStrength));
            }
            return new SteeringMask(layers, source)
            {
                Scope = isPlan && root.TryGetProperty("log_softmax_scope", out var scope) ? LogSoftmaxScopeIds.Parse(scope, source) : LogSoftmaxScope.AllMoeLayers,
                Target = isPlan && root.TryGetProperty("rewrite_target", out var target) ? RewriteTargetIds.Parse(target, source) : RewriteTarget.SelectionScore,
            };
        }
    }

    private static void RejectUnknown(JsonElement obj, string source, string where, string[] known)
    {
        foreach (var p in obj.EnumerateObject())
            if (!known.Contains(p.Name))
                throw new FormatException($"{source}: {where}: unknown field '{p.Name}' (known: {string.Join(", ", known)}).");
    }

    private static List<SteeredExpert> ReadList(JsonElement layer, string field, string where, double planStrength)
    {
        var list = new List<SteeredExpert>();
        if (!layer.TryGetProperty(field, out var arr)) return list;
        if (arr.ValueKind != JsonValueKind.Array) throw new FormatException($"{where}.{field}: expected a list of expert indices.");
        foreach (var item in arr.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.Number && item.TryGetInt32(out int e)) list.Add(new SteeredExpert(e, planStrength));
            else if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("expert", out var ex) && ex.TryGetInt32(out int e2))
            {
                RejectUnknown(item, where, $"{field} item {item.GetRawText()}", ["expert", "strength"]);
                double s = planStrength;
                if (item.TryGetProperty("strength", out var sv))
                {
                    if (sv.ValueKind != JsonValueKind.Number) throw new FormatException($"{where}.{field}: expert {e2}: 'strength' must be a number.");
                    s = sv.GetDouble();
                }
                list.Add(new SteeredExpert(e2, s));
            }
            else throw new FormatException($"{where}.{field}: item {item.GetRawText()}: expected an expert index or {{\"expert\": i, \"strength\": s}}.");
        }
        return list;
    }
}
