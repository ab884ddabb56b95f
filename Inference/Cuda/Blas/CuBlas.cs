using System.Runtime.InteropServices;
using SteerMoE.Research.Inference.Cuda.Driver;
using SteerMoE.Research.Inference.Cuda.Native;

namespace SteerMoE.Research.Inference.Cuda.Blas;

/// <summary>
/// cuBLAS (libcublas.so.13 or .12, with its libcublasLt) through function pointers: a handle bound to a stream, and
/// the row-major GEMMs the model needs, y [T, O] = x [T, I] · Wᵀ, W [O, I] row-major. In cuBLAS's column-major terms
/// that is yᵀ = op(W)·xᵀ with transa = T: m = O, n = T, k = I, lda = ldb = I, ldc = O.
/// <para>exact: <c>cublasSgemm_v2</c> under CUBLAS_PEDANTIC_MATH (no TF32, no reduced-precision shortcuts); fast under
/// CUBLAS_DEFAULT_MATH (the mode is switched per call, on the handle's stream order).
/// fast: <c>cublasGemmEx</c> bf16 × bf16 → fp32 with CUBLAS_COMPUTE_32F (fp32 accumulation), and
/// <c>cublasGemmGroupedBatchedEx</c> (cuBLAS 12.5+) for the expert GEMMs of one layer in a single call.</para>
/// </summary>
internal sealed unsafe class CuBlas : SafeHandle
{
    private static readonly Lazy<Api> Loaded = new(() => new Api());

    internal sealed class Api
    {
        public readonly string Path;
        public readonly delegate* unmanaged<nint*, int> cublasCreate;
        public readonly delegate* unmanaged<nint, int> cublasDestroy;
        public readonly delegate* unmanaged<nint, int*, int> cublasGetVersion;
        public readonly delegate* unmanaged<nint, nint, int> cublasSetStream;
        public readonly delegate* unmanaged<nint, int, int> cublasSetMathMode;
        public readonly delegate* unmanaged<int, byte*> cublasGetStatusName;
        public readonly delegate* unmanaged<int, byte*> cublasGetStatusString;
        public readonly delegate* unmanaged<nint, int, int, int, int, int, float*, float*, int, float*, int, float*, float*, int, int> cublasSgemm;
        public readonly delegate* unmanaged<nint, int, int, int, int, int, void*, void*, int, int, void*, int, int, void*, void*, int, int, int, int, int> cublasGemmEx;
        // (handle, transa[], transb[], m[], n[], k[], alpha[], A[], Atype, lda[], B[], Btype, ldb[], beta[], C[], Ctype, ldc[], groupCount, groupSize[], computeType)
        public readonly delegate* unmanaged<nint, int*, int*, int*, int*, int*, float*, void**, int, int*, void**, int, int*, float*, void**, int, int*, int, int*, int, int> cublasGemmGroupedBatchedEx;

        public Api()
        {
            var (lib, path) = CudaLibraries.Load("cublas", "libcublas.so.13", "libcublas.so.12", "libcublas.so");
            Path = path;
            nint F(string name) => CudaLibraries.Export(lib, path, name);
            cublasCreate = (delegate* unmanaged<nint*, int>)F("cublasCreate_v2");
            cublasDestroy = (delegate* unmanaged<nint, int>)F("cublasDestroy_v2");
            cublasGetVersion = (delegate* unmanaged<nint, int*, int>)F("cublasGetVersion_v2");
            cublasSetStream = (delegate* unmanaged<nint, nint, int>)F("cublasSetStream_v2");
            cublasSetMathMode = (delegate* unmanaged<nint, int, int>)F("cublasSetMathMode");
            cublasGetStatusName = (delegate* unmanaged<int, byte*>)F("cublasGetStatusName");
            cublasGetStatusString = (delegate* unmanaged<int, byte*>)F("cublasGetStatusString");
            cublasSgemm = (delegate* unmanaged<nint, int, int, int, int, int, float*, float*, int, float*, int, float*, float*, int, int>)F("cublasSgemm_v2");
            cublasGemmEx = (delegate* unmanaged<nint, int, int, int, int, int, void*, void*, int, int, void*, int, int, void*, void*, int, int, int, int, int>)F("cublasGemmEx");
            cublasGemmGroupedBatchedEx = (delegate* unmanaged<nint, int*, int*, int*, int*, int*, float*, void**, int, int*, void**, int, int*, float*, void**, int, int*, int, int*, int, int>)
                CudaLibraries.OptionalExport(lib, "cublasGemmGroupedBatchedEx");
        }
    }

