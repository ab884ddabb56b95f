using System.Runtime.InteropServices;

namespace SteerMoE.Research.Inference.Kernels;

/// <summary>
/// oneDNN's bf16 GEMM through its C API (libdnnl.so.2, Debian libdnnl2 2.6), loaded at first use; absent
/// library → <see cref="Available"/> is false and the `fast` mode uses the managed kernel.
/// <c>dnnl_gemm_bf16bf16f32</c> is exported by libdnnl 2.6 but not declared in its dnnl.h (later versions
/// declare it); it has dnnl_sgemm's row-major signature with bf16 A and B:
/// <c>dnnl_status_t (char transa, char transb, dim_t M, dim_t N, dim_t K, float alpha, const bf16 *A, dim_t lda,
/// const bf16 *B, dim_t ldb, float beta, float *C, dim_t ldc)</c>, C = alpha·op(A)·op(B) + beta·C.
/// </summary>
public static unsafe class OneDnn
{
    private static readonly delegate* unmanaged<byte, byte, long, long, long, float, ushort*, long, ushort*, long, float, float*, long, int> Gemm;
    private static readonly delegate* unmanaged<int, void> OmpSetNumThreads;

    static OneDnn()
    {
        Description = "libdnnl.so.2 not found";
        if (!NativeLibrary.TryLoad("libdnnl.so.2", out var dnnl) && !NativeLibrary.TryLoad("libdnnl.so", out dnnl)) return;
        if (!NativeLibrary.TryGetExport(dnnl, "dnnl_gemm_bf16bf16f32", out var gemm))
        {
            Description = "libdnnl found but it does not export dnnl_gemm_bf16bf16f32";
            return;
        }
        Gemm = (delegate* unmanaged<byte, byte, long, long, long, float, ushort*, long, ushort*, long, float, float*, long, int>)gemm;
        string version = "";
        if (NativeLibrary.TryGetExport(dnnl, "dnnl_version", out var versionFn))
        {
            int* v = ((delegate* unmanaged<int*>)versionFn)();   // dnnl_version_t: int major, minor, patch; ...
            if (v != null) version = $" {v[0]}.{v[1]}.{v[2]}";
        }
        // libdnnl 2.6 in Debian runs on OpenMP (libgomp): its thread count is the calling thread's OpenMP setting.
        if (NativeLibrary.TryLoad("libgomp.so.1", out var gomp) && NativeLibrary.TryGetExport(gomp, "omp_set_num_threads", out var setThreads))
            OmpSetNumThreads = (delegate* unmanaged<int, void>)setThreads;
        // oneDNN has no bf16 GEMM for CPUs without AVX-512 (it answers dnnl_unimplemented): probe once with a 1x1x1 product.
        ushort one = 0x3F80;   // bf16 1.0
        float probe = 0;
        int status = Gemm((byte)'N', (byte)'T', 1, 1, 1, 1f, &one, 1, &one, 1, 0f, &probe, 1);
        if (status != 0 || probe != 1f)
        {
            Description = $"oneDNN{version} (libdnnl.so.2) found, but its bf16 GEMM is not available on this CPU ({(status != 0 ? StatusName(status) : "wrong result")}; it needs AVX-512)";
            return;
        }
        Available = true;
        Description = $"oneDNN{version} (libdnnl.so.2, dnnl_gemm_bf16bf16f32)";
    }

    /// <summary>True when libdnnl and its bf16 GEMM were found.</summary>
    public static bool Available { get; }

    /// <summary>What was found: library and version, or why it is not used.</summary>
    public static string Description { get; }

    /// <summary>
    /// y [m, n] fp32 (row stride <paramref name="ldy"/>, default n) = a [m, k] bf16 · bᵀ, b [n, k] bf16 (both
    /// row-major, K contiguous), on <paramref name="threads"/> OpenMP threads of the calling thread (default
    /// <see cref="Parallelism.Threads"/>). Throws with the status name when oneDNN fails.
    /// </summary>
    public static void GemmBf16(ushort* a, ushort* b, float* y, int m, int n, int k, long ldy = 0, int threads = 0)
    {
        if (!Available) throw new InvalidOperationException($"oneDNN bf16 GEMM unavailable: {Description}.");
        if (OmpSetNumThreads != null) OmpSetNumThreads(threads > 0 ? threads : Parallelism.Threads);
        long ldc = ldy > 0 ? ldy : n;
        int status = Gemm((byte)'N', (byte)'T', m, n, k, 1f, a, k, b, k, 0f, y, ldc);
        if (status != 0)
            throw new InvalidOperationException($"oneDNN dnnl_gemm_bf16bf16f32('N', 'T', M={m}, N={n}, K={k}, lda={k}, ldb={k}, ldc={ldc}) failed: {StatusName(status)} ({status}).");
    }

    private static string StatusName(int status) => status switch
    {
        1 => "dnnl_out_of_memory",
        2 => "dnnl_invalid_arguments",
        3 => "dnnl_unimplemented",
        4 => "dnnl_iterator_ends",
        5 => "dnnl_runtime_error",
        6 => "dnnl_not_required",
        _ => "unknown status",
    };
}
