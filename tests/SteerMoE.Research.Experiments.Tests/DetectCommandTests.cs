using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using SteerMoE.Research.Data.Counts;
using SteerMoE.Research.Detection.Collection;
using SteerMoE.Research.Inference.Models;
using SteerMoE.Research.Tests;

namespace SteerMoE.Research.Experiments.Tests;

public class DetectCommandTests
{
    private static string Data => RepoPaths.Get("tests", "SteerMoE.Research.Detection.Tests", "Collection", "data");
    private static string Pairs => Path.Combine(Data, "pairs.jsonl");

    private static Cli.Result Detect(string outDir, params string[] extra) =>
        Cli.Run([.. new[] { "detect", "--model", RepoPaths.Fixture("olmoe"), "--tokenizer", Data, "--pairs", Pairs, "--out", outDir }, .. extra]);

    [Fact]
    public void AFinishedRunIsNotOverwrittenWithoutOverwrite()
    {
        string dir = RepoPaths.TempDir("detect-finished");
        Assert.Equal(0, Detect(dir).ExitCode);
        byte[] counts = File.ReadAllBytes(Path.Combine(dir, "counts.csv"));
        File.WriteAllText(Path.Combine(dir, "counts.csv"), "layer,expert\n");   // a marker: a refused run must not touch it
        var again = Detect(dir);
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("holds a finished detection run (run.json); pass --overwrite to replace it, or choose another --out", again.Stderr);
        var resume = Detect(dir, "--resume");
        Assert.Equal(2, resume.ExitCode);
        Assert.Contains("there is nothing to resume", resume.Stderr);
        Assert.Equal("layer,expert\n", File.ReadAllText(Path.Combine(dir, "counts.csv")));
        var overwrite = Detect(dir, "--overwrite");
        Assert.True(overwrite.ExitCode == 0, overwrite.Stderr);
        Assert.Equal(counts, File.ReadAllBytes(Path.Combine(dir, "counts.csv")));
    }

