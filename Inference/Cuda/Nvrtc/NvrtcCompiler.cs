using System.Text;
using SteerMoE.Research.Inference.Cuda.Native;

namespace SteerMoE.Research.Inference.Cuda.Nvrtc;

/// <summary>
/// Compiles CUDA C++ source at run time with NVRTC (libnvrtc.so.13 or .12) for the device's own architecture
/// (<c>--gpu-architecture=sm_XY</c>, giving a CUBIN), or, when NVRTC is older than the device, to PTX for the newest
/// architecture it knows (the driver JIT-compiles PTX). A failed compilation throws with NVRTC's log.
/// </summary>
internal static unsafe class NvrtcCompiler
{
    private static readonly Lazy<Api> Loaded = new(() => new Api());

    private sealed class Api
    {
        public readonly string Path;
        public readonly delegate* unmanaged<int, byte*> nvrtcGetErrorString;
        public readonly delegate* unmanaged<int*, int*, int> nvrtcVersion;
        public readonly delegate* unmanaged<nint*, byte*, byte*, int, byte**, byte**, int> nvrtcCreateProgram;
        public readonly delegate* unmanaged<nint*, int> nvrtcDestroyProgram;
        public readonly delegate* unmanaged<nint, int, byte**, int> nvrtcCompileProgram;
        public readonly delegate* unmanaged<nint, nuint*, int> nvrtcGetProgramLogSize;
        public readonly delegate* unmanaged<nint, byte*, int> nvrtcGetProgramLog;
        public readonly delegate* unmanaged<nint, nuint*, int> nvrtcGetCUBINSize;
        public readonly delegate* unmanaged<nint, byte*, int> nvrtcGetCUBIN;
        public readonly delegate* unmanaged<nint, nuint*, int> nvrtcGetPTXSize;
        public readonly delegate* unmanaged<nint, byte*, int> nvrtcGetPTX;

        public Api()
        {
            var (lib, path) = CudaLibraries.Load("nvrtc", "libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so");
            Path = path;
            nint F(string name) => CudaLibraries.Export(lib, path, name);
            nvrtcGetErrorString = (delegate* unmanaged<int, byte*>)F("nvrtcGetErrorString");
            nvrtcVersion = (delegate* unmanaged<int*, int*, int>)F("nvrtcVersion");
            nvrtcCreateProgram = (delegate* unmanaged<nint*, byte*, byte*, int, byte**, byte**, int>)F("nvrtcCreateProgram");
            nvrtcDestroyProgram = (delegate* unmanaged<nint*, int>)F("nvrtcDestroyProgram");
            nvrtcCompileProgram = (delegate* unmanaged<nint, int, byte**, int>)F("nvrtcCompileProgram");
            nvrtcGetProgramLogSize = (delegate* unmanaged<nint, nuint*, int>)F("nvrtcGetProgramLogSize");
            nvrtcGetProgramLog = (delegate* unmanaged<nint, byte*, int>)F("nvrtcGetProgramLog");
            nvrtcGetCUBINSize = (delegate* unmanaged<nint, nuint*, int>)F("nvrtcGetCUBINSize");
            nvrtcGetCUBIN = (delegate* unmanaged<nint, byte*, int>)F("nvrtcGetCUBIN");
            nvrtcGetPTXSize = (delegate* unmanaged<nint, nuint*, int>)F("nvrtcGetPTXSize");
            nvrtcGetPTX = (delegate* unmanaged<nint, byte*, int>)F("nvrtcGetPTX");
        }
    }

    private static void Check(int status, string call)
    {
        if (status == 0) return;
        byte* text = Loaded.Value.nvrtcGetErrorString(status);
        string name = text != null ? new string((sbyte*)text) : "NVRTC_ERROR_UNKNOWN";
        throw new CudaException(call, status, name, "see NVRTC's documentation of " + name);
    }

    /// <summary>"NVRTC 12.8 (path)".</summary>
    public static string Description
    {
        get
        {
            var api = Loaded.Value;
            int major, minor;
            Check(api.nvrtcVersion(&major, &minor), "nvrtcVersion");
            return $"NVRTC {major}.{minor} ({api.Path})";
        }
    }

    /// <summary>
    /// Compiles <paramref name="source"/> (named <paramref name="name"/> in messages) for compute capability
    /// <paramref name="capability"/>; returns a CUBIN, or a NUL-terminated PTX image when <paramref name="ptx"/>.
    /// </summary>
    public static byte[] Compile(string source, string name, (int Major, int Minor) capability, bool ptx = false)
    {
        var api = Loaded.Value;
        nint program;
        var src = Encoding.UTF8.GetBytes(source + "\0");
        var file = Encoding.UTF8.GetBytes(name + "\0");
        fixed (byte* s = src, f = file) Check(api.nvrtcCreateProgram(&program, s, f, 0, null, null), $"nvrtcCreateProgram({name})");
        try
        {
            string arch = ptx ? $"compute_{capability.Major}{capability.Minor}" : $"sm_{capability.Major}{capability.Minor}";
            // no fast-math: expf / rsqrtf / division stay IEEE so the `exact` mode can match the CPU within 1e-4
            string[] options = [$"--gpu-architecture={arch}", "--std=c++17", "-default-device", "--fmad=false"];
            var optionBytes = options.Select(o => Encoding.ASCII.GetBytes(o + "\0")).ToArray();
            var handles = optionBytes.Select(b => System.Runtime.InteropServices.GCHandle.Alloc(b, System.Runtime.InteropServices.GCHandleType.Pinned)).ToArray();
            try
            {
                byte** pointers = stackalloc byte*[options.Length];
                for (int i = 0; i < options.Length; i++) pointers[i] = (byte*)handles[i].AddrOfPinnedObject();
                int status = api.nvrtcCompileProgram(program, options.Length, pointers);
                if (status != 0)
                {
                    nuint logSize;
                    api.nvrtcGetProgramLogSize(program, &logSize);
                    var log = new byte[(int)logSize];
                    fixed (byte* l = log) api.nvrtcGetProgramLog(program, l);
                    throw new CudaException($"NVRTC could not compile {name} for {arch} ({string.Join(" ", options)}):\n{Encoding.UTF8.GetString(log).TrimEnd('\0')}");
                }
            }
            finally { foreach (var h in handles) h.Free(); }
            nuint size;
            if (ptx)
            {
                Check(api.nvrtcGetPTXSize(program, &size), $"nvrtcGetPTXSize({name})");
                var image = new byte[(int)size];
                fixed (byte* i = image) Check(api.nvrtcGetPTX(program, i), $"nvrtcGetPTX({name})");
                return image;
            }
            Check(api.nvrtcGetCUBINSize(program, &size), $"nvrtcGetCUBINSize({name})");
            var cubin = new byte[(int)size];
            fixed (byte* c = cubin) Check(api.nvrtcGetCUBIN(program, c), $"nvrtcGetCUBIN({name})");
            return cubin;
        }
        finally { api.nvrtcDestroyProgram(&program); }
    }
}
