using System.Reflection;

namespace SteerMoE.Research.Inference.Cuda.Kernels;

/// <summary>
/// The CUDA C++ kernel sources embedded in this assembly (Inference/Cuda/Kernels/Sources/*.cu): Common.cu (bf16
/// conversion, warp and block reductions) and one file per concept. NVRTC compiles them as one program, Common.cu
/// first; the clang check (ClangCheck/check.sh) concatenates them the same way.
/// </summary>
public static class KernelSources
{
    private const string Prefix = "SteerMoE.Research.Inference.Cuda.Kernels.";

    /// <summary>The file names of the embedded sources (e.g. "Attention.cu"), Common.cu first.</summary>
    public static IReadOnlyList<string> Names { get; } = typeof(KernelSources).Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith(Prefix, StringComparison.Ordinal) && n.EndsWith(".cu", StringComparison.Ordinal))
        .Select(n => n[Prefix.Length..])
        .OrderBy(n => n == "Common.cu" ? 0 : 1).ThenBy(n => n, StringComparer.Ordinal).ToList();

    /// <summary>The text of one embedded source.</summary>
    public static string Read(string name)
    {
        using var stream = typeof(KernelSources).Assembly.GetManifestResourceStream(Prefix + name)
            ?? throw new InvalidOperationException($"kernel source {name} is not embedded in {typeof(KernelSources).Assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>All sources concatenated as NVRTC compiles them, each preceded by a #line marker naming its file.</summary>
    public static string Program() => string.Join("\n", Names.Select(n => $"#line 1 \"{n}\"\n{Read(n)}"));
}
