using SteerMoE.Research.Inference.Cuda.Driver;
using SteerMoE.Research.Inference.Cuda.Nvrtc;

namespace SteerMoE.Research.Inference.Cuda.Kernels;

/// <summary>One kernel argument: 8 bytes holding a device pointer, an int, a long, a float or a double.</summary>
internal readonly struct KernelArg
{
    public readonly ulong Bits;
    private KernelArg(ulong bits) => Bits = bits;
    public static implicit operator KernelArg(ulong pointer) => new(pointer);
    public static implicit operator KernelArg(long value) => new((ulong)value);
    public static implicit operator KernelArg(int value) => new((uint)value);
    public static implicit operator KernelArg(float value) => new(BitConverter.SingleToUInt32Bits(value));
    public static implicit operator KernelArg(double value) => new(BitConverter.DoubleToUInt64Bits(value));
    public static implicit operator KernelArg(DeviceBuffer buffer) => new(buffer.Pointer);
}

/// <summary>
/// The kernels of Sources/*.cu compiled once per process by NVRTC for the device's architecture, loaded as a module,
/// and launched on a stream. Launch errors (bad configuration, missing kernel) throw with the kernel's name.
/// </summary>
internal sealed unsafe class CudaKernels
{
    private static readonly Lazy<CudaKernels> Compiled = new(() => new CudaKernels());
    private readonly CudaModule _module;
    private readonly Dictionary<string, nint> _functions = new();

    private CudaKernels()
    {
        var device = CudaDevice.Current;
        byte[] image;
        try { image = NvrtcCompiler.Compile(KernelSources.Program(), "steermoe_kernels.cu", device.ComputeCapability); }
        catch (Native.CudaException e) when (e.StatusName == "NVRTC_ERROR_INVALID_OPTION")
        {
            // an NVRTC older than the device does not know its sm_XY: PTX for the same virtual arch fails too, so say so
            throw new Native.CudaException($"NVRTC ({NvrtcCompiler.Description}) does not support sm_{device.ComputeCapability.Major}{device.ComputeCapability.Minor}: {e.Message}");
        }
        _module = CudaModule.Load(image, "steermoe_kernels.cu");
        Description = $"{NvrtcCompiler.Description}, {KernelSources.Names.Count} sources, {image.Length} bytes of CUBIN for sm_{device.ComputeCapability.Major}{device.ComputeCapability.Minor}";
    }

    /// <summary>The compiled kernels (compiled at first use).</summary>
    public static CudaKernels Instance => Compiled.Value;

    /// <summary>What compiled them and for which architecture.</summary>
    public string Description { get; }

    private nint Function(string name)
    {
        lock (_functions)
        {
            if (!_functions.TryGetValue(name, out var f)) _functions[name] = f = _module.Function(name);
            return f;
        }
    }

    /// <summary>Launches <paramref name="kernel"/> on a 1-D grid.</summary>
    public void Launch(string kernel, CudaStream stream, long blocks, int threads, params KernelArg[] args)
    {
        if (blocks == 0) return;
        if (blocks > int.MaxValue) throw new ArgumentException($"{kernel}: {blocks} blocks exceed the grid limit.");
        var values = stackalloc ulong[args.Length];
        var pointers = stackalloc void*[args.Length];
        for (int i = 0; i < args.Length; i++) { values[i] = args[i].Bits; pointers[i] = &values[i]; }
        CudaDriver.Check(CudaDriver.Functions.cuLaunchKernel(Function(kernel), (uint)blocks, 1, 1, (uint)threads, 1, 1, 0, stream.Raw, pointers, null),
            $"cuLaunchKernel({kernel}, grid {blocks}, block {threads})");
    }

    /// <summary>Launches an element-wise kernel over <paramref name="count"/> items, 256 threads a block.</summary>
    public void LaunchElements(string kernel, CudaStream stream, long count, params KernelArg[] args) =>
        Launch(kernel, stream, (count + 255) / 256, 256, args);
}
