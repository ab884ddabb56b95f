namespace SteerMoE.Research.Inference.Layers;

/// <summary>
/// How a gpt-oss expert bank (<see cref="ClampedSwiGluExperts"/>) computes (docs/CONTRACTS.md, "Precision modes").
/// Chosen when the model is loaded (<see cref="Models.LoadOptions.ExpertArithmetic"/>, `--expert-arithmetic`).
/// </summary>
public enum ExpertArithmetic
{
    /// <summary>Every expert op in fp32 (the default; what `exact` parity with an fp32 reference needs).</summary>
    Fp32 = 0,

    /// <summary>
    /// The sequence Hugging Face transformers runs on experts it dequantised from MXFP4 (they stay bf16 whatever dtype
    /// the model was loaded in): each GEMM takes its input rounded to bf16, sums in fp32 and rounds its output to bf16;
    /// the bias adds and every op of the clamped SwiGLU round to bf16 one op at a time. Routing weights and the
    /// weighted sum of the experts stay fp32. tools/reference/mxfp4 shows this is how transformers computed the
    /// gpt_oss_mxfp4 fixture.
    /// </summary>
    Bf16 = 1,
}

/// <summary>Parses and prints the command-line names of <see cref="ExpertArithmetic"/> ("fp32", "bf16").</summary>
public static class ExpertArithmeticNames
{
    /// <summary>Parses "fp32" or "bf16" (case-insensitive).</summary>
    public static ExpertArithmetic Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "fp32" => ExpertArithmetic.Fp32,
        "bf16" => ExpertArithmetic.Bf16,
        _ => throw new ArgumentException($"--expert-arithmetic: expected 'fp32' or 'bf16', got '{text}'."),
    };

    /// <summary>The command-line name of an expert arithmetic.</summary>
    public static string Name(this ExpertArithmetic arithmetic) => arithmetic == ExpertArithmetic.Fp32 ? "fp32" : "bf16";
}
