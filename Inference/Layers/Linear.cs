using SteerMoE.Research.Inference.Kernels;

namespace SteerMoE.Research.Inference.Layers;

/// <summary>A projection y = x Wᵀ (+ b): W [Out, In] in its stored dtype, the optional bias widened to fp32.</summary>
public sealed class Linear(WeightMatrix weight, float[]? bias = null)
{
    /// <summary>The weight matrix.</summary>
    public WeightMatrix Weight { get; } = weight;
    /// <summary>The bias [Out], or null.</summary>
    public float[]? Bias { get; } = bias;
    /// <summary>Output features.</summary>
    public int Out => Weight.Rows;
    /// <summary>Input features.</summary>
    public int In => Weight.Cols;

    /// <summary>x [tokens, In] → y [tokens, Out].</summary>
    public void Apply(ReadOnlySpan<float> x, Span<float> y, int tokens, Precision precision)
    {
        MatMul.Linear(x, Weight, y, tokens, precision);
        if (Bias is null) return;
        for (int t = 0; t < tokens; t++)
        {
            var row = y.Slice(t * Out, Out);
            for (int o = 0; o < Out; o++) row[o] += Bias[o];
        }
    }
}
