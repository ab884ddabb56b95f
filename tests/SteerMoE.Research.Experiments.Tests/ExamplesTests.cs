using System.Diagnostics;
using SteerMoE.Research.Detection.Tests.Frames;
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

    public static readonly string[] DataFrames =
    [
        "counts frame: 32 rows; layer Int32, expert Int32, a1 Int64, d1 Int64, a2 Int64, d2 Int64",
        "ranking frame: 32 rows x 28 columns; top 3 by |rd|:",
        "  rank 1: L2E1  rd -0.894  log-or -8.718  log10 Fisher p -164.5",
        "  rank 2: L2E4  rd +0.782  log-or +7.873  log10 Fisher p -129.2",
        "  rank 3: L1E2  rd -0.480  log-or -6.518  log10 Fisher p -64.9",
        "by layer (experts, a1 / N1 = k, mean and max |rd|):",
        "  layer 0: 8 experts, k = 2, mean 0.110, max 0.313",
        "  layer 1: 8 experts, k = 2, mean 0.146, max 0.480",
        "  layer 2: 8 experts, k = 2, mean 0.308, max 0.894",
        "  layer 3: 8 experts, k = 2, mean 0.174, max 0.267",
        "top 10 by rd per layer (+/-): L0 3/1  L1 1/1  L2 3/4  L3 3/4",
        "top-10 rd vs log-or: 5 shared, Jaccard 0.333",
        "top-10 rd vs fisher: 8 shared, Jaccard 0.667",
        "top-10 log-or vs fisher: 6 shared, Jaccard 0.429",
        "top-100 rd vs log-or: 32 shared, Jaccard 1.000",
        "top-100 rd vs fisher: 32 shared, Jaccard 1.000",
        "top-100 log-or vs fisher: 32 shared, Jaccard 1.000",
    ];

    /// <summary>DataFrames.cs on the authors' released faithfulness table of OLMoE-1B-7B-0125-Instruct (not shipped; read in place).</summary>
    public static readonly string[] DataFramesReleasedFaithfulness =
    [
        "counts frame: 1024 rows; layer Int32, expert Int32, a1 Int64, d1 Int64, a2 Int64, d2 Int64",
        "ranking frame: 1024 rows x 28 columns; top 3 by |rd|:",
        "  rank 1: L0E6  rd -0.693  log-or -3.421  log10 Fisher p -38660.0",
        "  rank 2: L7E30  rd +0.484  log-or +8.729  log10 Fisher p -30144.4",
        "  rank 3: L9E35  rd +0.458  log-or +4.662  log10 Fisher p -26119.4",
        "by layer (experts, a1 / N1 = k, mean and max |rd|):",
        "  layer 0: 64 experts, k = 8, mean 0.041, max 0.693",
        "  layer 1: 64 experts, k = 8, mean 0.015, max 0.041",
        "  layer 2: 64 experts, k = 8, mean 0.014, max 0.089",
        "  layer 3: 64 experts, k = 8, mean 0.019, max 0.244",
        "  layer 4: 64 experts, k = 8, mean 0.020, max 0.200",
        "  layer 5: 64 experts, k = 8, mean 0.022, max 0.165",
        "  layer 6: 64 experts, k = 8, mean 0.025, max 0.134",
        "  layer 7: 64 experts, k = 8, mean 0.035, max 0.484",
        "  layer 8: 64 experts, k = 8, mean 0.039, max 0.376",
        "  layer 9: 64 experts, k = 8, mean 0.030, max 0.458",
        "  layer 10: 64 experts, k = 8, mean 0.014, max 0.139",
        "  layer 11: 64 experts, k = 8, mean 0.022, max 0.135",
        "  layer 12: 64 experts, k = 8, mean 0.018, max 0.170",
        "  layer 13: 64 experts, k = 8, mean 0.020, max 0.070",
        "  layer 14: 64 experts, k = 8, mean 0.018, max 0.100",
        "  layer 15: 64 experts, k = 8, mean 0.029, max 0.110",
        "top 10 by rd per layer (+/-): L0 1/3  L1 0/0  L2 0/0  L3 1/0  L4 1/1  L5 1/0  L6 0/1  L7 1/1  L8 3/2  L9 1/1  L10 0/0  L11 0/1  L12 1/0  L13 0/0  L14 0/0  L15 0/0",
        "top-10 rd vs log-or: 5 shared, Jaccard 0.333",
        "top-10 rd vs fisher: 8 shared, Jaccard 0.667",
        "top-10 log-or vs fisher: 6 shared, Jaccard 0.429",
        "top-100 rd vs log-or: 50 shared, Jaccard 0.333",
        "top-100 rd vs fisher: 76 shared, Jaccard 0.613",
        "top-100 log-or vs fisher: 73 shared, Jaccard 0.575",
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

    [Fact]
    public void DataFrames_groups_the_count_table_by_layer_and_by_metric()
    {
        var result = RunExample("DataFrames.cs", RepoPaths.Get("examples", "data", "counting.counts.csv"));
        AssertPrinted(ExpectedExampleOutput.DataFrames, result);
    }

    [ReleasedTablesFact]
    public void DataFrames_reads_the_authors_released_table_as_it_is()
    {
        var result = RunExample("DataFrames.cs", ReleasedTables.Faithfulness);
        AssertPrinted(ExpectedExampleOutput.DataFramesReleasedFaithfulness, result);
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
