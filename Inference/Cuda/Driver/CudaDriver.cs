using SteerMoE.Research.Inference.Cuda.Native;

namespace SteerMoE.Research.Inference.Cuda.Driver;

/// <summary>
/// The CUDA driver API (libcuda.so.1) through function pointers resolved at first use. Every call goes through
/// <see cref="Check"/>, which turns a non-zero CUresult into a <see cref="CudaException"/> naming the call, the status
/// name (cuGetErrorName) and its description (cuGetErrorString). Device pointers are <c>ulong</c> (CUdeviceptr).
/// </summary>
internal static unsafe class CudaDriver
{
    private static readonly Lazy<Api> Loaded = new(() => new Api());

    /// <summary>The resolved entry points (throws the library-not-found error on first use without a driver).</summary>
    public static Api Functions => Loaded.Value;

    /// <summary>Throws when <paramref name="status"/> is not CUDA_SUCCESS.</summary>
    public static void Check(int status, string call)
    {
        if (status == 0) return;
        var api = Loaded.Value;
        byte* name = null, text = null;
        api.cuGetErrorName(status, &name);
        api.cuGetErrorString(status, &text);
        throw new CudaException(call, status,
            name != null ? new string((sbyte*)name) : "CUDA_ERROR_UNKNOWN_STATUS",
            text != null ? new string((sbyte*)text) : "no description");
    }

    /// <summary>The driver's entry points (names as in cuda.h; the _v2 symbols are the current ABI).</summary>
    internal sealed class Api
    {
        public readonly string Path;
        public readonly delegate* unmanaged<uint, int> cuInit;
        public readonly delegate* unmanaged<int*, int> cuDriverGetVersion;
        public readonly delegate* unmanaged<int*, int> cuDeviceGetCount;
        public readonly delegate* unmanaged<int*, int, int> cuDeviceGet;
        public readonly delegate* unmanaged<byte*, int, int, int> cuDeviceGetName;
        public readonly delegate* unmanaged<int*, int, int, int> cuDeviceGetAttribute;
        public readonly delegate* unmanaged<nuint*, int, int> cuDeviceTotalMem;
        public readonly delegate* unmanaged<nint*, int, int> cuDevicePrimaryCtxRetain;
        public readonly delegate* unmanaged<int, int> cuDevicePrimaryCtxRelease;
        public readonly delegate* unmanaged<nint, int> cuCtxSetCurrent;
        public readonly delegate* unmanaged<int> cuCtxSynchronize;
        public readonly delegate* unmanaged<nuint*, nuint*, int> cuMemGetInfo;
        public readonly delegate* unmanaged<ulong*, nuint, int> cuMemAlloc;
        public readonly delegate* unmanaged<ulong, int> cuMemFree;
        public readonly delegate* unmanaged<void**, nuint, int> cuMemAllocHost;
        public readonly delegate* unmanaged<void*, int> cuMemFreeHost;
        public readonly delegate* unmanaged<ulong, void*, nuint, nint, int> cuMemcpyHtoDAsync;
        public readonly delegate* unmanaged<void*, ulong, nuint, nint, int> cuMemcpyDtoHAsync;
        public readonly delegate* unmanaged<ulong, ulong, nuint, nint, int> cuMemcpyDtoDAsync;
        public readonly delegate* unmanaged<ulong, byte, nuint, nint, int> cuMemsetD8Async;
        public readonly delegate* unmanaged<nint*, uint, int> cuStreamCreate;
        public readonly delegate* unmanaged<nint, int> cuStreamDestroy;
        public readonly delegate* unmanaged<nint, int> cuStreamSynchronize;
        public readonly delegate* unmanaged<nint, nint, uint, int> cuStreamWaitEvent;
        public readonly delegate* unmanaged<nint*, uint, int> cuEventCreate;
        public readonly delegate* unmanaged<nint, int> cuEventDestroy;
        public readonly delegate* unmanaged<nint, nint, int> cuEventRecord;
        public readonly delegate* unmanaged<nint, int> cuEventSynchronize;
        public readonly delegate* unmanaged<float*, nint, nint, int> cuEventElapsedTime;
        public readonly delegate* unmanaged<nint*, void*, int> cuModuleLoadData;
        public readonly delegate* unmanaged<nint, int> cuModuleUnload;
        public readonly delegate* unmanaged<nint*, nint, byte*, int> cuModuleGetFunction;
        public readonly delegate* unmanaged<nint, uint, uint, uint, uint, uint, uint, uint, nint, void**, void**, int> cuLaunchKernel;
        public readonly delegate* unmanaged<int, byte**, int> cuGetErrorName;
        public readonly delegate* unmanaged<int, byte**, int> cuGetErrorString;

