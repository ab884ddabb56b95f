using System.Buffers;
using SteerMoE.Research.Inference.Kernels;

namespace SteerMoE.Research.Inference.Layers;

/// <summary>The experts of one MoE layer: applies one expert to a block of token rows.</summary>
public interface IExpertBank
{
    /// <summary>Number of experts (E).</summary>
    int Count { get; }
    /// <summary>Model width (input and output features).</summary>
    int Hidden { get; }
    /// <summary>x [n, Hidden] → y [n, Hidden] through expert <paramref name="expert"/>.</summary>
    void Apply(int expert, ReadOnlySpan<float> x, Span<float> y, int n, Precision precision);
}

/// <summary>SwiGLU experts: down(silu(gate x) · up x), separate gate / up / down matrices per expert (Mixtral's w1 / w3 / w2).</summary>
public sealed class SwiGluExperts : IExpertBank
{
    private readonly WeightMatrix[] _gate, _up, _down;

    /// <summary>gate[e], up[e] [I, H]; down[e] [H, I].</summary>
    public SwiGluExperts(WeightMatrix[] gate, WeightMatrix[] up, WeightMatrix[] down)
    {
        _gate = gate; _up = up; _down = down;
    }

    /// <inheritdoc />
    public int Count => _gate.Length;
    /// <inheritdoc />
    public int Hidden => _gate[0].Cols;
    /// <summary>Intermediate size (I).</summary>
    public int Intermediate => _gate[0].Rows;

    internal (WeightMatrix[] Gate, WeightMatrix[] Up, WeightMatrix[] Down) Matrices => (_gate, _up, _down);   // CUDA upload

    /// <inheritdoc />
    public void Apply(int expert, ReadOnlySpan<float> x, Span<float> y, int n, Precision precision)
    {
        int inter = Intermediate, length = n * inter;
        var g = ArrayPool<float>.Shared.Rent(length);   // [n, I] (pooled: a prefill runs thousands of these)
        var u = ArrayPool<float>.Shared.Rent(length);   // [n, I]
        try
        {
            MatMul.Linear(x, _gate[expert], g, n, precision);
            MatMul.Linear(x, _up[expert], u, n, precision);
            for (int i = 0; i < length; i++) g[i] = g[i] / (1f + MathF.Exp(-g[i])) * u[i];
            MatMul.Linear(g.AsSpan(0, length), _down[expert], y, n, precision);
        }
        finally { ArrayPool<float>.Shared.Return(g); ArrayPool<float>.Shared.Return(u); }
    }
}

/// <summary>
/// gpt-oss experts: one fused gate_up matrix [2I, H] whose output rows interleave gate (even) and up (odd),
/// with biases; gate clamped above at <c>limit</c>, up clamped to ±limit, glu = gate · σ(α · gate),
/// out = down((up + 1) · glu) + down bias.
/// </summary>
public sealed class ClampedSwiGluExperts : IExpertBank
{
    private readonly WeightMatrix[] _gateUp, _down;
    private readonly float[][] _gateUpBias, _downBias;

    internal (WeightMatrix[] GateUp, float[][] GateUpBias, WeightMatrix[] Down, float[][] DownBias) Matrices => (_gateUp, _gateUpBias, _down, _downBias);   // CUDA upload

    /// <summary>The clamp α and limit of gpt-oss.</summary>
    public const float Alpha = 1.702f, Limit = 7.0f;

    /// <summary>gateUp[e] [2I, H] (interleaved), gateUpBias[e] [2I], down[e] [H, I], downBias[e] [H].</summary>
    public ClampedSwiGluExperts(WeightMatrix[] gateUp, float[][] gateUpBias, WeightMatrix[] down, float[][] downBias,
        ExpertArithmetic arithmetic = ExpertArithmetic.Fp32)
    {
        _gateUp = gateUp; _gateUpBias = gateUpBias; _down = down; _downBias = downBias; Arithmetic = arithmetic;
    }

    /// <summary>fp32, or transformers' bf16 sequence for dequantised experts.</summary>
    public ExpertArithmetic Arithmetic { get; }

    /// <summary>The same experts (same weights) computed in <paramref name="arithmetic"/>.</summary>
    public ClampedSwiGluExperts WithArithmetic(ExpertArithmetic arithmetic) => new(_gateUp, _gateUpBias, _down, _downBias, arithmetic);

