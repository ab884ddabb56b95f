using System.Runtime.InteropServices;
using SteerMoE.Research.Inference.Cuda.Native;

namespace SteerMoE.Research.Inference.Cuda.Driver;

/// <summary>Device memory from cuMemAlloc, freed by the handle. <see cref="Pointer"/> is the CUdeviceptr.</summary>
internal sealed unsafe class DeviceBuffer : SafeHandle
{
    private DeviceBuffer() : base(0, true) { }

    /// <summary>Allocates <paramref name="bytes"/> (at least 1) on the current device.</summary>
    public static DeviceBuffer Allocate(long bytes, string what)
    {
        CudaDevice.Current.MakeCurrent();
        ulong pointer;
        CudaDriver.Check(CudaDriver.Functions.cuMemAlloc(&pointer, (nuint)Math.Max(1, bytes)), $"cuMemAlloc_v2({bytes} bytes for {what})");
        var buffer = new DeviceBuffer { Bytes = bytes };
        buffer.SetHandle((nint)pointer);
        return buffer;
    }

    /// <summary>Size in bytes.</summary>
    public long Bytes { get; private init; }
    /// <summary>The CUdeviceptr.</summary>
    public ulong Pointer => (ulong)handle;

    /// <inheritdoc />
    public override bool IsInvalid => handle == 0;

    /// <inheritdoc />
    protected override bool ReleaseHandle()
    {
        CudaDevice.Current.MakeCurrent();
        return CudaDriver.Functions.cuMemFree((ulong)handle) == 0;
    }
}

/// <summary>Page-locked host memory from cuMemAllocHost (the target of asynchronous device-to-host copies).</summary>
internal sealed unsafe class PinnedBuffer : SafeHandle
{
    private PinnedBuffer() : base(0, true) { }

    /// <summary>Allocates <paramref name="bytes"/> of pinned host memory.</summary>
    public static PinnedBuffer Allocate(long bytes, string what)
    {
        CudaDevice.Current.MakeCurrent();
        void* p;
        CudaDriver.Check(CudaDriver.Functions.cuMemAllocHost(&p, (nuint)Math.Max(1, bytes)), $"cuMemAllocHost_v2({bytes} bytes for {what})");
        var buffer = new PinnedBuffer { Bytes = bytes };
        buffer.SetHandle((nint)p);
        return buffer;
    }

    /// <summary>Size in bytes.</summary>
    public long Bytes { get; private init; }
    /// <summary>The host address.</summary>
    public void* Address => (void*)handle;

    /// <inheritdoc />
    public override bool IsInvalid => handle == 0;

    /// <inheritdoc />
    protected override bool ReleaseHandle()
    {
        CudaDevice.Current.MakeCurrent();
        return CudaDriver.Functions.cuMemFreeHost((void*)handle) == 0;
    }
}

/// <summary>A CUDA stream (non-blocking with respect to the legacy default stream).</summary>
internal sealed unsafe class CudaStream : SafeHandle
{
    private CudaStream() : base(0, true) { }

    /// <summary>Creates a stream.</summary>
    public static CudaStream Create()
    {
        CudaDevice.Current.MakeCurrent();
        nint s;
        CudaDriver.Check(CudaDriver.Functions.cuStreamCreate(&s, 1 /* CU_STREAM_NON_BLOCKING */), "cuStreamCreate");
        var stream = new CudaStream();
        stream.SetHandle(s);
        return stream;
    }

    /// <summary>The CUstream.</summary>
    public nint Raw => handle;

    /// <summary>Waits for everything queued on the stream.</summary>
    public void Synchronize() => CudaDriver.Check(CudaDriver.Functions.cuStreamSynchronize(handle), "cuStreamSynchronize");

    /// <inheritdoc />
    public override bool IsInvalid => handle == 0;

    /// <inheritdoc />
    protected override bool ReleaseHandle()
    {
        CudaDevice.Current.MakeCurrent();
        return CudaDriver.Functions.cuStreamDestroy(handle) == 0;
    }
}

/// <summary>A CUDA event: marks a point in a stream (routing capture ready, timing).</summary>
internal sealed unsafe class CudaEvent : SafeHandle
{
    private CudaEvent() : base(0, true) { }

    /// <summary>Creates an event; <paramref name="timing"/> false makes it cheaper (CU_EVENT_DISABLE_TIMING).</summary>
    public static CudaEvent Create(bool timing = false)
    {
        CudaDevice.Current.MakeCurrent();
        nint e;
        CudaDriver.Check(CudaDriver.Functions.cuEventCreate(&e, timing ? 0u : 2u), "cuEventCreate");
        var ev = new CudaEvent();
        ev.SetHandle(e);
        return ev;
    }

    /// <summary>Records the event on a stream.</summary>
    public void Record(CudaStream stream) => CudaDriver.Check(CudaDriver.Functions.cuEventRecord(handle, stream.Raw), "cuEventRecord");

    /// <summary>Blocks until the work before the event is done.</summary>
    public void Synchronize() => CudaDriver.Check(CudaDriver.Functions.cuEventSynchronize(handle), "cuEventSynchronize");

    /// <summary>Milliseconds from <paramref name="start"/> to this event (both recorded with timing).</summary>
    public float ElapsedSince(CudaEvent start)
    {
        float ms;
        CudaDriver.Check(CudaDriver.Functions.cuEventElapsedTime(&ms, start.handle, handle), "cuEventElapsedTime");
        return ms;
    }

    /// <inheritdoc />
    public override bool IsInvalid => handle == 0;

    /// <inheritdoc />
    protected override bool ReleaseHandle()
    {
        CudaDevice.Current.MakeCurrent();
        return CudaDriver.Functions.cuEventDestroy(handle) == 0;
    }
}

/// <summary>A loaded module (CUBIN or PTX image) and its kernels by name.</summary>
internal sealed unsafe class CudaModule : SafeHandle
{
    private CudaModule() : base(0, true) { }

    /// <summary>Loads a CUBIN / PTX image (PTX must end with a NUL byte).</summary>
    public static CudaModule Load(byte[] image, string what)
    {
        CudaDevice.Current.MakeCurrent();
        nint m;
        fixed (byte* p = image) CudaDriver.Check(CudaDriver.Functions.cuModuleLoadData(&m, p), $"cuModuleLoadData({what}, {image.Length} bytes)");
        var module = new CudaModule();
        module.SetHandle(m);
        return module;
    }

    /// <summary>A kernel of the module (extern "C" name).</summary>
    public nint Function(string name)
    {
        nint f;
        var bytes = System.Text.Encoding.ASCII.GetBytes(name + "\0");
        fixed (byte* p = bytes) CudaDriver.Check(CudaDriver.Functions.cuModuleGetFunction(&f, handle, p), $"cuModuleGetFunction({name})");
        return f;
    }

    /// <inheritdoc />
    public override bool IsInvalid => handle == 0;

    /// <inheritdoc />
    protected override bool ReleaseHandle()
    {
        CudaDevice.Current.MakeCurrent();
        return CudaDriver.Functions.cuModuleUnload(handle) == 0;
    }
}
