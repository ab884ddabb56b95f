using SteerMoE.Research.Inference.Models;

namespace SteerMoE.Research.Inference.Layers;

/// <summary>
/// Rotary position embedding in the rotate-half layout: for i &lt; D/2, (x_i, x_{i+D/2}) is rotated by
/// angle pos · invFreq_i, and cos/sin are multiplied by an attention factor. The inverse frequencies come
/// from the rope variant: default, YaRN (gpt-oss), long-rope (Phi-3.5, chosen by the sequence length) or llama3
/// (Llama 3.1+).
/// </summary>
public sealed class RotaryEmbedding
{
    private readonly float[] _shortInvFreq, _longInvFreq;   // [D/2]
    private readonly float _shortScale, _longScale;
    private readonly int _switchLength;                      // long-rope: sequences longer than this use the long factors

    /// <summary>Rotated dimensions per head.</summary>
    public int HeadDim { get; }
    /// <summary>
    /// Pairs are adjacent, (x_{2i}, x_{2i+1}) rotated by pos · invFreq_i (DeepSeek's rope, llama.cpp's "norm" type;
    /// transformers' DeepSeek de-interleaves q and k first, then rotates half: the same dot products), instead of
    /// (x_i, x_{i+D/2}).
    /// </summary>
    public bool AdjacentPairs { get; }

    /// <summary>Builds the frequencies of a rope variant for a head size (<paramref name="adjacentPairs"/>: see <see cref="AdjacentPairs"/>).</summary>
    public RotaryEmbedding(RopeSettings rope, int headDim, int maxPositions, bool adjacentPairs = false)
    {
        HeadDim = headDim; AdjacentPairs = adjacentPairs;
        int half = headDim / 2;
        var basic = new double[half];
        for (int i = 0; i < half; i++) basic[i] = Math.Pow(rope.Theta, (float)(2 * i) / headDim);   // base^(2i/D), exponent in fp32 as torch
        _switchLength = int.MaxValue;
        switch (rope.Type)
        {
            case "default":
                _shortInvFreq = _longInvFreq = basic.Select(b => (float)(1.0 / b)).ToArray();
                _shortScale = _longScale = 1f;
                break;
            case "yarn":
                (_shortInvFreq, _shortScale) = Yarn(rope, basic, headDim, maxPositions);
                (_longInvFreq, _longScale) = (_shortInvFreq, _shortScale);
                break;
            case "longrope":
                int original = rope.OriginalMaxPositions ?? maxPositions;
                double factor = (double)maxPositions / original;
                double attention = rope.AttentionFactor ?? (factor <= 1 ? 1.0 : Math.Sqrt(1 + Math.Log(factor) / Math.Log(original)));
                var shortF = rope.ShortFactor ?? throw new FormatException("config.json: rope_scaling.short_factor is missing (needed for longrope).");
                var longF = rope.LongFactor ?? throw new FormatException("config.json: rope_scaling.long_factor is missing (needed for longrope).");
                if (shortF.Length != half || longF.Length != half) throw new FormatException($"config.json: rope_scaling.short_factor/long_factor: expected {half} values (head_dim / 2).");
                _shortInvFreq = basic.Select((b, i) => (float)(1.0 / (shortF[i] * b))).ToArray();
                _longInvFreq = basic.Select((b, i) => (float)(1.0 / (longF[i] * b))).ToArray();
                _shortScale = (float)(rope.ShortMscale ?? attention);
                _longScale = (float)(rope.LongMscale ?? attention);
                _switchLength = original;
                break;
            case "llama3":
                _shortInvFreq = _longInvFreq = Llama3(rope, basic);
                _shortScale = _longScale = 1f;   // llama3 scales frequencies only: attention factor 1
                break;
            default: throw new NotSupportedException($"rope type '{rope.Type}'.");
        }
    }

    /// <summary>
    /// Llama 3's frequency-dependent interpolation. With wavelength λ = 2π / invFreq and the original context C:
    /// λ &lt; C / high_freq_factor keeps invFreq (high frequencies see many turns in C already); λ &gt; C / low_freq_factor
    /// divides it by the factor (plain interpolation); in between, s = (C / λ − low) / (high − low) blends the two,
    /// (1 − s) · invFreq / factor + s · invFreq. Computed in double from the fp32-exponent base, rounded once.
    /// </summary>
    private static float[] Llama3(RopeSettings rope, double[] basic)
    {
        double context = rope.OriginalMaxPositions ?? throw new FormatException("config.json: field 'rope_scaling.original_max_position_embeddings' is missing (rope_type llama3).");
        double lowWavelength = context / rope.LowFreqFactor, highWavelength = context / rope.HighFreqFactor;
        var inv = new float[basic.Length];   // [D/2]
        for (int i = 0; i < basic.Length; i++)
        {
            double f = 1.0 / basic[i], wavelength = 2 * Math.PI / f;
            if (wavelength < highWavelength) inv[i] = (float)f;
            else if (wavelength > lowWavelength) inv[i] = (float)(f / rope.Factor);
            else
            {
                double smooth = (context / wavelength - rope.LowFreqFactor) / (rope.HighFreqFactor - rope.LowFreqFactor);
                inv[i] = (float)((1 - smooth) * f / rope.Factor + smooth * f);
            }
        }
        return inv;
    }