    /// <inheritdoc />
    public int Count => _gateUp.Length;
    /// <inheritdoc />
    public int Hidden => _gateUp[0].Cols;

    /// <inheritdoc />
    public void Apply(int expert, ReadOnlySpan<float> x, Span<float> y, int n, Precision precision)
    {
        if (Arithmetic == ExpertArithmetic.Bf16) { ApplyBf16(expert, x, y, n, precision); return; }
        int twoI = _gateUp[expert].Rows, inter = twoI / 2, hidden = Hidden;
        var gu = ArrayPool<float>.Shared.Rent(n * twoI);     // [n, 2I] interleaved gate/up
        var glu = ArrayPool<float>.Shared.Rent(n * inter);   // [n, I]
        try
        {
            MatMul.Linear(x, _gateUp[expert], gu, n, precision);
            var bias = _gateUpBias[expert];
            for (int t = 0; t < n; t++)
                for (int j = 0; j < inter; j++)
                {
                    float gate = gu[t * twoI + 2 * j] + bias[2 * j], up = gu[t * twoI + 2 * j + 1] + bias[2 * j + 1];
                    gate = MathF.Min(gate, Limit);
                    up = Math.Clamp(up, -Limit, Limit);
                    float g = gate * (1f / (1f + MathF.Exp(-(gate * Alpha))));
                    glu[t * inter + j] = (up + 1f) * g;
                }
            MatMul.Linear(glu.AsSpan(0, n * inter), _down[expert], y, n, precision);
        }
        finally { ArrayPool<float>.Shared.Return(gu); ArrayPool<float>.Shared.Return(glu); }
        var downBias = _downBias[expert];
        for (int t = 0; t < n; t++)
            for (int h = 0; h < hidden; h++) y[t * hidden + h] += downBias[h];
    }

    /// <summary>
    /// <see cref="ExpertArithmetic.Bf16"/>: every value below is a bf16 (R = round to bf16, ties to even). The GEMMs
    /// get bf16 inputs and bf16-exact weights, so their products are exact and only the fp32 sums' order can differ
    /// from transformers' (a rare tie of the final rounding).
    /// </summary>
    private void ApplyBf16(int expert, ReadOnlySpan<float> x, Span<float> y, int n, Precision precision)
    {
        int twoI = _gateUp[expert].Rows, inter = twoI / 2, hidden = Hidden;
        var xb = ArrayPool<float>.Shared.Rent(n * hidden);   // [n, H] x rounded to bf16
        var gu = ArrayPool<float>.Shared.Rent(n * twoI);     // [n, 2I] interleaved gate/up
        var glu = ArrayPool<float>.Shared.Rent(n * inter);   // [n, I]
        try
        {
            for (int i = 0; i < n * hidden; i++) xb[i] = BFloat16Rounding.Round(x[i]);
            MatMul.Linear(xb.AsSpan(0, n * hidden), _gateUp[expert], gu, n, precision);
            var bias = _gateUpBias[expert];
            for (int t = 0; t < n; t++)
                for (int j = 0; j < inter; j++)
                {
                    // R(R(x·W) + b), then the clamped SwiGLU one rounded op at a time, as bf16 tensor ops do
                    float gate = R(R(gu[t * twoI + 2 * j]) + bias[2 * j]), up = R(R(gu[t * twoI + 2 * j + 1]) + bias[2 * j + 1]);
                    gate = MathF.Min(gate, Limit);
                    up = Math.Clamp(up, -Limit, Limit);
                    float sigmoid = R((float)(1.0 / (1.0 + Math.Exp(-(double)R(gate * Alpha)))));
                    glu[t * inter + j] = R(R(up + 1f) * R(gate * sigmoid));
                }
            MatMul.Linear(glu.AsSpan(0, n * inter), _down[expert], y, n, precision);
        }
        finally { ArrayPool<float>.Shared.Return(xb); ArrayPool<float>.Shared.Return(gu); ArrayPool<float>.Shared.Return(glu); }
        var downBias = _downBias[expert];
        for (int t = 0; t < n; t++)
            for (int h = 0; h < hidden; h++) y[t * hidden + h] = R(R(y[t * hidden + h]) + downBias[h]);
    }

    private static float R(float value) => BFloat16Rounding.Round(value);
}
