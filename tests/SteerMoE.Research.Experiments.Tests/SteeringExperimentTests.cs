using System.Diagnostics;
using Microsoft.Data.Sqlite;
using SteerMoE.Research.Data.Tables;
using SteerMoE.Research.Registry;
using SteerMoE.Research.Steering.Plans;
using SteerMoE.Research.Tests;

namespace SteerMoE.Research.Experiments.Tests;

public class SteeringExperimentTests
{
    private static readonly string[] Words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"];

    /// <summary>A run folder's spec: digits vs words pairs ("count to N" answered in digits or in words) on a fixture model.</summary>
    internal static string WriteSpec(string dir, string grid, string extra = "", int pairs = 24, int maxNewTokens = 6)
    {
        string model = TinyModel.Create();
        var lines = Enumerable.Range(0, pairs).Select(i =>
        {
            int n = 2 + i % 11;
            string digits = string.Join(" ", Enumerable.Range(1, n).Select(k => k.ToString()));
            string words = string.Join(" ", Enumerable.Range(1, n).Select(k => Words[k]));
            string user = $"count to {Words[n]}" + (i >= 11 ? " please" : "") + (i >= 22 ? " now" : "");
            return $"{{\"messages_0\": [{{\"role\": \"user\", \"content\": \"{user}\"}}, {{\"role\": \"assistant\", \"content\": \"{digits}\"}}], " +
                   $"\"messages_1\": [{{\"role\": \"user\", \"content\": \"{user}\"}}, {{\"role\": \"assistant\", \"content\": \"{words}\"}}], " +
                   $"\"messages_0_target\": \"{digits}\", \"messages_1_target\": \"{words}\"}}";
        });
        File.WriteAllLines(Path.Combine(dir, "pairs.jsonl"), lines);
        string spec = Path.Combine(dir, "spec.yaml");
        File.WriteAllText(spec, $"name: tiny\nmodel: {model}\npairs: pairs.jsonl\nholdout: 0.5\nmetrics: [rd]\nevaluators: [digits-rate, words-rate, fluency]\n" +
            $"max_new_tokens: {maxNewTokens}\n{extra}grid: {grid}\n");
        return spec;
    }

    [Fact]
    public void RunsDetectionPlansGenerationAndEvaluationIntoTheRunFolder()
    {
        string dir = RepoPaths.TempDir("steer-exp");
        string spec = WriteSpec(dir, "{activate: [1], deactivate: [0, 2], reverse: [false, true]}", "strategies: [authors, random]\n");
        var context = new SteerMoEContext(0);
        string run = Path.Combine(dir, "run");
        var cells = context.Experiments.RunSteering(context.Experiments.LoadSpec(spec), run);
        Assert.Equal(9, cells.Count);
        Assert.All(cells, c => Assert.Equal(CellStatus.Done, c.Status));

        // Counts: every (layer, expert) of the 3 x 8 model; a1 + d1 is the same for every row (side 1's target tokens).
        var counts = context.Data.LoadCounts(Path.Combine(run, "detection", "counts.csv"));
        Assert.Equal(24, counts.Rows.Count);
        Assert.Single(counts.Rows.Select(r => r.A1 + r.D1).Distinct());
        Assert.Equal(2 * counts.Rows[0].N1, counts.Rows.Where(r => r.Layer == 0).Sum(r => r.A1)); // k = 2 experts per token

        var baseline = cells.Single(c => c.Cell.IsBaseline);
        Assert.False(baseline.Metrics.ContainsKey("digits-rate.mcnemar_p"));
        double rate = baseline.Metrics["digits-rate.rate"];
        Assert.InRange(rate, baseline.Metrics["digits-rate.low"], baseline.Metrics["digits-rate.high"]);
        Assert.True(baseline.Metrics["fluency.mean"] > 1);
        Assert.InRange(baseline.Metrics["p_first_token.behaviour_1"], 0, 1);

        var authors = cells.Single(c => c.Key == "metric=rd/strategy=authors/activate=1/deactivate=2/reverse=false/strength=1/seed=0");
        Assert.Equal(1, authors.Metrics["activate_applied"]);
        Assert.Equal(2, authors.Metrics["deactivate_applied"]);
        Assert.True(authors.Metrics["kl_mean"] > 0);
        Assert.InRange(authors.Metrics["digits-rate.mcnemar_p"], 0, 1);
        // The plan's experts are the top of the ranking: the first positive row is activated, the first two negative deactivated.
        var plan = SteeringPlan.Load(Path.Combine(run, authors.Artifacts["plan"]));
        var ranking = context.Steering.LoadRanking(Path.Combine(run, "ranking.rd.csv"));
        var top = ranking.Rows.First(r => r.Score > 0);
        Assert.Contains(plan.Layers[top.Layer].Activate, e => e.Expert == top.Expert);
        // Routing changes where the plan steers: the share of changed top-k is positive in the activated expert's layer.
        Assert.True(authors.Metrics[$"topk_changed.L{top.Layer}"] > 0);

        var random = cells.Single(c => c.Key == "metric=rd/strategy=random/activate=1/deactivate=2/reverse=false/strength=1/seed=0");
        var randomPlan = SteeringPlan.Load(Path.Combine(run, random.Artifacts["plan"]));
        Assert.Equal("random-control/" + random.Key, randomPlan.Provenance!.RandomStream);
        var results = CsvTable.Load(Path.Combine(run, "results.csv"));
        Assert.Equal(9, results.Rows.Count);
        Assert.True(results.HasColumn("words-rate.rate"));
    }