    private const int OpN = 0, OpT = 1;
    private const int R32F = 0, R16BF = 14;          // cudaDataType
    private const int Compute32F = 68;               // CUBLAS_COMPUTE_32F
    private const int DefaultMath = 0, PedanticMath = 2;   // CUBLAS_DEFAULT_MATH, CUBLAS_PEDANTIC_MATH
    private int _mathMode = PedanticMath;

    // exact: pedantic (the prescribed fp32 compute in every phase, no TF32); fast: default (tensor cores for bf16)
    private void UseMathMode(int mode)
    {
        if (_mathMode == mode) return;
        Check(Loaded.Value.cublasSetMathMode(handle, mode), $"cublasSetMathMode({(mode == PedanticMath ? "CUBLAS_PEDANTIC_MATH" : "CUBLAS_DEFAULT_MATH")})");
        _mathMode = mode;
    }
    private const int GemmDefault = -1;              // CUBLAS_GEMM_DEFAULT

    private CuBlas() : base(0, true) { }

    /// <summary>A handle whose work goes to <paramref name="stream"/>, in pedantic math (no TF32).</summary>
    public static CuBlas Create(CudaStream stream)
    {
        CudaDevice.Current.MakeCurrent();
        var api = Loaded.Value;
        nint h;
        Check(api.cublasCreate(&h), "cublasCreate_v2");
        var blas = new CuBlas();
        blas.SetHandle(h);
        Check(api.cublasSetStream(h, stream.Raw), "cublasSetStream_v2");
        Check(api.cublasSetMathMode(h, PedanticMath), "cublasSetMathMode(CUBLAS_PEDANTIC_MATH)");
        return blas;
    }

    /// <summary>"cuBLAS 12.8.4 (path)", with whether the grouped GEMM is there.</summary>
    public string Description
    {
        get
        {
            int v;
            Check(Loaded.Value.cublasGetVersion(handle, &v), "cublasGetVersion_v2");
            return $"cuBLAS {v / 10000}.{v / 100 % 100}.{v % 100} ({Loaded.Value.Path}){(HasGroupedGemm ? ", cublasGemmGroupedBatchedEx" : ", no grouped GEMM (per-expert loop)")}";
        }
    }

    /// <summary>True when cublasGemmGroupedBatchedEx exists (cuBLAS 12.5+).</summary>
    public static bool HasGroupedGemm => Loaded.Value.cublasGemmGroupedBatchedEx != null;

    private static void Check(int status, string call)
    {
        if (status == 0) return;
        var api = Loaded.Value;
        byte* name = api.cublasGetStatusName(status), text = api.cublasGetStatusString(status);
        throw new CudaException(call, status, name != null ? new string((sbyte*)name) : "CUBLAS_STATUS_UNKNOWN", text != null ? new string((sbyte*)text) : "no description");
    }

    /// <summary>exact: y [t, o] fp32 = x [t, i] fp32 · w [o, i] fp32ᵀ (row-major, ldy = o).</summary>
    public void LinearF32(ulong x, ulong w, ulong y, int t, int o, int i)
    {
        if (t == 0 || o == 0) return;
        UseMathMode(PedanticMath);
        float alpha = 1, beta = 0;
        Check(Loaded.Value.cublasSgemm(handle, OpT, OpN, o, t, i, &alpha, (float*)w, i, (float*)x, i, &beta, (float*)y, o),
            $"cublasSgemm_v2(T, N, m={o}, n={t}, k={i})");
    }

