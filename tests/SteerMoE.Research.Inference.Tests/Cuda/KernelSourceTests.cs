using System.Diagnostics;
using System.Text.RegularExpressions;
using SteerMoE.Research.Inference.Cuda.Kernels;
using SteerMoE.Research.Tests;

namespace SteerMoE.Research.Inference.Tests.Cuda;

/// <summary>Runs only where clang-14 is installed (tools/setup-test-deps.d/system.sh installs it).</summary>
public sealed class ClangFactAttribute : FactAttribute
{
    /// <summary>Skips with a message when clang-14 is absent.</summary>
    public ClangFactAttribute()
    {
        if (!KernelSourceTests.ClangPresent) Skip = "clang-14 not installed: the CUDA kernel sources cannot be compiled here (apt-get install clang-14)";
    }
}

/// <summary>
/// The CUDA kernel sources without a GPU: every source compiles to PTX with clang-14 (no CUDA SDK, the same text
/// NVRTC compiles plus ClangCheck/prelude.h), and what is embedded in the assembly is what is on disk.
/// </summary>
public class KernelSourceTests
{
    internal static bool ClangPresent => RepoPaths.OnPath("clang-14") is not null;

    private static string SourceFolder => RepoPaths.Get("Inference", "Cuda", "Kernels", "Sources");

    [Fact]
    public void EmbeddedSourcesAreTheFilesOnDisk()
    {
        var onDisk = Directory.GetFiles(SourceFolder, "*.cu").Select(f => Path.GetFileName(f)!).OrderBy(n => n, StringComparer.Ordinal).ToList();
        Assert.Equal(onDisk, KernelSources.Names.OrderBy(n => n, StringComparer.Ordinal).ToList());
        Assert.Equal("Common.cu", KernelSources.Names[0]);
        foreach (var name in onDisk) Assert.Equal(File.ReadAllText(Path.Combine(SourceFolder, name!)), KernelSources.Read(name!));
    }

    [Fact]
    public void SourcesIncludeNoHeader()
    {
        // NVRTC gets this text alone: an #include of a CUDA header would need the toolkit on the GPU machine
        foreach (var name in KernelSources.Names)
            Assert.DoesNotContain("#include", KernelSources.Read(name));
    }

    [ClangFact]
    public void EveryKernelSourceCompilesToPtxWithClang()
    {
        string output = RepoPaths.TempDir("clang-ptx");
        var start = new ProcessStartInfo("bash", [RepoPaths.Get("Inference", "Cuda", "Kernels", "ClangCheck", "check.sh"), output])
            { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(300_000), "clang check did not finish in 5 minutes");
        Assert.True(process.ExitCode == 0, $"clang check failed:\n{stdout.Result}\n{stderr.Result}");
        // every extern "C" kernel of the sources is an entry point of the PTX of its file
        foreach (var name in KernelSources.Names.Where(n => n != "Common.cu"))
        {
            string ptx = File.ReadAllText(Path.Combine(output, Path.ChangeExtension(name, ".ptx")));
            var kernels = Regex.Matches(KernelSources.Read(name), @"extern ""C"" __global__ void (\w+)").Select(m => m.Groups[1].Value).ToList();
            Assert.NotEmpty(kernels);
            foreach (var kernel in kernels) Assert.Matches(new Regex($@"\.entry {kernel}\("), ptx);
        }
        Directory.Delete(output, true);
    }
}

/// <summary>Every kernel the model runner launches by name exists in the sources, with the argument count it passes.</summary>
public class KernelLaunchTests
{
    [Fact]
    public void EveryLaunchedKernelIsDefinedWithThatManyParameters()
    {
        var program = KernelSources.Program();
        var defined = Regex.Matches(program, @"extern ""C"" __global__ void (\w+)\(([^)]*)\)")
            .ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value.Split(',').Length);
        string runner = File.ReadAllText(RepoPaths.Get("Inference", "Cuda", "Model", "CudaModel.cs"));
        // Elements("name", count, args...) and _kernels.Launch("name", _stream, blocks, threads, args...), one call per line
        var launches = Regex.Matches(runner, @"(Elements|Launch)\(""(\w+)"", ([^;]*)\);").ToList();
        Assert.True(launches.Count >= 20, $"found only {launches.Count} launches in CudaModel.cs");
        foreach (Match launch in launches)
        {
            string kernel = launch.Groups[2].Value;
            Assert.True(defined.ContainsKey(kernel), $"CudaModel.cs launches '{kernel}', which no .cu source defines");
            int arguments = SplitTopLevel(launch.Groups[3].Value).Count - (launch.Groups[1].Value == "Elements" ? 1 : 3);
            Assert.True(arguments == defined[kernel], $"'{kernel}' takes {defined[kernel]} parameters, CudaModel.cs passes {arguments}: {launch.Value}");
        }
    }

    private static List<string> SplitTopLevel(string args)
    {
        var parts = new List<string>();
        int depth = 0, start = 0;
        for (int i = 0; i < args.Length; i++)
        {
            char c = args[i];
            if (c is '(' or '[' or '{') depth++;
            else if (c is ')' or ']' or '}') depth--;
            else if (c == ',' && depth == 0) { parts.Add(args[start..i]); start = i + 1; }
        }
        parts.Add(args[start..]);
        return parts;
    }
}
