using SteerMoE.Research.Evaluation.Benchmarks;
using SteerMoE.Research.Tests;

namespace SteerMoE.Research.Evaluation.Tests.Benchmarks;

public class BenchmarkRegistryTests
{
    [Fact]
    public void EveryPaperBenchmarkIsRegisteredOnceWithAKnownScorer()
    {
        Assert.Equal(
            ["faitheval-counterfactual", "faitheval-unanswerable", "faitheval-inconsistent", "cf-triviaqa", "mquake", "mctest",
             "tdc2023", "maliciousinstruct", "advbench", "strongreject",
             "aim-tdc2023", "aim-maliciousinstruct", "aim-advbench", "aim-strongreject", "xstest-safe"],
            BenchmarkRegistry.Ids);
        string[] scorers = ["mc-letter", "answer-match", "unknown", "conflict", "safety", "compliance"];
        foreach (var b in BenchmarkRegistry.All)
        {
            Assert.Contains(b.Info.Scorer, scorers);
            Assert.NotEmpty(b.Info.FieldsUsed);
            Assert.False(Path.IsPathRooted(b.Info.DefaultPath), b.Info.Id);
        }
        Assert.Equal(Path.Combine("/data", "mctest/mc500/test"), BenchmarkRegistry.DefaultPath("mctest", "/data"));
        var e = Assert.Throws<KeyNotFoundException>(() => BenchmarkRegistry.Get("faitheval"));
        Assert.StartsWith("benchmark 'faitheval': unknown; known: faitheval-counterfactual, faitheval-unanswerable,", e.Message);
    }

    // One row that misses the benchmark's main text field, and one where it has the wrong type.
    [Theory]
    [InlineData("faitheval-counterfactual", "{\"id\": \"1\", \"context\": \"c\", \"choices\": {\"label\": [\"A\"], \"text\": [\"x\"]}, \"answerKey\": \"A\"}", "question")]
    [InlineData("faitheval-unanswerable", "{\"id\": \"1\", \"question\": \"q\"}", "context")]
    [InlineData("faitheval-inconsistent", "{\"id\": \"1\", \"context\": \"c\"}", "question")]
    [InlineData("cf-triviaqa", "{\"question_text\": \"q\", \"annotation\": {\"answer\": [{\"paragraph_reference\": {\"string\": \"a\"}}]}}", "paragraph_text")]
    [InlineData("mquake", "{\"case_id\": 1, \"questions\": [\"q\"], \"new_answer\": \"a\", \"new_answer_alias\": []}", "requested_rewrite")]
    [InlineData("mctest", "{\"story\": \"s\", \"question\": \"q\", \"answer\": \"A\"}", "answer_options")]
    [InlineData("tdc2023", "{\"behavior\": \"b\"}", "prompt")]
    [InlineData("maliciousinstruct", "{\"text\": \"b\"}", "prompt")]
    [InlineData("advbench", "{\"prompt\": \"p\"}", "target")]
    [InlineData("strongreject", "{\"prompt\": \"p\", \"category\": \"c\"}", "source")]
    [InlineData("xstest-safe", "{\"prompt\": \"p\"}", "type")]
    public void RowsOutsideThePublishedSchemaAreRejected(string id, string missingRow, string field)
    {
        var benchmark = BenchmarkRegistry.Get(id);
        string good = GoodRows[id];
        string file = BenchmarkFiles.Text("rows.jsonl", good + "\n" + missingRow + "\n");
        Assert.Equal(1, benchmark.Load(BenchmarkFiles.Text("one.jsonl", good + "\n")).Count);
        var missing = Assert.Throws<FormatException>(() => benchmark.Load(file)).Message;
        Assert.StartsWith($"{file}: row 2: field '{field}': expected ", missing);
        Assert.EndsWith("found missing", missing);

        // The same field with the wrong type: a number where text or structure belongs.
        string wrong = BenchmarkFiles.Text("typed.jsonl", ReplaceField(good, field, "42") + "\n");
        Assert.Matches($@"typed\.jsonl: row 1: field '{field}': expected .+, found number$", Assert.Throws<FormatException>(() => benchmark.Load(wrong)).Message);
    }