        public Api()
        {
            var (lib, path) = CudaLibraries.Load("driver", "libcuda.so.1", "libcuda.so");
            Path = path;
            nint F(string name) => CudaLibraries.Export(lib, path, name);
            cuGetErrorName = (delegate* unmanaged<int, byte**, int>)F("cuGetErrorName");
            cuGetErrorString = (delegate* unmanaged<int, byte**, int>)F("cuGetErrorString");
            cuInit = (delegate* unmanaged<uint, int>)F("cuInit");
            cuDriverGetVersion = (delegate* unmanaged<int*, int>)F("cuDriverGetVersion");
            cuDeviceGetCount = (delegate* unmanaged<int*, int>)F("cuDeviceGetCount");
            cuDeviceGet = (delegate* unmanaged<int*, int, int>)F("cuDeviceGet");
            cuDeviceGetName = (delegate* unmanaged<byte*, int, int, int>)F("cuDeviceGetName");
            cuDeviceGetAttribute = (delegate* unmanaged<int*, int, int, int>)F("cuDeviceGetAttribute");
            cuDeviceTotalMem = (delegate* unmanaged<nuint*, int, int>)F("cuDeviceTotalMem_v2");
            cuDevicePrimaryCtxRetain = (delegate* unmanaged<nint*, int, int>)F("cuDevicePrimaryCtxRetain");
            cuDevicePrimaryCtxRelease = (delegate* unmanaged<int, int>)F("cuDevicePrimaryCtxRelease_v2");
            cuCtxSetCurrent = (delegate* unmanaged<nint, int>)F("cuCtxSetCurrent");
            cuCtxSynchronize = (delegate* unmanaged<int>)F("cuCtxSynchronize");
            cuMemGetInfo = (delegate* unmanaged<nuint*, nuint*, int>)F("cuMemGetInfo_v2");
            cuMemAlloc = (delegate* unmanaged<ulong*, nuint, int>)F("cuMemAlloc_v2");
            cuMemFree = (delegate* unmanaged<ulong, int>)F("cuMemFree_v2");
            cuMemAllocHost = (delegate* unmanaged<void**, nuint, int>)F("cuMemAllocHost_v2");
            cuMemFreeHost = (delegate* unmanaged<void*, int>)F("cuMemFreeHost");
            cuMemcpyHtoDAsync = (delegate* unmanaged<ulong, void*, nuint, nint, int>)F("cuMemcpyHtoDAsync_v2");
            cuMemcpyDtoHAsync = (delegate* unmanaged<void*, ulong, nuint, nint, int>)F("cuMemcpyDtoHAsync_v2");
            cuMemcpyDtoDAsync = (delegate* unmanaged<ulong, ulong, nuint, nint, int>)F("cuMemcpyDtoDAsync_v2");
            cuMemsetD8Async = (delegate* unmanaged<ulong, byte, nuint, nint, int>)F("cuMemsetD8Async");
            cuStreamCreate = (delegate* unmanaged<nint*, uint, int>)F("cuStreamCreate");
            cuStreamDestroy = (delegate* unmanaged<nint, int>)F("cuStreamDestroy_v2");
            cuStreamSynchronize = (delegate* unmanaged<nint, int>)F("cuStreamSynchronize");
            cuStreamWaitEvent = (delegate* unmanaged<nint, nint, uint, int>)F("cuStreamWaitEvent");
            cuEventCreate = (delegate* unmanaged<nint*, uint, int>)F("cuEventCreate");
            cuEventDestroy = (delegate* unmanaged<nint, int>)F("cuEventDestroy_v2");
            cuEventRecord = (delegate* unmanaged<nint, nint, int>)F("cuEventRecord");
            cuEventSynchronize = (delegate* unmanaged<nint, int>)F("cuEventSynchronize");
            cuEventElapsedTime = (delegate* unmanaged<float*, nint, nint, int>)F("cuEventElapsedTime");
            cuModuleLoadData = (delegate* unmanaged<nint*, void*, int>)F("cuModuleLoadData");
            cuModuleUnload = (delegate* unmanaged<nint, int>)F("cuModuleUnload");
            cuModuleGetFunction = (delegate* unmanaged<nint*, nint, byte*, int>)F("cuModuleGetFunction");
            cuLaunchKernel = (delegate* unmanaged<nint, uint, uint, uint, uint, uint, uint, uint, nint, void**, void**, int>)F("cuLaunchKernel");
        }
    }
}
