using SteerMoE.Research.Inference.Cuda.Native;

namespace SteerMoE.Research.Inference.Cuda.Driver;

/// <summary>
/// The GPU this process uses: device 0 (or $STEERMOE_CUDA_DEVICE), its primary context made current on the calling
/// thread by every entry point of the backend, its name, compute capability and memory.
/// </summary>
public sealed unsafe class CudaDevice
{
    private static readonly Lazy<CudaDevice> Default = new(() => new CudaDevice());
    private readonly nint _context;

    private CudaDevice()
    {
        var api = CudaDriver.Functions;
        CudaDriver.Check(api.cuInit(0), "cuInit(0)");
        int version, count, device;
        CudaDriver.Check(api.cuDriverGetVersion(&version), "cuDriverGetVersion");
        CudaDriver.Check(api.cuDeviceGetCount(&count), "cuDeviceGetCount");
        if (count == 0) throw new CudaException($"the driver ({api.Path}) reports no CUDA device.");
        int ordinal = int.TryParse(Environment.GetEnvironmentVariable("STEERMOE_CUDA_DEVICE"), out int o) ? o : 0;
        if (ordinal < 0 || ordinal >= count) throw new CudaException($"STEERMOE_CUDA_DEVICE={ordinal}: the machine has devices 0..{count - 1}.");
        CudaDriver.Check(api.cuDeviceGet(&device, ordinal), $"cuDeviceGet({ordinal})");
        byte* name = stackalloc byte[256];
        CudaDriver.Check(api.cuDeviceGetName(name, 256, device), "cuDeviceGetName");
        int major, minor, sms;
        CudaDriver.Check(api.cuDeviceGetAttribute(&major, 75, device), "cuDeviceGetAttribute(COMPUTE_CAPABILITY_MAJOR)");
        CudaDriver.Check(api.cuDeviceGetAttribute(&minor, 76, device), "cuDeviceGetAttribute(COMPUTE_CAPABILITY_MINOR)");
        CudaDriver.Check(api.cuDeviceGetAttribute(&sms, 16, device), "cuDeviceGetAttribute(MULTIPROCESSOR_COUNT)");
        nuint total;
        CudaDriver.Check(api.cuDeviceTotalMem(&total, device), "cuDeviceTotalMem_v2");
        nint context;
        CudaDriver.Check(api.cuDevicePrimaryCtxRetain(&context, device), $"cuDevicePrimaryCtxRetain(device {ordinal})");
        _context = context;
        Ordinal = ordinal; Name = new string((sbyte*)name); ComputeCapability = (major, minor);
        Multiprocessors = sms; TotalMemory = (long)total; DriverVersion = version; DriverPath = api.Path;
        MakeCurrent();
    }

    /// <summary>The device, initialised at first use; throws a <see cref="CudaException"/> when there is no driver or GPU.</summary>
    public static CudaDevice Current => Default.Value;

    /// <summary>True when a driver and a device were found (never throws; the reason is in <see cref="Description"/>).</summary>
    public static bool Available => Probe().Ok;

    /// <summary>"NVIDIA H100 80GB HBM3, sm_90, 79.1 GiB, driver 12.8 (/usr/lib/...)" or why there is none.</summary>
    public static string Description => Probe().Text;

    private static (bool Ok, string Text)? _probe;
    private static (bool Ok, string Text) Probe()
    {
        if (_probe is { } p) return p;
        try
        {
            var d = Current;
            _probe = (true, $"{d.Name}, sm_{d.ComputeCapability.Major}{d.ComputeCapability.Minor}, {d.Multiprocessors} SMs, " +
                            $"{d.TotalMemory / (1024.0 * 1024 * 1024):F1} GiB, driver API {d.DriverVersion / 1000}.{d.DriverVersion % 1000 / 10} ({d.DriverPath})");
        }
        catch (CudaException e) { _probe = (false, e.Message); }
        return _probe.Value;
    }

    /// <summary>Device ordinal.</summary>
    public int Ordinal { get; }
    /// <summary>Device name as the driver reports it.</summary>
    public string Name { get; }
    /// <summary>Compute capability (9, 0 for an H100).</summary>
    public (int Major, int Minor) ComputeCapability { get; }
    /// <summary>Streaming multiprocessors.</summary>
    public int Multiprocessors { get; }
    /// <summary>Device memory in bytes.</summary>
    public long TotalMemory { get; }
    /// <summary>cuDriverGetVersion (12080 for 12.8).</summary>
    public int DriverVersion { get; }
    /// <summary>Where libcuda was loaded from.</summary>
    public string DriverPath { get; }

    /// <summary>Makes the primary context current on the calling thread (cheap; every backend entry point calls it).</summary>
    public void MakeCurrent() => CudaDriver.Check(CudaDriver.Functions.cuCtxSetCurrent(_context), "cuCtxSetCurrent(primary context)");

    /// <summary>Free and total device memory in bytes.</summary>
    public (long Free, long Total) MemoryInfo()
    {
        MakeCurrent();
        nuint free, total;
        CudaDriver.Check(CudaDriver.Functions.cuMemGetInfo(&free, &total), "cuMemGetInfo_v2");
        return ((long)free, (long)total);
    }
}
