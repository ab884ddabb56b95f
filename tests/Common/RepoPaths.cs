namespace SteerMoE.Research.Tests;

/// <summary>Locates files of the repository from a test's output folder (tests read data in place, never copied).</summary>
public static class RepoPaths
{
    private static readonly Lazy<string> RootPath = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SteerMoE.Research.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"SteerMoE.Research.sln not found above {AppContext.BaseDirectory}.");
    });

    /// <summary>The repository root (the folder holding SteerMoE.Research.sln).</summary>
    public static string Root => RootPath.Value;

    /// <summary>A path below the repository root.</summary>
    public static string Get(params string[] parts) => Path.Combine([Root, .. parts]);

    /// <summary>The Hugging Face parity fixtures copied into the project (tests/fixtures/hf-parity/ARCH).</summary>
    public static string Fixture(string arch) => Get("tests", "fixtures", "hf-parity", arch);

    /// <summary>The llama.cpp parity fixtures (tests/fixtures/llamacpp-parity/ARCH; see their README).</summary>
    public static string LlamaCppFixture(string arch) => Get("tests", "fixtures", "llamacpp-parity", arch);

    /// <summary>A fresh empty temporary folder for one test.</summary>
    public static string TempDir(string name)
    {
        string dir = Path.Combine(Path.GetTempPath(), "steermoe-tests", name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>The full path of an executable on the PATH, or null (tests of tools that may be absent skip with it).</summary>
    public static string? OnPath(string executable) => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
        .Select(d => Path.Combine(d, executable)).FirstOrDefault(File.Exists);
}