    [Fact]
    public void GridAskingForMoreExpertsThanHaveThatSignFailsBeforeAnyCellRuns()
    {
        string dir = RepoPaths.TempDir("steer-exp-bad");
        string spec = WriteSpec(dir, "{activate: [2, 40], deactivate: [0]}", "strategies: [authors]\n");
        var context = new SteerMoEContext(0);
        string run = Path.Combine(dir, "run");
        var e = Assert.Throws<FormatException>(() => context.Experiments.RunSteering(context.Experiments.LoadSpec(spec), run));
        Assert.Contains("spec.yaml", e.Message);
        Assert.Contains("activate=40", e.Message);
        Assert.False(Directory.Exists(Path.Combine(run, "cells")));
        using var registry = RunRegistry.Open(run);
        Assert.DoesNotContain(registry.Cells(), c => c.Status == CellStatus.Done);
    }

    [Fact]
    public void UnknownEvaluatorIsRejectedBeforeTheModelLoads()
    {
        string dir = RepoPaths.TempDir("steer-exp-eval");
        string spec = WriteSpec(dir, "{activate: [1], deactivate: [0]}");
        File.WriteAllText(spec, File.ReadAllText(spec).Replace("evaluators: [digits-rate, words-rate, fluency]", "evaluators: [digits-rate, politeness]"));
        var r = Cli.Run("experiment", "run", spec, "--out", Path.Combine(dir, "run"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("spec.yaml", r.Stderr);
        Assert.Contains("politeness", r.Stderr);
    }

    [Fact]
    public void KilledRunResumesWithoutRecomputingOrLosingFinishedCells()
    {
        string dir = RepoPaths.TempDir("steer-exp-kill");
        string spec = WriteSpec(dir, "{activate: [1], deactivate: [1, 2], reverse: [false, true]}", "strategies: [authors, random, bottom]\nseeds: [0, 1, 2]\n", pairs: 40, maxNewTokens: 40);
        string run = Path.Combine(dir, "run");
        string results = Path.Combine(run, "results.csv");

        // Start the command as a process and kill it once some cells are done.
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { Path.Combine(AppContext.BaseDirectory, "steermoe.dll"), "experiment", "run", spec, "--out", run }) psi.ArgumentList.Add(a);
        using (var p = Process.Start(psi)!)
        {
            p.OutputDataReceived += (_, _) => { }; p.ErrorDataReceived += (_, _) => { };
            p.BeginOutputReadLine(); p.BeginErrorReadLine();
            var watch = Stopwatch.StartNew();
            while (DoneKeys(results).Count < 3 && !p.HasExited && watch.Elapsed < TimeSpan.FromMinutes(3)) Thread.Sleep(20);
            Assert.False(p.HasExited, "the run finished before it could be killed; give it more cells");
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
        }
        var finishedBefore = FinishedTimes(run);
        Assert.InRange(finishedBefore.Count, 3, 38);
        var outputsBefore = finishedBefore.Keys.ToDictionary(k => k, k => File.ReadAllText(Path.Combine(run, "cells", k.Replace('/', '_'), "outputs.jsonl")));
        var metricsBefore = Metrics(run);

        var r = Cli.Run("experiment", "run", spec, "--out", run);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains($"{finishedBefore.Count} already done", r.Stdout);
        var finishedAfter = FinishedTimes(run);
        Assert.Equal(39, finishedAfter.Count);
        foreach (var (key, time) in finishedBefore)
        {
            Assert.Equal(time, finishedAfter[key]);          // not recomputed
            Assert.Equal(metricsBefore[key], Metrics(run)[key]); // not lost or changed
            Assert.Equal(outputsBefore[key], File.ReadAllText(Path.Combine(run, "cells", key.Replace('/', '_'), "outputs.jsonl")));
        }
        Assert.Equal(39, DoneKeys(results).Count);
    }

    private static HashSet<string> DoneKeys(string results)
    {
        if (!File.Exists(results)) return [];
        var t = CsvTable.Load(results);
        int key = t.ColumnIndex("key"), status = t.ColumnIndex("status");
        return t.Rows.Where(r => r[status] == "done").Select(r => r[key]).ToHashSet();
    }

    private static Dictionary<string, string> FinishedTimes(string run) => Query(run, "SELECT key, finished_utc FROM cell WHERE status = 'Done'");
    private static Dictionary<string, string> Metrics(string run) => Query(run, "SELECT key, metrics_json FROM cell WHERE status = 'Done'");

    private static Dictionary<string, string> Query(string run, string sql)
    {
        using var db = new SqliteConnection($"Data Source={Path.Combine(run, "registry.sqlite")};Pooling=False");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        using var reader = cmd.ExecuteReader();
        var map = new Dictionary<string, string>();
        while (reader.Read()) map[reader.GetString(0)] = reader.GetString(1);
        return map;
    }
}
