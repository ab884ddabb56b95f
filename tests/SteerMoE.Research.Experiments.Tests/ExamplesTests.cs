using System.Diagnostics;
using SteerMoE.Research.Tests;

namespace SteerMoE.Research.Experiments.Tests;

/// <summary>
/// What the examples print, line for line (greedy generations of the embedded default model, the experts the
/// shipped counting data ranks first, the plans). All expected text is here: when models/default is retrained,
/// rerun the examples (and examples/data/README.md's commands) and paste their output.
/// </summary>
public static class ExpectedExampleOutput
{
    public static readonly string[] QuickStart =
    [
        "model: MixtralForCausalLM, 4 layers x 8 experts, top-2",
        "ranking: 32 experts scored by risk_diff",
        "plan toward digits: activate L1E5 L2E3; deactivate none",
        "plan toward words:  activate L0E6 L1E1; deactivate none",
        "prompt: count to 5 .",
        "  unsteered:     1 2 3 4 5",
        "  toward digits: 1 2 3 4 5",
        "  toward words:  1 2 3 4 5",
        "prompt: count up to 4 .",
        "  unsteered:     one two three four",
        "  toward digits: one two three four",
        "  toward words:  one two three four",
        "prompt: can you count to 3 ?",
        "  unsteered:     one two three",
        "  toward digits: one two three",
        "  toward words:  1 2 3",
    ];

    public static readonly string[] CustomSteering =
    [
        "dataset: 1 pair: \"count to 10 .\" -> \"1 2 3 4 5 6 7 8 9 10\" vs \"one two three four five six seven eight nine ten\"",
        "routing: 10 target tokens in digits, 10 in words; saved counts.csv, ranking.csv, pair_counts.npy, pair_tokens.npy, paired_t.json, run.json and routing-log/",
        "top experts by |risk difference| (layer, expert, rd, a1/N1, a2/N2):",
        "  L0E6  rd= -0.400  1/10  5/10",
        "  L1E5  rd= +0.300  8/10  5/10",
        "  L2E0  rd= -0.300  1/10  4/10",
        "  L3E3  rd= +0.300  4/10  1/10",
        "  L0E3  rd= +0.300  6/10  3/10",
        "  L2E7  rd= +0.200  8/10  6/10",
        "plan toward digits: activate L1E5 L3E3; deactivate none",
        "plan toward words:  activate L0E6 L2E0; deactivate none",
        "prompt: count to 10 .",
        "  unsteered:     1 2 3 4 5 6 7 8 9 10",
        "  toward digits: 1 2 3 4 5 6 7 8 9 10",
        "  toward words:  1 2 3 4 5 6 7 8 9 10",
        "prompt: count up to 4 .",
        "  unsteered:     one two three four",
        "  toward digits: one two three four",
        "  toward words:  one two three four",
        "prompt: can you count to 3 ?",
        "  unsteered:     one two three",
        "  toward digits: one two three",
        "  toward words:  1 2 3",
    ];

    public static readonly string[] CountTable =
    [
        "counts: 4 layers x 8 experts, N1 = 357, N2 = 357 target tokens",
        "top 5 by rd: L1E5(+0.241)  L1E1(-0.221)  L2E3(+0.199)  L0E6(-0.188)  L2E0(-0.165)",
        "top 5 by log-or: L1E1(-2.401)  L2E3(+2.200)  L0E2(-1.946)  L2E1(+1.572)  L2E2(-1.422)",
        "rd vs log-or: Spearman 0.757, Kendall tau-b 0.593, top-4 Jaccard 0.333, top-8 Jaccard 0.455",
        "plan toward digits: activate L1E5 L2E3; deactivate L0E6 L1E1",
        "plan toward words:  activate L0E6 L1E1; deactivate L1E5 L2E3",
        "figures: rd-heatmap.counting.svg, scatter.counting.risk_diff-vs-log_odds_ratio.svg, top-experts-per-layer.svg, figures.html",
    ];
}

/// <summary>
/// Runs each example as a user does (<c>dotnet run examples/X.cs</c>, a .NET 10 file-based program) and checks
/// everything it prints. One class, so the examples run one after another (the first one builds the library).
/// </summary>
public class ExamplesTests
{
    [Fact]
    public void QuickStart_prints_the_plans_and_the_generations_before_and_after_steering()
    {
        var result = RunExample("QuickStart.cs");
        AssertPrinted(ExpectedExampleOutput.QuickStart, result);
    }

    [Fact]
    public void CustomSteering_detects_from_one_pair_and_steers_both_ways()
    {
        string runDir = RepoPaths.TempDir("example-custom-steering");
        var result = RunExample("CustomSteering.cs", runDir);
        AssertPrinted(ExpectedExampleOutput.CustomSteering, result);
        foreach (string file in new[] { "count-to-ten.pairs.jsonl", "counts.csv", "ranking.csv", "run.json", "toward-digits.plan.json", "toward-words.plan.json" })
            Assert.True(File.Exists(Path.Combine(runDir, file)), $"{file} was not written");
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(runDir, "routing-log")));
        Directory.Delete(runDir, true);
    }

    [Fact]
    public void CountTable_ranks_compares_plans_and_draws_from_the_table_alone()
    {
        string outDir = RepoPaths.TempDir("example-count-table");
        var result = RunExample("CountTable.cs", RepoPaths.Get("examples", "data", "counting.counts.csv"), outDir);
        AssertPrinted(ExpectedExampleOutput.CountTable, result);
        string heatmap = File.ReadAllText(Path.Combine(outDir, "rd-heatmap.counting.svg"));
        Assert.Contains("<svg", heatmap);
        Assert.Contains("</svg>", heatmap);
        Directory.Delete(outDir, true);
    }

    /// <summary>The program's output, from its first expected line on, must be exactly the expected lines.</summary>
    private static void AssertPrinted(string[] expected, Cli.Result result)
    {
        Assert.True(result.ExitCode == 0, $"exit code {result.ExitCode}\nstdout:\n{result.Stdout}\nstderr:\n{result.Stderr}");
        var lines = result.Stdout.Replace("\r\n", "\n").TrimEnd('\n').Split('\n');
        int start = Array.IndexOf(lines, expected[0]);
        Assert.True(start >= 0, $"'{expected[0]}' was not printed; stdout:\n{result.Stdout}");
        Assert.Equal(expected, lines[start..]);
    }

    /// <summary><c>dotnet run -c Release examples/NAME [-- args]</c> from the repository root.</summary>
    private static Cli.Result RunExample(string name, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = RepoPaths.Root };
        // A test host started by `dotnet test` carries MSBuild's variables; the nested build must not inherit them.
        foreach (string key in psi.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)).ToList()) psi.Environment.Remove(key);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        // Release: the suite has just built the libraries in Release, so only the example itself is compiled
        // (a user's plain `dotnet run` builds Debug; both print the same text).
        foreach (string a in new[] { "run", "-c", "Release", "--file", Path.Combine("examples", name) }) psi.ArgumentList.Add(a);
        if (args.Length > 0) { psi.ArgumentList.Add("--"); foreach (string a in args) psi.ArgumentList.Add(a); }
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5))) { p.Kill(true); throw new TimeoutException($"dotnet run examples/{name} ran past 5 minutes."); }
        return new Cli.Result(p.ExitCode, stdout.Result, stderr.Result);
    }
}