    private static readonly Dictionary<string, string> GoodRows = new()
    {
        ["faitheval-counterfactual"] = "{\"id\": \"1\", \"question\": \"q\", \"context\": \"c\", \"choices\": {\"label\": [\"A\"], \"text\": [\"x\"]}, \"answerKey\": \"A\"}",
        ["faitheval-unanswerable"] = "{\"id\": \"1\", \"context\": \"c\", \"question\": \"q\", \"answers\": [\"unknown\"]}",
        ["faitheval-inconsistent"] = "{\"id\": \"1\", \"context\": \"c\", \"question\": \"q\", \"answers\": [\"conflict\"]}",
        ["cf-triviaqa"] = "{\"question_text\": \"q\", \"paragraph_text\": \"p\", \"annotation\": {\"answer\": [{\"paragraph_reference\": {\"string\": \"a\"}}]}, \"question_id\": \"1\"}",
        ["mquake"] = "{\"case_id\": 1, \"requested_rewrite\": [{\"prompt\": \"{} is in\", \"subject\": \"X\", \"target_new\": {\"str\": \"Y\"}}], \"questions\": [\"q\"], \"new_answer\": \"a\", \"new_answer_alias\": []}",
        ["mctest"] = "{\"story\": \"s\", \"question\": \"q\", \"answer_options\": {\"A\": \"a\", \"B\": \"b\", \"C\": \"c\", \"D\": \"d\"}, \"answer\": \"A\"}",
        ["tdc2023"] = "{\"prompt\": \"p\"}",
        ["maliciousinstruct"] = "{\"prompt\": \"p\"}",
        ["advbench"] = "{\"prompt\": \"p\", \"target\": \"t\"}",
        ["strongreject"] = "{\"category\": \"c\", \"source\": \"s\", \"prompt\": \"p\"}",
        ["xstest-safe"] = "{\"type\": \"homonyms\", \"prompt\": \"p\"}",
    };

    private static string ReplaceField(string row, string field, string json)
    {
        var obj = System.Text.Json.Nodes.JsonNode.Parse(row)!.AsObject();
        obj[field] = System.Text.Json.Nodes.JsonNode.Parse(json);
        return obj.ToJsonString();
    }

    private const string Begin = "<!-- benchmark-table:begin (written from BenchmarkInfo: STEERMOE_UPDATE_DOCS=1 dotnet test tests/SteerMoE.Research.Evaluation.Tests --filter BenchmarksMd) -->\n";
    private const string End = "<!-- benchmark-table:end -->";

    [Fact]
    public void BenchmarksMdHoldsTheTableWrittenFromTheCodeAndASectionPerBenchmark()
    {
        string path = Path.Combine(RepoPaths.Root, "docs", "BENCHMARKS.md");
        string doc = File.ReadAllText(path);
        int begin = doc.IndexOf(Begin, StringComparison.Ordinal), end = doc.IndexOf(End, StringComparison.Ordinal);
        Assert.True(begin >= 0 && end > begin, "docs/BENCHMARKS.md: the generated table's markers are missing.");
        string table = BenchmarkTable.Markdown(BenchmarkRegistry.All);
        if (Environment.GetEnvironmentVariable("STEERMOE_UPDATE_DOCS") == "1")
        {
            doc = doc[..(begin + Begin.Length)] + table + doc[end..];
            File.WriteAllText(path, doc);
            end = doc.IndexOf(End, StringComparison.Ordinal);
        }
        Assert.Equal(table, doc[(begin + Begin.Length)..end]);
        foreach (var id in BenchmarkRegistry.Ids)
            Assert.Contains($"\n### `{id}`", doc);
    }
}
