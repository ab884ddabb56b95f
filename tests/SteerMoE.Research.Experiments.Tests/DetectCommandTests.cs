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
    public void DetectWritesCountsRankingRunRecordAndPairCounts()
    {
        string dir = RepoPaths.TempDir("detect");
        var r = Detect(dir, "--batch", "3");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("8/8 pairs", r.Stderr);
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
        Assert.Equal("exact", root.GetProperty("settings").GetProperty("precision").GetString());
        Assert.False(File.Exists(Path.Combine(dir, "checkpoint.json")));
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
}