    [Fact]
    public void DetectWritesCountsRankingRunRecordAndPairCounts()
    {
        string dir = RepoPaths.TempDir("detect");
        var r = Detect(dir, "--batch", "3");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("8/8 pairs (100%)", r.Stderr);
        Assert.Matches(@"tok/s, [0-9]+ s, about [0-9]+ s left", r.Stderr);
        Assert.Contains("tok/s", r.Stderr);
        var counts = CountTable.Load(Path.Combine(dir, "counts.csv"));
        using var model = MoeModel.Load(RepoPaths.Fixture("olmoe"));
        var library = RoutingCollector.Collect(model, Pairs, RepoPaths.TempDir("library"), new CollectionOptions { Batch = 1, Tokenizer = Data });
        Assert.Equal(library.Counts.ToCountTable().Rows, counts.Rows);
        Assert.Equal(66, counts.N1);
        Assert.Equal(58, counts.N2);
        var ranking = SteerMoE.Research.Data.Tables.CsvTable.Load(Path.Combine(dir, "ranking.csv"));
        Assert.Equal(counts.Rows.Count, ranking.Rows.Count);
        Assert.Equal("risk_diff", ranking.Columns[6]);
        var rd = Enumerable.Range(0, ranking.Rows.Count).Select(i => Math.Abs(ranking.Double(i, 6))).ToArray();
        Assert.Equal(rd.OrderByDescending(x => x).ToArray(), rd);
        var pairs = new SteerMoEContext().Detection.LoadPairCounts(dir);
        Assert.Equal(8, pairs.PairCount);
        Assert.Equal(counts.Rows, pairs.ToCountTable().Rows);
        using var run = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "run.json")));
        var root = run.RootElement;
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Pairs))), root.GetProperty("dataset").GetProperty("sha256").GetString());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(Data, "tokenizer.json")))), root.GetProperty("tokenizer").GetProperty("sha256").GetString());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(RepoPaths.Get("tests", "fixtures", "hf-parity", "olmoe", "model.safetensors")))),
            root.GetProperty("model").GetProperty("files_sha256").GetProperty("model.safetensors").GetString());
        Assert.Equal(66, root.GetProperty("tokens").GetProperty("n1").GetInt64());
        Assert.Empty(root.GetProperty("dataset").GetProperty("ignored_fields").EnumerateObject());
        Assert.Equal("exact", root.GetProperty("settings").GetProperty("precision").GetString());
        Assert.False(File.Exists(Path.Combine(dir, "checkpoint.json")));
    }

    /// <summary>
    /// config.json is open by design: a field no reader looks at (and not known to leave inference unchanged) is a
    /// warning on stderr, recorded in run.json, and the run goes on.
    /// </summary>
    [Fact]
    public void UnreadConfigFieldsAreWarnedAndRecorded()
    {
        string model = TinyModel.Create("olmoe"), dir = RepoPaths.TempDir("detect-config-warning");
        string config = Path.Combine(model, "config.json");
        File.WriteAllText(config, File.ReadAllText(config).TrimEnd().TrimEnd('}') + ", \"attn_logit_softcapping\": 50.0}\n");
        var r = Cli.Run(["detect", "--model", model, "--tokenizer", Data, "--pairs", Pairs, "--out", dir]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        string expected = $"{config}: field 'attn_logit_softcapping' is not read by this project's OlmoeForCausalLM; if it changes the forward pass, outputs will differ from the reference implementation.";
        Assert.Contains("warning: " + expected, r.Stderr);
        using var run = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "run.json")));
        Assert.Equal([expected], run.RootElement.GetProperty("model").GetProperty("config_warnings").EnumerateArray().Select(w => w.GetString()));
    }

    [Fact]
    public void PairsFieldsOutsideTheFormatAreWarnedAndRecorded()
    {
        string dir = RepoPaths.TempDir("detect-other-fields"), pairs = Path.Combine(dir, "pairs.jsonl");
        File.WriteAllLines(pairs, File.ReadLines(Pairs).Where(l => l.Trim().Length > 0).Select((l, i) => i == 1 ? l.TrimEnd().TrimEnd('}') + ", \"label\": \"x\"}" : l));
        string run = Path.Combine(dir, "run");
        var r = Cli.Run(["detect", "--model", RepoPaths.Fixture("olmoe"), "--tokenizer", Data, "--pairs", pairs, "--out", run]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains($"warning: {pairs}: line 2: field 'label' (in 1 rows) is not part of the pairs format; it is ignored.", r.Stderr);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "run.json")));
        var label = doc.RootElement.GetProperty("dataset").GetProperty("ignored_fields").GetProperty("label");
        Assert.Equal((2, 1), (label.GetProperty("first_line").GetInt32(), label.GetProperty("rows").GetInt32()));
    }

    /// <summary>
    /// `--expert-arithmetic bf16` on a gpt-oss model: recorded with the precision ("exact+bf16-experts"), part of the
    /// checkpoint's inputs (resuming in fp32 is refused), and the counts are the library's on a model loaded so.
    /// </summary>
    [Fact]
    public void Bf16ExpertArithmeticIsRecordedAndPartOfTheCheckpoint()
    {
        string model = RepoPaths.Fixture("gpt_oss_mxfp4"), dir = RepoPaths.TempDir("detect-bf16");
        string[] common = ["detect", "--model", model, "--tokenizer", Data, "--pairs", Pairs, "--out", dir, "--batch", "2"];
        var first = Cli.Run([.. common, "--expert-arithmetic", "bf16", "--max-pairs", "3", "--checkpoint-every", "1"]);
        Assert.True(first.ExitCode == 0, first.Stderr);
        var fp32 = Cli.Run([.. common, "--resume"]);
        Assert.Equal(2, fp32.ExitCode);
        Assert.Contains("other inputs or settings", fp32.Stderr);
        var rest = Cli.Run([.. common, "--expert-arithmetic", "bf16", "--resume"]);
        Assert.True(rest.ExitCode == 0, rest.Stderr);
        using var run = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "run.json")));
        Assert.Equal("exact+bf16-experts", run.RootElement.GetProperty("settings").GetProperty("precision").GetString());
        var options = new CollectionOptions { Batch = 1, Tokenizer = Data, ExpertArithmetic = Inference.Layers.ExpertArithmetic.Bf16 };
        using var bf16 = MoeModel.Load(model, new LoadOptions { ExpertArithmetic = Inference.Layers.ExpertArithmetic.Bf16 });
        var library = RoutingCollector.Collect(bf16, Pairs, RepoPaths.TempDir("library-bf16"), options);
        Assert.Equal(library.Counts.ToCountTable().Rows, CountTable.Load(Path.Combine(dir, "counts.csv")).Rows);
        using var plain = MoeModel.Load(model);
        var e = Assert.Throws<ArgumentException>(() => RoutingCollector.Collect(plain, Pairs, RepoPaths.TempDir("library-mismatch"), options));
        Assert.Contains("loaded with fp32 experts", e.Message);
    }

    [Fact]
    public void AStoppedRunResumesToTheSameFiles()
    {
        string whole = RepoPaths.TempDir("detect");
        Assert.Equal(0, Detect(whole, "--batch", "2").ExitCode);
        string dir = RepoPaths.TempDir("detect");
        var first = Detect(dir, "--batch", "2", "--max-pairs", "3", "--checkpoint-every", "1");
        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.Contains("stopped after 3 of 8 pairs", first.Stdout);
        Assert.False(File.Exists(Path.Combine(dir, "counts.csv")));
        var again = Detect(dir, "--batch", "2");
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("--resume", again.Stderr);
        var second = Detect(dir, "--batch", "5", "--resume");
        Assert.True(second.ExitCode == 0, second.Stderr);
        foreach (var file in new[] { "counts.csv", "ranking.csv", "pair_counts.npy", "pair_tokens.npy" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(whole, file)), File.ReadAllBytes(Path.Combine(dir, file)));
    }

    [Fact]
    public void AMalformedLineExitsWithCode2NamingLineAndField()
    {
        string dir = RepoPaths.TempDir("detect");
        var good = File.ReadAllLines(Pairs)[0];
        string path = Path.Combine(dir, "bad.jsonl");
        File.WriteAllLines(path, [good, good.Replace("\"messages_1\": [{\"role\": \"user\", ", "\"messages_1\": [{")]);
        var r = Cli.Run("detect", "--model", RepoPaths.Fixture("olmoe"), "--tokenizer", Data, "--pairs", path, "--out", Path.Combine(dir, "run"));
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith("steermoe: error: ", r.Stderr);
        Assert.Contains($"{path}: line 2", r.Stderr);
        Assert.Contains("messages_1[0]", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    [Fact]
    public void AMissingTargetExitsWithCode2NamingTheRow()
    {
        string dir = RepoPaths.TempDir("detect");
        var good = File.ReadAllLines(Pairs)[0];
        string path = Path.Combine(dir, "bad.jsonl");
        // "Paris" occurs in the text of side 2 only inside "Parisian", which is one [UNK] token.
        File.WriteAllLines(path, [good, "", good.Replace("\"messages_1\": [{\"role\": \"user\", \"content\": \"Question : Where is Paris ?\"}]", "\"messages_1\": [{\"role\": \"user\", \"content\": \"Question : Where is Parisian ?\"}]").Replace("\"messages_1_target\": \"Where is Paris ?\"", "\"messages_1_target\": \"Paris\"")]);
        var r = Cli.Run("detect", "--model", RepoPaths.Fixture("olmoe"), "--tokenizer", Data, "--pairs", path, "--out", Path.Combine(dir, "run"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains($"{path}: line 3: messages_1_target", r.Stderr);
        Assert.Contains("does not occur", r.Stderr);
    }

    [Fact]
    public void TheRoutingLogLoadsInNumpy()
    {
        string dir = RepoPaths.TempDir("detect");
        var r = Detect(dir, "--routing-log");
        Assert.True(r.ExitCode == 0, r.Stderr);
        string log = Path.Combine(dir, "routing-log");
        using var sidecar = JsonDocument.Parse(File.ReadAllText(Path.Combine(log, "routing_log.json")));
        long n = sidecar.RootElement.GetProperty("tokens").GetInt64();
        Assert.True(n > 0);
        if (!File.Exists("/usr/bin/python3")) return;   // numpy lives in Debian's python here
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("import numpy as np,sys,os;d=sys.argv[1];a=np.load(os.path.join(d,'router_logits.npy'));t=np.load(os.path.join(d,'topk.npy'));s=np.load(os.path.join(d,'side.npy'));m=np.load(os.path.join(d,'in_target.npy'));" +
            "print(a.shape,a.dtype,t.dtype,int((m[s==1]).sum()),int((m[s==2]).sum()))");
        psi.ArgumentList.Add(log);
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd(); string error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (error.Contains("No module named 'numpy'")) return;
        Assert.True(p.ExitCode == 0, error);
        Assert.Equal($"({n}, 3, 8) float32 int32 66 58", output.Trim());
    }

    [Fact]
    public void PairedTInRankingCsvEqualsScipyTtestRelOverTheRoutingLog()
    {
        string dir = RepoPaths.TempDir("detect");
        var r = Detect(dir, "--routing-log", "--batch", "3");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("paired t over 4 pairs", r.Stdout);
        using (var run = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "run.json"))))
        {
            var t = run.RootElement.GetProperty("paired_t");
            Assert.Equal(4, t.GetProperty("matched_pairs").GetInt64());
            Assert.Equal(4, t.GetProperty("unmatched_pairs").GetInt64());
            Assert.Equal(22, t.GetProperty("tokens").GetInt64());
            Assert.Equal(1000, run.RootElement.GetProperty("pair_inference").GetProperty("resamples").GetInt32());
        }
        var ranking = SteerMoE.Research.Data.Tables.CsvTable.Load(Path.Combine(dir, "ranking.csv"));
        if (!File.Exists("/usr/bin/python3")) return;   // numpy and scipy live in Debian's python here
        // Independently of the collector: the pairs whose span token ids are equal, softmax of the logged router
        // logits, scipy.stats.ttest_rel of side 1 against side 2 per (layer, expert).
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(string.Join("\n",
            "import numpy as np, sys, os",
            "from scipy import stats",
            "d = sys.argv[1]; L = lambda n: np.load(os.path.join(d, n + '.npy'))",
            "z, pair, side, tgt, tok = L('router_logits').astype(np.float64), L('pair'), L('side'), L('in_target').astype(bool), L('token_id')",
            "p = np.exp(z - z.max(-1, keepdims=True)); p /= p.sum(-1, keepdims=True)",
            "x, y, m = [], [], 0",
            "for i in np.unique(pair):",
            "    a = (pair == i) & (side == 1) & tgt; b = (pair == i) & (side == 2) & tgt",
            "    if a.sum() == b.sum() and (tok[a] == tok[b]).all():",
            "        x.append(p[a]); y.append(p[b]); m += 1",
            "x, y = np.concatenate(x), np.concatenate(y)",
            "r = stats.ttest_rel(x, y, axis=0)",
            "print(m, len(x))",
            "for l in range(x.shape[1]):",
            "    for e in range(x.shape[2]): print(l, e, repr(float(r.statistic[l, e])), repr(float(r.pvalue[l, e])))"));
        psi.ArgumentList.Add(Path.Combine(dir, "routing-log"));
        using var process = Process.Start(psi)!;
        string output = process.StandardOutput.ReadToEnd(); string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (error.Contains("No module named")) return;
        Assert.True(process.ExitCode == 0, error);
        var lines = output.Trim().Split('\n');
        Assert.Equal("4 22", lines[0].Trim());
        int tCol = ranking.ColumnIndex("paired_t"), pCol = ranking.ColumnIndex("paired_t_p"), dfCol = ranking.ColumnIndex("paired_t_df");
        var rows = Enumerable.Range(0, ranking.Rows.Count).ToDictionary(i => (ranking.Int64(i, 0), ranking.Int64(i, 1)));
        Assert.Equal(24, lines.Length - 1);
        foreach (var line in lines.Skip(1))
        {
            var f = line.Trim().Split(' ');
            int row = rows[(long.Parse(f[0]), long.Parse(f[1]))];
            double t = double.Parse(f[2], System.Globalization.CultureInfo.InvariantCulture), p = double.Parse(f[3], System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(Math.Abs(ranking.Double(row, tCol) - t) <= 1e-9 * Math.Max(1, Math.Abs(t)), $"{line}: t {ranking.Text(row, tCol)}");
            Assert.True(Math.Abs(ranking.Double(row, pCol) - p) <= 1e-8 * Math.Max(p, 1e-12), $"{line}: p {ranking.Text(row, pCol)}");
            Assert.Equal(21, ranking.Int64(row, dfCol));
        }
    }

    [Fact]
    public void RankWithPairCountsReproducesDetectsPairLevelColumns()
    {
        string dir = RepoPaths.TempDir("detect");
        var r = Detect(dir, "--seed", "5", "--resamples", "200", "--stability-top", "3");
        Assert.True(r.ExitCode == 0, r.Stderr);
        string ranked = Path.Combine(dir, "again.csv");
        var rank = Cli.Run("rank", "--counts", Path.Combine(dir, "counts.csv"), "--pair-counts", Path.Combine(dir, "pair_counts.npy"), "--seed", "5", "--resamples", "200", "--stability-top", "3", "--out", ranked);
        Assert.True(rank.ExitCode == 0, rank.Stderr);
        var detect = SteerMoE.Research.Data.Tables.CsvTable.Load(Path.Combine(dir, "ranking.csv"));
        var again = SteerMoE.Research.Data.Tables.CsvTable.Load(ranked);
        Assert.Equal(detect.Columns, again.Columns);
        foreach (var column in new[] { "layer", "expert", "risk_diff", "perm_p", "risk_diff_boot_lo", "risk_diff_boot_hi", "top_n_stability" })
        {
            int c = detect.ColumnIndex(column);
            Assert.Equal(Enumerable.Range(0, detect.Rows.Count).Select(i => detect.Text(i, c)), Enumerable.Range(0, again.Rows.Count).Select(i => again.Text(i, c)));
        }
        // 8 pairs, 256 assignments > 200: sampled; the top-3 stabilities sum to 3 (each replicate has 3 experts in its top 3).
        int stability = again.ColumnIndex("top_n_stability");
        Assert.Equal(3.0, Enumerable.Range(0, again.Rows.Count).Sum(i => again.Double(i, stability)), 9);
        Assert.Equal("", again.Text(0, again.ColumnIndex("paired_t")));   // rank has no router probabilities of its own
        Assert.NotEqual("", detect.Text(0, detect.ColumnIndex("paired_t")));
        // With the run's paired_t.json as well, rank writes detect's ranking.csv byte for byte.
        string full = Path.Combine(dir, "full.csv");
        var withT = Cli.Run("rank", "--counts", Path.Combine(dir, "counts.csv"), "--pair-counts", Path.Combine(dir, "pair_counts.npy"), "--paired-t", Path.Combine(dir, "paired_t.json"),
            "--seed", "5", "--resamples", "200", "--stability-top", "3", "--out", full);
        Assert.True(withT.ExitCode == 0, withT.Stderr);
        Assert.Equal(File.ReadAllBytes(Path.Combine(dir, "ranking.csv")), File.ReadAllBytes(full));
        var alone = Cli.Run("rank", "--counts", Path.Combine(dir, "counts.csv"), "--paired-t", Path.Combine(dir, "paired_t.json"), "--out", Path.Combine(dir, "y.csv"));
        Assert.Equal(2, alone.ExitCode);
        Assert.Contains("--paired-t: needs --pair-counts", alone.Stderr);
        // Another seed draws other resamples; pair counts of another table are refused.
        var other = Cli.Run("rank", "--counts", Path.Combine(dir, "counts.csv"), "--pair-counts", Path.Combine(dir, "pair_counts.npy"), "--seed", "6", "--resamples", "200", "--out", Path.Combine(dir, "other.csv"));
        Assert.Equal(0, other.ExitCode);
        Assert.NotEqual(File.ReadAllText(ranked), File.ReadAllText(Path.Combine(dir, "other.csv")));
        var lines = File.ReadAllLines(Path.Combine(dir, "counts.csv"));
        var changed = lines[1].Split(',');
        int shift = long.Parse(changed[2]) > 0 ? -1 : 1;   // one activation moved between a1 and d1: N1 unchanged
        changed[2] = (long.Parse(changed[2]) + shift).ToString(System.Globalization.CultureInfo.InvariantCulture);
        changed[3] = (long.Parse(changed[3]) - shift).ToString(System.Globalization.CultureInfo.InvariantCulture);
        lines[1] = string.Join(',', changed);
        string edited = Path.Combine(dir, "edited.csv");
        File.WriteAllLines(edited, lines);
        var refused = Cli.Run("rank", "--counts", edited, "--pair-counts", Path.Combine(dir, "pair_counts.npy"), "--out", Path.Combine(dir, "x.csv"));
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("layer 0, expert 0", refused.Stderr);
        Assert.False(File.Exists(Path.Combine(dir, "x.csv")));
    }

    [Fact]
    public void BenchCollectionOverheadPrintsTheThreeVariants()
    {
        // Structure only (no timing assertion): the three variants, their ratios to the plain forward, the batch shape.
        var r = Cli.Run("bench", "--model", RepoPaths.Fixture("olmoe"), "--collection-overhead", "--batch", "3", "--prompt-tokens", "8", "--repeat", "2");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("3 pairs x 2 sequences x 8 tokens (last 4 counted, 2 pairs with matching spans); 2 interleaved runs", r.Stdout);
        Assert.Contains("forward (no observer)", r.Stdout);
        Assert.Matches(@"forward \+ counting \+ paired t +[0-9.]+ +[0-9.]+ +[0-9.]+ +[+-][0-9.]+%", r.Stdout);
        Assert.Matches(@"forward \+ counting \+ routing log +[0-9.]+ +[0-9.]+ +[0-9.]+ +[+-][0-9.]+%", r.Stdout);
        var missing = Cli.Run("bench", "--collection-overhead");
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("--collection-overhead: needs --model DIR", missing.Stderr);
    }

    [Fact]
    public void ResamplesZeroLeavesTheResamplingColumnsEmptyAndKeepsThePairedT()
    {
        string dir = RepoPaths.TempDir("detect");
        var r = Detect(dir, "--resamples", "0");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var ranking = SteerMoE.Research.Data.Tables.CsvTable.Load(Path.Combine(dir, "ranking.csv"));
        foreach (var column in new[] { "perm_p", "risk_diff_boot_lo", "risk_diff_boot_hi", "top_n_stability" })
            Assert.All(Enumerable.Range(0, ranking.Rows.Count), i => Assert.Equal("", ranking.Text(i, ranking.ColumnIndex(column))));
        Assert.All(Enumerable.Range(0, ranking.Rows.Count), i => Assert.Equal(21, ranking.Int64(i, ranking.ColumnIndex("paired_t_df"))));
        using var run = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "run.json")));
        Assert.Equal(0, run.RootElement.GetProperty("pair_inference").GetProperty("resamples").GetInt32());
        var bad = Detect(RepoPaths.TempDir("detect"), "--resamples", "1");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--resamples: 1", bad.Stderr);
    }
}
