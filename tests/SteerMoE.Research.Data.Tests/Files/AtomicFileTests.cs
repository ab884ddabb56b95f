using SteerMoE.Research.Data.Files;
using SteerMoE.Research.Tests;

namespace SteerMoE.Research.Data.Tests.Files;

/// <summary>Output paths that cannot be written fail with one line naming the path and why, not .NET's text.</summary>
public class AtomicFileTests
{
    [Fact]
    public void AFileGivenAsTheOutputFolderIsNamed()
    {
        string file = Path.Combine(RepoPaths.TempDir("atomic"), "taken");
        File.WriteAllText(file, "keep me");
        Assert.Equal($"{file}: is a file; expected an output folder.", Assert.Throws<IOException>(() => AtomicFile.EnsureWritableFolder(file)).Message);
        Assert.Equal($"{file}/run: cannot write files here ({file} is a file, not a folder); choose another output folder.",
            Assert.Throws<IOException>(() => AtomicFile.EnsureWritableFolder(Path.Combine(file, "run"))).Message);
        Assert.Equal($"{file}: cannot write files here ({file} is a file, not a folder); choose another output folder.",
            Assert.Throws<IOException>(() => AtomicFile.WriteAllText(Path.Combine(file, "x.csv"), "a")).Message);
        Assert.Equal("keep me", File.ReadAllText(file));
    }

    [Fact]
    public void AFolderThatTakesNoFilesIsNamedWithoutTheTemporaryFile()
    {
        if (!Directory.Exists("/proc/self")) return;   // Linux only: /proc takes no new files
        var e = Assert.Throws<IOException>(() => AtomicFile.WriteAllText("/proc/x.csv", "a"));
        Assert.Equal("/proc: cannot write files here (the folder cannot be created or written); choose another output folder.", e.Message);
        Assert.DoesNotContain(".tmp", e.Message);
    }

    [Fact]
    public void AFolderGivenAsTheFileIsNamed()
    {
        string dir = RepoPaths.TempDir("atomic-dir");
        Assert.Equal($"{dir}: is a folder; expected a file path to write.", Assert.Throws<IOException>(() => AtomicFile.WriteAllText(dir, "a")).Message);
    }
}
