namespace SteerMoE.Research.Inference.Layers;

/// <summary>A normalisation over the last axis: y = norm(x) row by row. In-place use (x and y the same span) is allowed.</summary>
public interface INorm
{
    /// <summary>Length of the normalised axis (the weight length).</summary>
    int Dim { get; }
    /// <summary>x, y [rows, Dim]; rows = x.Length / Dim.</summary>
    void Apply(ReadOnlySpan<float> x, Span<float> y);
}

/// <summary>RMSNorm: y = w · x / sqrt(mean(x²) + eps), fp32. Applied to any row length equal to the weight's:
/// a q/k norm over the whole projection (OLMoE) or per head (Qwen3) is the same class with a different weight length.</summary>
public sealed class RmsNorm(float[] weight, float eps) : INorm
{
    internal float[] Weight => weight;   // read by the CUDA backend's upload
    internal float Eps => eps;

    /// <inheritdoc />
    public int Dim => weight.Length;

    /// <inheritdoc />
    public void Apply(ReadOnlySpan<float> x, Span<float> y)
    {
        int d = weight.Length;
        for (int r = 0; r < x.Length / d; r++)
        {
            var row = x.Slice(r * d, d);
            float sum = 0f;
            for (int i = 0; i < d; i++) sum += row[i] * row[i];
            float inv = 1f / MathF.Sqrt(sum / d + eps);
            var dst = y.Slice(r * d, d);
            for (int i = 0; i < d; i++) dst[i] = weight[i] * (row[i] * inv);
        }
    }
}

/// <summary>LayerNorm with bias (Phi-3.5-MoE): y = (x − mean) / sqrt(var + eps) · w + b, biased variance, fp32.</summary>
public sealed class LayerNorm(float[] weight, float[] bias, float eps) : INorm
{
    internal float[] Weight => weight;   // read by the CUDA backend's upload
    internal float[] Bias => bias;
    internal float Eps => eps;

    /// <inheritdoc />
    public int Dim => weight.Length;

    /// <inheritdoc />
    public void Apply(ReadOnlySpan<float> x, Span<float> y)
    {
        int d = weight.Length;
        for (int r = 0; r < x.Length / d; r++)
        {
            var row = x.Slice(r * d, d);
            float mean = 0f;
            for (int i = 0; i < d; i++) mean += row[i];
            mean /= d;
            float variance = 0f;
            for (int i = 0; i < d; i++) { float c = row[i] - mean; variance += c * c; }
            variance /= d;
            float inv = 1f / MathF.Sqrt(variance + eps);
            var dst = y.Slice(r * d, d);
            for (int i = 0; i < d; i++) dst[i] = (row[i] - mean) * inv * weight[i] + bias[i];
        }
    }
}

/// <summary>A weightless RMS norm over rows of <see cref="Dim"/>: y = x / sqrt(mean(x²) + eps) (Llama 4's L2Norm of q and k per head).</summary>
public sealed class UnitRmsNorm(int dim, float eps) : INorm
{
    /// <inheritdoc />
    public int Dim => dim;

    /// <inheritdoc />
    public void Apply(ReadOnlySpan<float> x, Span<float> y)
    {
        for (int r = 0; r < x.Length / dim; r++)
        {
            var row = x.Slice(r * dim, dim);
            float sum = 0f;
            for (int i = 0; i < dim; i++) sum += row[i] * row[i];
            float inv = 1f / MathF.Sqrt(sum / dim + eps);
            var dst = y.Slice(r * dim, dim);
            for (int i = 0; i < dim; i++) dst[i] = row[i] * inv;
        }
    }
}

