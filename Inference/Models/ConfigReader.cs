using System.Text.Json;

namespace SteerMoE.Research.Inference.Models;

/// <summary>Typed access to the fields of a config.json, with errors that name the file and the field.</summary>
public sealed class ConfigReader
{
    private readonly JsonElement _root;
    private readonly HashSet<string> _looked = new(StringComparer.Ordinal);

    /// <summary>Wraps the parsed root object; <paramref name="source"/> names the file in errors.</summary>
    public ConfigReader(JsonElement root, string source) { _root = root; Source = source; }

    /// <summary>
    /// Fields of a Hugging Face config.json that do not change the forward pass at inference: training settings
    /// (dropouts, auxiliary losses, router noise, initialisation), generation/output flags and bookkeeping. Every other
    /// field the architecture does not read is reported by <see cref="Unread"/>.
    /// </summary>
    public static readonly IReadOnlySet<string> NotUsedAtInference = new HashSet<string>(StringComparer.Ordinal)
    {
        "_name_or_path", "transformers_version", "torch_dtype", "dtype", "auto_map", "tokenizer_class",
        "use_cache", "return_dict", "output_attentions", "output_hidden_states", "output_router_logits",
        "is_encoder_decoder", "chunk_size_feed_forward", "problem_type", "id2label", "label2id", "pad_token_id",
        "initializer_range", "attention_dropout", "hidden_dropout", "embd_pdrop", "resid_pdrop", "attn_pdrop",
        "router_aux_loss_coef", "router_z_loss_coef", "input_jitter_noise",
        // Mixtral's router_jitter_noise multiplies hidden states by noise in training only (Phi-3.5-MoE reads the same
        // name as its sparsemixer ε, so PhimoeArchitecture reads it).
        "router_jitter_noise",
        // Llama's pretraining_tp > 1 splits each projection into slices summed again: the same product.
        "pretraining_tp",
    };

    /// <summary>
    /// Top-level fields present in the file that no reader looked up and that are not in <see cref="NotUsedAtInference"/>,
    /// in file order: settings this project would silently ignore.
    /// </summary>
    public IReadOnlyList<string> Unread() =>
        _root.EnumerateObject().Select(p => p.Name).Where(n => !_looked.Contains(n) && !NotUsedAtInference.Contains(n)).Distinct().ToList();

    /// <summary>Marks every field not looked up so far as knowingly unused (a multimodal wrapper's top level: its vision parts).</summary>
    public void IgnoreAllOthers() => _looked.UnionWith(_root.EnumerateObject().Select(p => p.Name));

    /// <summary>Marks fields an architecture knowingly does not need (its comment says why), so they are not reported as unread.</summary>
    public void Ignore(params string[] fields) => _looked.UnionWith(fields);

    /// <summary>The file the fields come from.</summary>
    public string Source { get; }

    /// <summary>The raw element of a field, or null when absent or JSON null.</summary>
    public JsonElement? Raw(string field)
    {
        _looked.Add(field);
        return _root.TryGetProperty(field, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;
    }

    /// <summary>True when the field is in the object, JSON null included (where null and absent mean different things:
    /// Llama 4's attention_chunk_size null turns chunking off, absent means transformers' default).</summary>
    public bool Present(string field)
    {
        _looked.Add(field);
        return _root.TryGetProperty(field, out _);
    }

    /// <summary>An optional list of integers; null when absent.</summary>
    public int[]? Ints(string field)
    {
        if (Raw(field) is not { } v) return null;
        if (v.ValueKind != JsonValueKind.Array || v.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.Number || !x.TryGetInt32(out _)))
            throw Wrong(field, "a list of integers", v);
        return v.EnumerateArray().Select(x => x.GetInt32()).ToArray();
    }

    private FormatException Missing(string field, string what) => new($"{Source}: field '{field}' is missing; expected {what}.");
    private FormatException Wrong(string field, string what, JsonElement v) => new($"{Source}: field '{field}': expected {what}, got {v.GetRawText()}.");

    /// <summary>A required positive (or zero when allowed) integer.</summary>
    public int Int(string field, bool allowZero = false) => OptionalInt(field, allowZero) ?? throw Missing(field, "an integer");

    /// <summary>An optional integer; null when absent.</summary>
    public int? OptionalInt(string field, bool allowZero = true)
    {
        if (Raw(field) is not { } v) return null;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int i) || i < 0 || (i == 0 && !allowZero)) throw Wrong(field, allowZero ? "a non-negative integer" : "a positive integer", v);
        return i;
    }

    /// <summary>A required number.</summary>
    public double Double(string field) => OptionalDouble(field) ?? throw Missing(field, "a number");

    /// <summary>An optional number.</summary>
    public double? OptionalDouble(string field)
    {
        if (Raw(field) is not { } v) return null;
        if (v.ValueKind != JsonValueKind.Number) throw Wrong(field, "a number", v);
        return v.GetDouble();
    }

    /// <summary>An optional boolean with a default.</summary>
    public bool Bool(string field, bool fallback)
    {
        if (Raw(field) is not { } v) return fallback;
        if (v.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) throw Wrong(field, "true or false", v);
        return v.GetBoolean();
    }

    /// <summary>An optional string.</summary>
    public string? String(string field)
    {
        if (Raw(field) is not { } v) return null;
        if (v.ValueKind != JsonValueKind.String) throw Wrong(field, "a string", v);
        return v.GetString();
    }

    /// <summary>An optional list of strings.</summary>
    public IReadOnlyList<string>? Strings(string field)
    {
        if (Raw(field) is not { } v) return null;
        if (v.ValueKind != JsonValueKind.Array || v.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.String)) throw Wrong(field, "a list of strings", v);
        return v.EnumerateArray().Select(x => x.GetString()!).ToList();
    }

    /// <summary>A nested object as its own reader, or null when absent.</summary>
    public ConfigReader? Object(string field)
    {
        if (Raw(field) is not { } v) return null;
        if (v.ValueKind != JsonValueKind.Object) throw Wrong(field, "an object", v);
        return new ConfigReader(v, $"{Source}: {field}");
    }

    /// <summary>An optional list of numbers.</summary>
    public double[]? Doubles(string field)
    {
        if (Raw(field) is not { } v) return null;
        if (v.ValueKind != JsonValueKind.Array || v.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.Number)) throw Wrong(field, "a list of numbers", v);
        return v.EnumerateArray().Select(x => x.GetDouble()).ToArray();
    }
}