    /// <summary>The inverse frequencies [HeadDim/2] a sequence of <paramref name="sequenceLength"/> positions rotates by
    /// (only long-rope depends on the length).</summary>
    public float[] InverseFrequencies(int sequenceLength) => (float[])(sequenceLength > _switchLength ? _longInvFreq : _shortInvFreq).Clone();

    private static (float[], float) Yarn(RopeSettings rope, double[] basic, int dim, int maxPositions)
    {
        int original = rope.OriginalMaxPositions ?? maxPositions;
        double factor = rope.OriginalMaxPositions is { } o ? (double)maxPositions / o : rope.Factor;
        static double MscaleOf(double scale, double m) => scale <= 1 ? 1.0 : 0.1 * m * Math.Log(scale) + 1.0;
        double attention = rope.AttentionFactor ?? (rope.Mscale is { } ms && rope.MscaleAllDim is { } ma
            ? MscaleOf(factor, ms) / MscaleOf(factor, ma) : MscaleOf(factor, 1));
        double CorrectionDim(double rotations) => dim * Math.Log(original / (rotations * 2 * Math.PI)) / (2 * Math.Log(rope.Theta));
        double low = CorrectionDim(rope.BetaFast), high = CorrectionDim(rope.BetaSlow);
        if (rope.Truncate) { low = Math.Floor(low); high = Math.Ceiling(high); }
        low = Math.Max(low, 0); high = Math.Min(high, dim - 1);
        if (low == high) high += 0.001;
        int half = dim / 2;
        var inv = new float[half];
        for (int i = 0; i < half; i++)
        {
            float ramp = Math.Clamp((float)((i - low) / (high - low)), 0f, 1f);
            float extrapolationFactor = 1f - ramp;
            float extrapolation = (float)(1.0 / basic[i]), interpolation = (float)(1.0 / (rope.Factor * basic[i]));
            inv[i] = interpolation * (1 - extrapolationFactor) + extrapolation * extrapolationFactor;
        }
        return (inv, (float)attention);
    }

    /// <summary>
    /// The rotation of one position: cos [HeadDim/2], sin [HeadDim/2], attention factor included
    /// (<paramref name="sequenceLength"/> selects long-rope's factors). The CUDA backend uploads these tables, so
    /// both backends rotate by the same values.
    /// </summary>
    internal void CosSin(int position, int sequenceLength, Span<float> cos, Span<float> sin)
    {
        bool isLong = sequenceLength > _switchLength;
        var inv = isLong ? _longInvFreq : _shortInvFreq;
        float scale = isLong ? _longScale : _shortScale;
        for (int i = 0; i < HeadDim / 2; i++)
        {
            float angle = position * inv[i];
            cos[i] = MathF.Cos(angle) * scale;
            sin[i] = MathF.Sin(angle) * scale;
        }
    }

    /// <summary>
    /// Rotates x [n, heads · stride] in place, the first HeadDim floats of each head (stride: the head size, HeadDim
    /// unless <paramref name="headStride"/> says more: partial rotary, GLM-4.5); row r has position positions[r]. <paramref name="sequenceLength"/>
    /// (the largest position + 1 in the call) selects long-rope's short or long factors.
    /// </summary>
    public void Apply(Span<float> x, int heads, ReadOnlySpan<int> positions, int sequenceLength, int headStride = 0)
    {
        int stride = headStride > 0 ? headStride : HeadDim;
        int half = HeadDim / 2, width = heads * stride;
        Span<float> cos = stackalloc float[half], sin = stackalloc float[half];
        for (int r = 0; r < positions.Length; r++)
        {
            CosSin(positions[r], sequenceLength, cos, sin);
            for (int h = 0; h < heads; h++)
            {
                var v = x.Slice(r * width + h * stride, HeadDim);
                if (AdjacentPairs)
                    for (int i = 0; i < half; i++)
                    {
                        float a = v[2 * i], b = v[2 * i + 1];
                        v[2 * i] = a * cos[i] + (-b) * sin[i];
                        v[2 * i + 1] = b * cos[i] + a * sin[i];
                    }
                else
                    for (int i = 0; i < half; i++)
                    {
                        float a = v[i], b = v[i + half];
                        v[i] = a * cos[i] + (-b) * sin[i];
                        v[i + half] = b * cos[i] + a * sin[i];
                    }
            }
        }
    }
}
