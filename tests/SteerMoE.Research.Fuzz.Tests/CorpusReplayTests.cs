using SteerMoE.Research.Fuzz;
using SteerMoE.Research.Tests;

namespace SteerMoE.Research.Fuzz.Tests;

/// <summary>
/// The fuzz targets on their committed inputs, without the fuzzer: every seed of tools/fuzz/corpus and every crash or
/// hang input ever found (tools/fuzz/regressions) must be read or refused with a format error naming the file.
/// </summary>
public sealed class CorpusReplayTests
{
    private static readonly string FuzzFolder = Path.Combine(RepoPaths.Root, "tools", "fuzz");

    public static TheoryData<string> Targets() => [.. FuzzTargets.All.Select(t => t.Name)];

    [Theory]
    [MemberData(nameof(Targets))]
    public void CommittedInputsAreReadOrRefusedWithAFormatError(string name)
    {
        var target = FuzzTargets.Get(name);
        string corpus = Path.Combine(FuzzFolder, "corpus", name), regressions = Path.Combine(FuzzFolder, "regressions", name);
        Assert.True(Directory.Exists(corpus), $"{corpus}: every target has a seed corpus");
        var paths = Directory.Exists(regressions) ? new[] { corpus, regressions } : [corpus];

        var outcome = CorpusReplay.Replay(target, paths, TimeSpan.FromSeconds(20));

        Assert.True(outcome.Findings.Count == 0, string.Join("\n", outcome.Findings));
        // The seeds must reach past the first check: most of them are valid files of the format.
        int seeds = Directory.GetFiles(corpus).Length;
        int refusedSeeds = outcome.Refused.Count(r => r.StartsWith(corpus, StringComparison.Ordinal));
        Assert.True(refusedSeeds * 2 < seeds, $"{name}: {refusedSeeds} of {seeds} seeds are refused:\n{string.Join("\n", outcome.Refused)}");
    }

    [Fact]
    public void OnlyTheProjectsFormatErrorsNamingTheFileAreAllowed()
    {
        const string path = "/x/config.json";
        Assert.True(FuzzTarget.IsFormatError(new FormatException($"{path}: field 'a': expected a number."), path));
        Assert.True(FuzzTarget.IsFormatError(new InvalidDataException($"{path}: header: truncated."), path));
        Assert.True(FuzzTarget.IsFormatError(new ArgumentException($"{path}: layer 3 does not exist."), path));
        // The same kinds without the file, and .NET's own exceptions even with it, are findings.
        Assert.False(FuzzTarget.IsFormatError(new FormatException("The input string 'x' was not in a correct format."), path));
        Assert.False(FuzzTarget.IsFormatError(new ArgumentOutOfRangeException("index", $"{path}"), path));
        Assert.False(FuzzTarget.IsFormatError(new InvalidOperationException($"{path}: element of type 'Number'"), path));
        Assert.False(FuzzTarget.IsFormatError(new IndexOutOfRangeException(path), path));
    }

    [Fact]
    public void AHangIsReportedNotWaitedFor()
    {
        var spin = new FuzzTarget("sleep", "x.txt", _ => Thread.Sleep(Timeout.Infinite));
        string file = Path.Combine(Path.GetTempPath(), $"fuzz-hang-{Environment.ProcessId}.txt");
        File.WriteAllText(file, "x");
        try
        {
            var outcome = CorpusReplay.Replay(spin, [file], TimeSpan.FromMilliseconds(300));
            Assert.Contains("hang", Assert.Single(outcome.Findings));
        }
        finally { File.Delete(file); }
    }
}
