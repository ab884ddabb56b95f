namespace SteerMoE.Research.Inference.Cuda.Native;

/// <summary>
/// A failed CUDA call (driver API, NVRTC or cuBLAS), or a missing CUDA library / device. The message names the
/// call that failed, the status name and its description, e.g.
/// <c>CUDA: cuMemAlloc_v2(1073741824 bytes) failed: CUDA_ERROR_OUT_OF_MEMORY (2): out of memory</c>.
/// </summary>
public sealed class CudaException : Exception
{
    /// <summary>A failure of <paramref name="call"/> with a status code, its name and its description.</summary>
    public CudaException(string call, int status, string statusName, string statusText)
        : base($"CUDA: {call} failed: {statusName} ({status}): {statusText}")
    {
        Call = call; Status = status; StatusName = statusName;
    }

    /// <summary>A failure that has no status code (a library or device not found, a kernel that did not compile).</summary>
    public CudaException(string message) : base("CUDA: " + message)
    {
        Call = ""; StatusName = "";
    }

    /// <summary>The call that failed, with its arguments where they help ("" when there was no call).</summary>
    public string Call { get; }
    /// <summary>The status code the call returned (0 when there was no call).</summary>
    public int Status { get; }
    /// <summary>The status's symbolic name, e.g. CUDA_ERROR_OUT_OF_MEMORY ("" when there was no call).</summary>
    public string StatusName { get; }
}
