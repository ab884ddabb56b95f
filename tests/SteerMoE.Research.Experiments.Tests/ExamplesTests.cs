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
        "plan toward digits: activate L1E0 L2E4; deactivate L1E2 L2E1",
        "plan toward words:  activate L1E2 L2E1; deactivate L1E0 L2E4",
        "prompt: count to 5 .",
        "  unsteered:     one two three four five",
        "  toward digits: 1 2 3 4 5",
        "  toward words:  one two three four five",
        "prompt: please count to 9 .",
        "  unsteered:     1 2 3 4 5 6 7 8 9",
        "  toward digits: 1 2 3 4 5 6 7 8 9",
        "  toward words:  one two three four five six seven eight nine",
        "prompt: can you count to 3 ?",
        "  unsteered:     one two three",
        "  toward digits: 1 2 3",
        "  toward words:  one two three",
    ];

    public static readonly string[] CustomSteering =
    [
        "dataset: 1 pair: \"count to 10 .\" -> \"1 2 3 4 5 6 7 8 9 10\" vs \"one two three four five six seven eight nine ten\"",
        "routing: 10 target tokens in digits, 10 in words; saved counts.csv, ranking.csv, pair_counts.npy, pair_tokens.npy, paired_t.json, run.json and routing-log/",
        "top experts by |risk difference| (layer, expert, rd, a1/N1, a2/N2):",
        "  L2E1  rd= -0.900  1/10  10/10",
        "  L2E4  rd= +0.800  10/10  2/10",
        "  L1E0  rd= +0.700  10/10  3/10",
        "  L1E2  rd= -0.600  4/10  10/10",
        "  L2E2  rd= -0.400  0/10  4/10",
        "  L2E3  rd= +0.400  4/10  0/10",
        "plan toward digits: activate L1E0 L2E4; deactivate L1E2 L2E1",
        "plan toward words:  activate L1E2 L2E1; deactivate L1E0 L2E4",
        "prompt: count to 10 .",
        "  unsteered:     one two three four five six seven eight nine ten",
        "  toward digits: 1 2 3 4 5 6 7 8 9 10",
        "  toward words:  one two three four five six seven eight nine ten",
        "prompt: please count to 9 .",
        "  unsteered:     1 2 3 4 5 6 7 8 9",
        "  toward digits: 1 2 3 4 5 6 7 8 9",
        "  toward words:  one two three four five six seven eight nine",
        "prompt: can you count to 3 ?",
        "  unsteered:     one two three",
        "  toward digits: 1 2 3",
        "  toward words:  one two three",
    ];

    public static readonly string[] CountTable =
    [
        "counts: 4 layers x 8 experts, N1 = 367, N2 = 367 target tokens",
        "top 5 by rd: L2E1(-0.894)  L2E4(+0.782)  L1E2(-0.480)  L1E0(+0.406)  L0E4(-0.313)",
        "top 5 by log-or: L2E1(-8.718)  L2E4(+7.873)  L1E2(-6.518)  L1E0(+6.220)  L1E5(+4.002)",
        "rd vs log-or: Spearman 0.687, Kendall tau-b 0.536, top-4 Jaccard 1.000, top-8 Jaccard 0.455",
        "plan toward digits: activate L1E0 L2E4; deactivate L1E2 L2E1",
        "plan toward words:  activate L1E2 L2E1; deactivate L1E0 L2E4",
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
