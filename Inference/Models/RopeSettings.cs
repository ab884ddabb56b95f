namespace SteerMoE.Research.Inference.Models;

/// <summary>
/// The rotary-embedding settings of a model, read from either <c>rope_theta</c> + <c>rope_scaling</c> (hub
/// configs) or <c>rope_parameters</c> (transformers 5). <see cref="Type"/>: "default", "yarn", "longrope"
/// (Phi-3.5's "su" is read as "longrope"), "llama3" (Llama 3.1+, Llama-Guard-3).
/// </summary>
public sealed record RopeSettings
{
    /// <summary>Base θ of the inverse frequencies.</summary>
    public double Theta { get; init; } = 10000.0;
    /// <summary>Scaling type: default, yarn, longrope or llama3.</summary>
    public string Type { get; init; } = "default";
    /// <summary>Context-extension factor (yarn, llama3).</summary>
    public double Factor { get; init; } = 1.0;
    /// <summary>YaRN: rotations per context above which a frequency is left unscaled (beta_fast).</summary>
    public double BetaFast { get; init; } = 32.0;
    /// <summary>YaRN: rotations per context below which a frequency is fully interpolated (beta_slow).</summary>
    public double BetaSlow { get; init; } = 1.0;
    /// <summary>YaRN: round the correction range to integers.</summary>
    public bool Truncate { get; init; } = true;
    /// <summary>llama3: wavelengths above original context / low_freq_factor are divided by the factor.</summary>
    public double LowFreqFactor { get; init; } = 1.0;
    /// <summary>llama3: wavelengths below original context / high_freq_factor are kept.</summary>
    public double HighFreqFactor { get; init; } = 4.0;
    /// <summary>Pretraining context of the scaled variants (null: max_position_embeddings).</summary>
    public int? OriginalMaxPositions { get; init; }
    /// <summary>Explicit attention factor (cos/sin multiplier), if configured.</summary>
    public double? AttentionFactor { get; init; }
    /// <summary>YaRN mscale, if configured.</summary>
    public double? Mscale { get; init; }
    /// <summary>YaRN mscale_all_dim, if configured.</summary>
    public double? MscaleAllDim { get; init; }
    /// <summary>Long-rope per-frequency divisors used up to the pretraining context.</summary>
    public double[]? ShortFactor { get; init; }
    /// <summary>Long-rope per-frequency divisors used beyond the pretraining context.</summary>
    public double[]? LongFactor { get; init; }
    /// <summary>Phi-3.5 long-rope cos/sin multiplier for short contexts.</summary>
    public double? ShortMscale { get; init; }
    /// <summary>Phi-3.5 long-rope cos/sin multiplier for long contexts.</summary>
    public double? LongMscale { get; init; }

    /// <summary>Reads the rope settings of a config (both conventions).</summary>
    public static RopeSettings Read(ConfigReader config)
    {
        var parameters = config.Object("rope_parameters");
        var scaling = parameters ?? config.Object("rope_scaling");
        double theta = parameters?.OptionalDouble("rope_theta") ?? config.OptionalDouble("rope_theta") ?? 10000.0;
        if (scaling is null) return new RopeSettings { Theta = theta };
        string type = (scaling.String("rope_type") ?? scaling.String("type") ?? "default").ToLowerInvariant();
        if (type == "su") type = "longrope";
        if (type is not ("default" or "yarn" or "longrope" or "llama3"))
            throw new NotSupportedException($"{scaling.Source}: field 'rope_type': rope type '{type}' is not supported (supported: default, yarn, longrope/su, llama3).");
        string block = parameters is null ? "rope_scaling" : "rope_parameters";
        if (type == "llama3")
        {
            // All four are part of the llama3 formula and have no published default: a missing one is an error.
            double Needed(string field) => scaling.OptionalDouble(field)
                ?? throw new FormatException($"{config.Source}: field '{block}.{field}' is missing; expected a number (rope_type llama3 needs factor, low_freq_factor, high_freq_factor and original_max_position_embeddings).");
            double factor = Needed("factor"), low = Needed("low_freq_factor"), high = Needed("high_freq_factor");
            int original = scaling.OptionalInt("original_max_position_embeddings", false)
                ?? throw new FormatException($"{config.Source}: field '{block}.original_max_position_embeddings' is missing; expected a positive integer (rope_type llama3).");
            if (!(factor > 0)) throw new FormatException($"{config.Source}: field '{block}.factor' = {factor}; expected a positive number.");
            // low = high (Llama 4 Scout: 1 and 1) leaves no band to blend: every frequency is kept or divided.
            if (!(low > 0 && high >= low)) throw new FormatException($"{config.Source}: fields '{block}.low_freq_factor' = {low} and 'high_freq_factor' = {high}; expected 0 < low_freq_factor <= high_freq_factor.");
            return new RopeSettings { Theta = theta, Type = type, Factor = factor, LowFreqFactor = low, HighFreqFactor = high, OriginalMaxPositions = original };
        }
        return new RopeSettings
        {
            Theta = theta, Type = type,
            Factor = scaling.OptionalDouble("factor") ?? 1.0,
            BetaFast = scaling.OptionalDouble("beta_fast") ?? 32.0,
            BetaSlow = scaling.OptionalDouble("beta_slow") ?? 1.0,
            Truncate = scaling.Bool("truncate", true),
            OriginalMaxPositions = scaling.OptionalInt("original_max_position_embeddings") ?? config.OptionalInt("original_max_position_embeddings"),
            AttentionFactor = scaling.OptionalDouble("attention_factor"),
            Mscale = scaling.OptionalDouble("mscale"),
            MscaleAllDim = scaling.OptionalDouble("mscale_all_dim"),
            ShortFactor = scaling.Doubles("short_factor"),
            LongFactor = scaling.Doubles("long_factor"),
            ShortMscale = scaling.OptionalDouble("short_mscale"),
            LongMscale = scaling.OptionalDouble("long_mscale"),
        };
    }
}