    /// <summary>fast: y [t, o] fp32 = x [t, i] bf16 · w [o, i] bf16ᵀ, fp32 accumulation.</summary>
    public void LinearBf16(ulong x, ulong w, ulong y, int t, int o, int i)
    {
        if (t == 0 || o == 0) return;
        UseMathMode(DefaultMath);
        float alpha = 1, beta = 0;
        Check(Loaded.Value.cublasGemmEx(handle, OpT, OpN, o, t, i, &alpha, (void*)w, R16BF, i, (void*)x, R16BF, i, &beta, (void*)y, R32F, o, Compute32F, GemmDefault),
            $"cublasGemmEx(T, N, m={o}, n={t}, k={i}, bf16 x bf16 -> f32, CUBLAS_COMPUTE_32F)");
    }

    /// <summary>
    /// fast, grouped: for each group g, y_g [t_g, o] fp32 = x_g [t_g, i] bf16 · w_g [o, i] bf16ᵀ, one cuBLAS call
    /// (groups with t_g = 0 must be left out by the caller). Pointers are device addresses.
    /// </summary>
    public void GroupedLinearBf16(ReadOnlySpan<ulong> x, ReadOnlySpan<ulong> w, ReadOnlySpan<ulong> y, ReadOnlySpan<int> t, int o, int i, ulong devicePointerScratch)
    {
        int g = t.Length;
        if (g == 0) return;
        UseMathMode(DefaultMath);
        var api = Loaded.Value;
        // pointer arrays live in device memory (cuBLAS reads them on the GPU): [A... | B... | C...]
        var pointers = new ulong[3 * g];
        for (int j = 0; j < g; j++) { pointers[j] = w[j]; pointers[g + j] = x[j]; pointers[2 * g + j] = y[j]; }
        fixed (ulong* p = pointers)
            CudaDriver.Check(CudaDriver.Functions.cuMemcpyHtoDAsync(devicePointerScratch, p, (nuint)(pointers.Length * 8), Stream), "cuMemcpyHtoDAsync(grouped GEMM pointers)");
        var ta = new int[g]; var tb = new int[g]; var m = new int[g]; var n = new int[g]; var k = new int[g];
        var lda = new int[g]; var ldc = new int[g]; var alpha = new float[g]; var beta = new float[g]; var size = new int[g];
        for (int j = 0; j < g; j++) { ta[j] = OpT; tb[j] = OpN; m[j] = o; n[j] = t[j]; k[j] = i; lda[j] = i; ldc[j] = o; alpha[j] = 1; size[j] = 1; }
        fixed (int* pta = ta, ptb = tb, pm = m, pn = n, pk = k, plda = lda, pldc = ldc, psize = size)
        fixed (float* pa = alpha, pb = beta)
            Check(api.cublasGemmGroupedBatchedEx(handle, pta, ptb, pm, pn, pk, pa,
                    (void**)devicePointerScratch, R16BF, plda, (void**)(devicePointerScratch + (ulong)g * 8), R16BF, plda, pb,
                    (void**)(devicePointerScratch + (ulong)g * 16), R32F, pldc, g, psize, Compute32F),
                $"cublasGemmGroupedBatchedEx({g} groups, m={o}, k={i}, bf16 x bf16 -> f32)");
    }

    /// <summary>The stream the handle was bound to (set by the owner for the pointer-array copy).</summary>
    public nint Stream { get; set; }

    /// <inheritdoc />
    public override bool IsInvalid => handle == 0;

    /// <inheritdoc />
    protected override bool ReleaseHandle()
    {
        CudaDevice.Current.MakeCurrent();
        return Loaded.Value.cublasDestroy(handle) == 0;
    }
}
