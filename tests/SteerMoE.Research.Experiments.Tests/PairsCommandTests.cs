using SteerMoE.Research.Data.Pairs;
using SteerMoE.Research.Tests;

namespace SteerMoE.Research.Experiments.Tests;

/// <summary>`steermoe pairs build` as a process: the file it writes, its summary, its progress and its refusal of empty data.</summary>
public class PairsCommandTests
{
    private static string WriteSquad(string dir, int questions)
    {
        string path = Path.Combine(dir, "squad.json");
        var paragraphs = Enumerable.Range(0, questions / 500).Select(p => new { context = $"context {p}", qas = Enumerable.Range(0, 500).Select(q => new { question = $"question {p} {q}?" }) });
        File.WriteAllText(path, System.Text.Json.JsonSerializer.Serialize(new { data = new[] { new { paragraphs } } }));
        return path;
    }

    [Fact]
    public void BuildWritesTheLibrarysPairsAndReportsRowsReadAndPairsWritten()
    {
        string dir = RepoPaths.TempDir("pairs-build");
        string squad = WriteSquad(dir, 2500), output = Path.Combine(dir, "faithfulness.pairs.jsonl");
        var r = Cli.RunWithEveryProgressLine("pairs", "build", "--from", "squad", "--input", squad, "--out", output);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal($"{output}: 2500 pairs from 2500 rows read (squad)\n", r.Stdout.Replace("\r\n", "\n"));
        string expected = Path.Combine(dir, "expected.jsonl");
        PairedDataset.Write(expected, PairBuilders.FromSquad(squad).Pairs);
        Assert.Equal(File.ReadAllBytes(expected), File.ReadAllBytes(output));
        string[] inOrder =
        [
            "pairs build: 0/2500 rows (0%), ", "pairs build: 1000/2500 rows (40%), ", "pairs build: 2500/2500 rows (100%), ",
            "pairs write: 0/2500 pairs (0%), ", "pairs write: 2000/2500 pairs (80%), ", "pairs write: 2500/2500 pairs (100%), ",
        ];
        var lines = r.Stderr.Split('\n');
        var at = inOrder.Select(prefix => Array.FindIndex(lines, l => l.StartsWith(prefix, StringComparison.Ordinal))).ToArray();
        Assert.True(at.All(i => i >= 0) && at.SequenceEqual(at.Order()), $"expected in order: {string.Join(" | ", inOrder)}\n{r.Stderr}");
    }

    [Fact]
    public void BuildFromDataWithNoPairsFailsAndWritesNothing()
    {
        string dir = RepoPaths.TempDir("pairs-build-empty");
        string squad = Path.Combine(dir, "squad.json"), output = Path.Combine(dir, "out.jsonl");
        File.WriteAllText(squad, "{\"data\": []}");
        var r = Cli.Run("pairs", "build", "--from", "squad", "--input", squad, "--out", output);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains($"{squad}: no pairs built from 0 rows.", r.Stderr);
        Assert.False(File.Exists(output));
    }
}
