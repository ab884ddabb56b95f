using System.Diagnostics;
using System.Runtime.InteropServices;

namespace SteerMoE.Research.Inference.Cuda.Native;

/// <summary>
/// Finds and loads the CUDA shared libraries: the driver (libcuda.so.1, installed with the NVIDIA driver) and the
/// runtime libraries cuBLAS, cuBLASLt and NVRTC for CUDA 13 or 12. These may come from a CUDA toolkit or only from
/// PyTorch's pip wheels (site-packages/nvidia/*/lib), so the search covers, in order: $STEERMOE_CUDA_LIBS (a
/// folder list), $LD_LIBRARY_PATH, /usr/local/cuda*/lib64 (and targets/x86_64-linux/lib), /usr/lib/x86_64-linux-gnu,
/// /usr/lib64, the site-packages of every python3 on PATH (asked for its sys.path) and the usual python prefixes,
/// then the loader's own default search by soname.
/// </summary>
public static class CudaLibraries
{
    private static readonly Lazy<IReadOnlyList<string>> Folders = new(SearchFolders);
    private static readonly object Gate = new();
    private static readonly Dictionary<string, (nint Handle, string Path)> Loaded = new();

    /// <summary>The folders searched, in order (computed once).</summary>
    public static IReadOnlyList<string> SearchedFolders => Folders.Value;

    /// <summary>
    /// Loads the first of <paramref name="sonames"/> found (e.g. libcublas.so.13, libcublas.so.12) and returns its
    /// handle and path; throws a <see cref="CudaException"/> naming every soname and folder searched otherwise.
    /// </summary>
    public static (nint Handle, string Path) Load(string what, params string[] sonames)
    {
        lock (Gate)
        {
            if (Loaded.TryGetValue(what, out var done)) return done;
            foreach (string soname in sonames)
            {
                foreach (string folder in Folders.Value)
                {
                    string path = Path.Combine(folder, soname);
                    if (!File.Exists(path)) continue;
                    PreloadSiblings(folder, soname);
                    if (NativeLibrary.TryLoad(path, out var handle)) return Loaded[what] = (handle, path);
                }
                if (NativeLibrary.TryLoad(soname, out var byName)) return Loaded[what] = (byName, soname + " (loader default path)");
            }
            throw new CudaException($"{string.Join(" / ", sonames)} not found (searched {string.Join(", ", Folders.Value)} and the loader's default path). " +
                                    (what == "driver" ? "Is an NVIDIA driver installed?" : "Install the CUDA 12/13 runtime (toolkit or the nvidia-* pip wheels), or set STEERMOE_CUDA_LIBS to the folder."));
        }
    }

    /// <summary>A function of a loaded library; throws naming the library and the symbol when it is missing.</summary>
    public static nint Export(nint library, string libraryPath, string symbol) =>
        NativeLibrary.TryGetExport(library, symbol, out var address) ? address
            : throw new CudaException($"{libraryPath} does not export {symbol} (too old a CUDA version?).");

    /// <summary>A function of a loaded library, or 0 when it does not export it (optional newer entry points).</summary>
    public static nint OptionalExport(nint library, string symbol) => NativeLibrary.TryGetExport(library, symbol, out var address) ? address : 0;

    // libcublas.so.N needs libcublasLt.so.N and libnvrtc.so.N loads libnvrtc-builtins.so.N.M by soname: loading
    // them from the same folder first makes the soname resolve even when the folder is not on the loader's path.
    private static void PreloadSiblings(string folder, string soname)
    {
        string[] patterns = soname.StartsWith("libcublas.so", StringComparison.Ordinal) ? [soname.Replace("libcublas", "libcublasLt")]
            : soname.StartsWith("libnvrtc.so", StringComparison.Ordinal) ? ["libnvrtc-builtins.so.*"] : [];
        foreach (string pattern in patterns)
            foreach (string file in SafeFiles(folder, pattern).OrderBy(f => f.Length))
            {
                NativeLibrary.TryLoad(file, out _);
                break;
            }
    }

    private static IEnumerable<string> SafeFiles(string folder, string pattern)
    {
        try { return Directory.Exists(folder) ? Directory.GetFiles(folder, pattern) : []; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return []; }
    }

    private static IReadOnlyList<string> SearchFolders()
    {
        var folders = new List<string>();
        void Add(string? folder)
        {
            if (string.IsNullOrWhiteSpace(folder)) return;
            try { folder = Path.GetFullPath(folder); } catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException) { return; }
            if (Directory.Exists(folder) && !folders.Contains(folder)) folders.Add(folder);
        }
        foreach (string f in (Environment.GetEnvironmentVariable("STEERMOE_CUDA_LIBS") ?? "").Split(':')) Add(f);
        foreach (string f in (Environment.GetEnvironmentVariable("LD_LIBRARY_PATH") ?? "").Split(':')) Add(f);
        foreach (string cuda in SafeDirectories("/usr/local", "cuda*").OrderByDescending(d => d, StringComparer.Ordinal))
        {
            Add(Path.Combine(cuda, "lib64"));
            Add(Path.Combine(cuda, "targets", "x86_64-linux", "lib"));
        }
        Add("/usr/lib/x86_64-linux-gnu");
        Add("/usr/lib64");
        Add("/usr/lib/wsl/lib");
        foreach (string sitePackages in PythonSitePackages())
        {
            string nvidia = Path.Combine(sitePackages, "nvidia");
            if (!Directory.Exists(nvidia)) continue;
            // nvidia/<component>/lib (CUDA 12 wheels: cublas, cuda_nvrtc, ...) and nvidia/cu13/lib (CUDA 13 wheels)
            foreach (string component in SafeDirectories(nvidia, "*").OrderByDescending(d => d, StringComparer.Ordinal))
            {
                Add(Path.Combine(component, "lib"));
                Add(Path.Combine(component, "lib64"));
            }
        }
        return folders;
    }

    private static IEnumerable<string> SafeDirectories(string folder, string pattern)
    {
        try { return Directory.Exists(folder) ? Directory.GetDirectories(folder, pattern) : []; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return []; }
    }

    /// <summary>site-packages folders: every python3 on PATH asked for its sys.path, plus the usual prefixes.</summary>
    private static List<string> PythonSitePackages()
    {
        var found = new List<string>();
        var pythons = new List<string>();
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
            foreach (string name in new[] { "python3", "python" })
            {
                string p = Path.Combine(dir, name);
                if (File.Exists(p) && !pythons.Contains(p)) pythons.Add(p);
            }
        foreach (string python in pythons)
        {
            try
            {
                using var process = Process.Start(new ProcessStartInfo(python, ["-c", "import sys; print('\\n'.join(sys.path))"])
                    { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false });
                if (process is null) continue;
                var output = process.StandardOutput.ReadToEndAsync();
                if (!process.WaitForExit(10_000)) { process.Kill(); continue; }
                foreach (string line in output.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    if (line.EndsWith("-packages", StringComparison.Ordinal)) found.Add(line);
            }
            catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or IOException) { }
        }
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        foreach (string prefix in new[] { "/usr/lib", "/usr/local/lib", "/opt/conda/lib", Path.Combine(home, ".local", "lib") })
            foreach (string py in SafeDirectories(prefix, "python3*"))
            {
                found.Add(Path.Combine(py, "site-packages"));
                found.Add(Path.Combine(py, "dist-packages"));
            }
        return found;
    }
}
