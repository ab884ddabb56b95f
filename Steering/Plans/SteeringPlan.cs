using System.Globalization;
using System.Text;
using System.Text.Json;
using SteerMoE.Research.Data.Files;
using SteerMoE.Research.Inference.Routing;
using SteerMoE.Research.Inference.Files;

namespace SteerMoE.Research.Steering.Plans;

/// <summary>
/// A steering plan: the per-layer activate / deactivate sets the engine applies (a <see cref="SteeringMask"/>),
/// the plan-level strength and log_softmax scope, and the provenance of the selection. Serialised as
/// PLAN.json (docs/CONTRACTS.md §5.2), which <see cref="SteeringMask.Parse"/> reads.
/// </summary>
public sealed class SteeringPlan
{
    /// <summary>The format id written into PLAN.json.</summary>
    public const string Format = "steermoe-plan/1";

    /// <summary>Builds a plan; the sets are checked as <see cref="SteeringMask"/> checks them (no expert named twice or in both lists).</summary>
    public SteeringPlan(IReadOnlyDictionary<int, LayerSteering> layers, PlanProvenance? provenance = null, double strength = 1.0,
        LogSoftmaxScope scope = LogSoftmaxScope.AllMoeLayers, string source = "steering plan", RewriteTarget target = RewriteTarget.SelectionScore)
    {
        if (!(strength >= 0 && strength <= 1)) throw new ArgumentException($"{source}: strength {strength} is outside [0, 1].");
        Mask = new SteeringMask(layers, source) { Scope = scope, Target = target };
        Provenance = provenance; Strength = strength; Scope = scope; Target = target;
    }

    /// <summary>The sets the engine applies.</summary>
    public SteeringMask Mask { get; }
    /// <summary>The steered layers, in increasing order (layers with empty sets are left out).</summary>
    public IReadOnlyDictionary<int, LayerSteering> Layers => Mask.Layers;
    /// <summary>The plan-level default strength λ.</summary>
    public double Strength { get; }
    /// <summary>Where the rewrite's log_softmax is applied.</summary>
    public LogSoftmaxScope Scope { get; }
    /// <summary>Which router score the rewrite replaces for routers that select on another score (docs/CONTRACTS.md §3).</summary>
    public RewriteTarget Target { get; }
    /// <summary>How the plan was made, or null for a hand-written plan.</summary>
    public PlanProvenance? Provenance { get; }

    /// <summary>
    /// Checks the plan against a model before use: every layer and expert exists, at most k activations per
    /// layer, and no layer is left with fewer than k experts to route to. Throws naming the layer.
    /// </summary>
    public void Validate(ModelShape model, string source = "steering plan") =>
        Mask.Validate(model.LayerCount, model.ExpertCount, model.TopK, source, model.DenseLayers);

    /// <summary>The PLAN.json text: one line per layer so that a plan stays readable.</summary>
    public string ToJson()
    {
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("format", Format);
            w.WritePropertyName("layers");
            w.WriteStartObject();
            foreach (var (layer, sets) in Layers)
            {
                w.WritePropertyName(layer.ToString(CultureInfo.InvariantCulture));
                w.WriteRawValue(LayerJson(sets));
            }
            w.WriteEndObject();
            w.WriteNumber("strength", Strength);
            w.WriteString("log_softmax_scope", ScopeId(Scope));
            // written only when not the default, so that plans for the softmax routers stay as they were
            if (Target != RewriteTarget.SelectionScore) w.WriteString("rewrite_target", RewriteTargetIds.Id(Target));
            if (Provenance is { } p) WriteProvenance(w, p);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    /// <summary>Writes PLAN.json atomically.</summary>
    public void Save(string path) => AtomicFile.WriteAllText(path, ToJson());

    /// <summary>Reads a PLAN.json (or a bare layers mapping): sets, strength, scope and provenance.</summary>
    public static SteeringPlan Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file (expected a PLAN.json).", path);
        return Parse(StrictUtf8.ReadFile(path), path);
    }

    /// <summary>Parses PLAN.json text; <paramref name="source"/> names the file in errors.</summary>
    public static SteeringPlan Parse(string json, string source)
    {
        var mask = SteeringMask.Parse(json, source); // the engine's reader: layers, per-expert strengths
        using var doc = StrictJson.Parse(json, source);
        var root = doc.RootElement;
        bool isPlan = root.TryGetProperty("layers", out _);
        double strength = isPlan && root.TryGetProperty("strength", out var s) ? s.GetDouble() : 1.0; // a number: SteeringMask.Parse checked it
        PlanProvenance? provenance = null;
        if (isPlan && root.TryGetProperty("provenance", out var p))
        {
            try { provenance = p.Deserialize<PlanProvenance>(JsonOptions); }
            catch (JsonException e) { throw new FormatException($"{source}: field 'provenance': {e.Message}"); }
        }
        return new SteeringPlan(mask.Layers, provenance, strength, mask.Scope, source, mask.Target);
    }

    /// <summary>The PLAN.json id of a scope.</summary>
    public static string ScopeId(LogSoftmaxScope scope) => LogSoftmaxScopeIds.Id(scope);

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    private string LayerJson(LayerSteering sets)
    {
        var sb = new StringBuilder("{\"activate\": [");
        AppendList(sb, sets.Activate);
        sb.Append("], \"deactivate\": [");
        AppendList(sb, sets.Deactivate);
        return sb.Append("]}").ToString();
    }

    private void AppendList(StringBuilder sb, IReadOnlyList<SteeredExpert> experts)
    {
        for (int i = 0; i < experts.Count; i++)
        {
            if (i > 0) sb.Append(", ");
            var e = experts[i];
            // An expert at the plan's strength is written as a bare index (the authors' form).
            if (e.Strength == Strength) sb.Append(e.Expert.ToString(CultureInfo.InvariantCulture));
            else sb.Append("{\"expert\": ").Append(e.Expert.ToString(CultureInfo.InvariantCulture))
                   .Append(", \"strength\": ").Append(e.Strength.ToString("R", CultureInfo.InvariantCulture)).Append('}');
        }
    }

    private static void WriteProvenance(Utf8JsonWriter w, PlanProvenance p)
    {
        w.WritePropertyName("provenance");
        JsonSerializer.Serialize(w, p, JsonOptions);
    }
}
