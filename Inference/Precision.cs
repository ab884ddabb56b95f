namespace SteerMoE.Research.Inference;

/// <summary>
/// The two numeric modes of every compute path (see docs/CONTRACTS.md, "Precision modes").
/// </summary>
public enum Precision
{
    /// <summary>fp32 activations and fp32 accumulation in a fixed reduction order. Parity tests and detection counts use it.</summary>
    Exact = 0,

    /// <summary>bf16 GEMM inputs with fp32 accumulation (oneDNN where installed). For throughput; its deviation from Exact is measured, never assumed.</summary>
    Fast = 1,
}

/// <summary>Parses and prints the command-line names of <see cref="Precision"/> ("exact", "fast").</summary>
public static class PrecisionNames
{
    /// <summary>Parses "exact" or "fast" (case-insensitive).</summary>
    public static Precision Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "exact" => Precision.Exact,
        "fast" => Precision.Fast,
        _ => throw new ArgumentException($"--precision: expected 'exact' or 'fast', got '{text}'."),
    };

    /// <summary>The command-line name of a precision mode.</summary>
    public static string Name(this Precision precision) => precision == Precision.Exact ? "exact" : "fast";
}
