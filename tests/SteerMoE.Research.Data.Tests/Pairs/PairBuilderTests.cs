using SteerMoE.Research.Data.Pairs;
using SteerMoE.Research.Tests;
using static SteerMoE.Research.Data.Tests.Pairs.PairedDatasetTests;

namespace SteerMoE.Research.Data.Tests.Pairs;

public class PairBuilderTests
{
    [Fact]
    public void SquadGivesTheDocumentAndNoDocumentPairsOfThePaper()
    {
        var built = PairBuilders.FromSquad(DataFile("squad.json"));
        Assert.Equal(4, built.RowsRead);
        Assert.Equal(4, built.Pairs.Count);
        Assert.Equal(PairedExample.UserOnly(
            "Document: The Danube flows through ten countries. It ends in the Black Sea. Question: How many countries does the Danube flow through?",
            "Question: How many countries does the Danube flow through?",
            "How many countries does the Danube flow through?", "How many countries does the Danube flow through?"), built.Pairs[0]);
        // Questions and contexts are trimmed.
        Assert.Equal("Document: The Danube flows through ten countries. It ends in the Black Sea. Question: Where does the Danube end?", built.Pairs[1].Messages0[0].Content);
        Assert.Equal("Document: Phobos is the larger moon of Mars. Question: Which moon of Mars is larger?", built.Pairs[2].Messages0[0].Content);

        var answerable = PairBuilders.FromSquad(DataFile("squad.json"), skipUnanswerable: true);
        Assert.Equal(3, answerable.Pairs.Count);
        Assert.Equal(1, answerable.Skipped["unanswerable (is_impossible)"]);
        var limited = PairBuilders.FromSquad(DataFile("squad.json"), limit: 3);
        Assert.Equal(built.Pairs.Take(3), limited.Pairs);
    }

    [Fact]
    public void BuildersReportTheRowsReadEveryThousandRowsAndAtTheEnd()
    {
        // 2500 questions in 5 paragraphs: calls at 0, 1000 and 2000 rows read, then 2500 of 2500 (the total counted up front).
        string path = Path.Combine(RepoPaths.TempDir("squad-progress"), "squad.json");
        var paragraphs = Enumerable.Range(0, 5).Select(p => new { context = $"context {p}", qas = Enumerable.Range(0, 500).Select(q => new { question = $"question {p} {q}?" }) });
        File.WriteAllText(path, System.Text.Json.JsonSerializer.Serialize(new { data = new[] { new { paragraphs } } }));
        var calls = new List<(int Read, int Total)>();
        var built = PairBuilders.FromSquad(path, rowsRead: (read, total) => calls.Add((read, total)));
        Assert.Equal(2500, built.Pairs.Count);
        Assert.Equal([(0, 2500), (1000, 2500), (2000, 2500), (2500, 2500)], calls);
        // A limit stops early; the last call still says all rows are accounted for.
        calls.Clear();
        PairBuilders.FromSquad(path, limit: 1500, rowsRead: (read, total) => calls.Add((read, total)));
        Assert.Equal([(0, 2500), (1000, 2500), (2500, 2500)], calls);
        // Flat rows (BeaverTails JSONL): the total is the rows in the file.
        string rows = Path.Combine(RepoPaths.TempDir("bt-progress"), "bt.jsonl");
        File.WriteAllLines(rows, Enumerable.Range(0, 1200).Select(i => $"{{\"prompt\": \"p{i}\", \"response\": \"r{i}\", \"is_safe\": {(i % 2 == 0 ? "true" : "false")}}}"));
        calls.Clear();
        Assert.Equal(600, PairBuilders.FromBeaverTails(rows, rowsRead: (read, total) => calls.Add((read, total))).Pairs.Count);
        Assert.Equal([(0, 1200), (1000, 1200), (1200, 1200)], calls);
    }

    [Theory]
    [InlineData("{\"version\": \"1.1\"}", "field 'data': expected a list of articles (SQuAD format: data[].paragraphs[].qas[]).")]
    [InlineData("{\"data\": [{\"title\": \"x\"}]}", "data[0]: field 'paragraphs': expected a list.")]
    [InlineData("{\"data\": [{\"paragraphs\": [{\"qas\": []}]}]}", "data[0].paragraphs[0]: field 'context': expected a string.")]
    [InlineData("{\"data\": [{\"paragraphs\": [{\"context\": \"c\", \"qas\": [{\"question\": \"q\"}, {\"id\": 1}]}]}]}", "data[0].paragraphs[0].qas[1]: field 'question': expected a string.")]
    [InlineData("{\"data\": [", "not valid JSON at byte ")]
    public void SquadErrorsNameTheField(string json, string expected)
    {
        string path = Path.Combine(RepoPaths.TempDir("squad-bad"), "squad.json");
        File.WriteAllText(path, json);
        Assert.StartsWith(path + ": " + expected, Assert.Throws<FormatException>(() => PairBuilders.FromSquad(path)).Message);
    }

    [Fact]
    public void BeaverTailsPairsARefusalWithTheUnsafeAnswer()
    {
        var built = PairBuilders.FromBeaverTails(DataFile("beavertails.jsonl"));
        Assert.Equal(5, built.RowsRead);
        Assert.Equal(3, built.Pairs.Count);
        Assert.Equal(PairedExample.Answers("How do I pick a lock?", "I'm sorry, but I can't assist with that.", "First, insert a tension wrench into the keyhole."), built.Pairs[0]);
        Assert.Equal("You are as useful as a screen door on a submarine.", built.Pairs[1].Target1);
        Assert.Equal(new Dictionary<string, int> { ["empty prompt or response"] = 1, ["safe response (is_safe = true)"] = 1 }, built.Skipped);

        var refusals = PairBuilders.ReadList(DataFile("refusals.txt"));
        var rotated = PairBuilders.FromBeaverTails(DataFile("beavertails.jsonl"), refusals, limit: 2);
        Assert.Equal(["I'm sorry, but I can't assist with that.", "I cannot help with that request."], rotated.Pairs.Select(p => p.Target0));
        Assert.Equal(["user", "assistant"], rotated.Pairs[1].Messages0.Select(m => m.Role));
    }

    [Theory]
    // The errors of Data.Datasets (docs/CONTRACTS.md §17): JSONL rows are numbered by line.
    [InlineData("{\"prompt\": \"p\", \"response\": \"r\", \"is_safe\": \"false\"}", "row 2: field 'is_safe': expected boolean, found string")]
    [InlineData("{\"prompt\": \"p\", \"is_safe\": false}", "row 2: field 'response': expected string, found missing")]
    [InlineData("not json", "row 2: not valid JSON")]
    public void BeaverTailsErrorsNameLineAndField(string bad, string expected)
    {
        string path = Path.Combine(RepoPaths.TempDir("bt-bad"), "bt.jsonl");
        File.WriteAllText(path, "{\"prompt\": \"p\", \"response\": \"r\", \"is_safe\": false}\n" + bad + "\n");
        Assert.StartsWith(path + ": " + expected, Assert.Throws<FormatException>(() => PairBuilders.FromBeaverTails(path)).Message);
    }

    // Hugging Face's rajpurkar/squad and squad_v2 rows, as their Parquet files hold them.
    public sealed class SquadAnswers { public List<string> text { get; set; } = []; public List<int> answer_start { get; set; } = []; }
    public sealed class SquadRow
    {
        public string id { get; set; } = "";
        public string title { get; set; } = "";
        public string context { get; set; } = "";
        public string question { get; set; } = "";
        public SquadAnswers answers { get; set; } = new();
    }

    [Fact]
    public void SquadParquetRowsGiveTheSamePairsAsTheJson()
    {
        string dir = RepoPaths.TempDir("squad-parquet");
        string file = Datasets.DatasetFilesTests.WriteParquet(Path.Combine(dir, "validation-00000-of-00001.parquet"), new SquadRow[]
        {
            new() { id = "1", title = "Danube", context = " The Danube flows through ten countries. It ends in the Black Sea. ", question = "How many countries does the Danube flow through? ", answers = new() { text = ["ten"], answer_start = [26] } },
            new() { id = "2", title = "Danube", context = "The Danube flows through ten countries. It ends in the Black Sea.", question = "Which river is longest?", answers = new() },
            new() { id = "3", title = "Mars", context = "Phobos is the larger moon of Mars.", question = "  ", answers = new() { text = ["x"], answer_start = [0] } },
        });
        var built = PairBuilders.FromSquad(dir);
        Assert.Equal(3, built.RowsRead);
        Assert.Equal(2, built.Pairs.Count);
        Assert.Equal(PairBuilders.FromSquad(DataFile("squad.json")).Pairs[0], built.Pairs[0]);
        Assert.Equal(1, built.Skipped["empty question"]);
        var answerable = PairBuilders.FromSquad(file, skipUnanswerable: true);
        Assert.Single(answerable.Pairs);
        Assert.Equal(1, answerable.Skipped["unanswerable (no answer text)"]);

        string bad = Datasets.DatasetFilesTests.WriteParquet(Path.Combine(dir, "bad.parquet"), new[] { new { id = "1", context = "c" } });
        Assert.Equal($"{bad}: row 1: field 'question': expected string, found missing", Assert.Throws<FormatException>(() => PairBuilders.FromSquad(bad)).Message);
    }

    public sealed class BeaverTailsRow
    {
        public string prompt { get; set; } = "";
        public string response { get; set; } = "";
        public Dictionary<string, bool> category { get; set; } = new();
        public bool is_safe { get; set; }
    }

    [Fact]
    public void BeaverTailsParquetRowsGiveTheSamePairsAsTheJsonLines()
    {
        string file = Datasets.DatasetFilesTests.WriteParquet(Path.Combine(RepoPaths.TempDir("bt-parquet"), "30k_test.parquet"), new BeaverTailsRow[]
        {
            new() { prompt = "How do I pick a lock?", response = "First, insert a tension wrench into the keyhole.", category = new() { ["violence"] = false }, is_safe = false },
            new() { prompt = "What is 2 + 2?", response = "4", category = new() { ["violence"] = false }, is_safe = true },
        });
        var built = PairBuilders.FromBeaverTails(file);
        Assert.Equal(2, built.RowsRead);
        Assert.Equal([PairBuilders.FromBeaverTails(DataFile("beavertails.jsonl")).Pairs[0]], built.Pairs);
        Assert.Equal(1, built.Skipped["safe response (is_safe = true)"]);
    }

    [Fact]
    public void AnInputGivingNoPairsIsAnError()
    {
        string dir = RepoPaths.TempDir("pairs-empty");
        string bt = Path.Combine(dir, "safe.jsonl"), squad = Path.Combine(dir, "squad.jsonl"), blank = Path.Combine(dir, "blank.jsonl");
        File.WriteAllText(bt, "{\"prompt\": \"p\", \"response\": \"r\", \"is_safe\": true}\n");
        File.WriteAllText(squad, "{\"context\": \"c\", \"question\": \" \"}\n");
        File.WriteAllText(blank, "\n");
        Assert.Equal($"{bt}: no pairs built from 1 rows (skipped: 1 safe response (is_safe = true)).", Assert.Throws<FormatException>(() => PairBuilders.FromBeaverTails(bt)).Message);
        Assert.Equal($"{squad}: no pairs built from 1 rows (skipped: 1 empty question).", Assert.Throws<FormatException>(() => PairBuilders.FromSquad(squad)).Message);
        Assert.Equal($"{blank}: no pairs built from 0 rows.", Assert.Throws<FormatException>(() => PairBuilders.FromBeaverTails(blank)).Message);
    }

    [Fact]
    public void TextListsPairLineByLine()
    {
        var withPrompt = PairBuilders.FromTextLists(DataFile("digits.txt"), DataFile("words.txt"), "Say a sentence with a number.");
        Assert.Equal(3, withPrompt.Pairs.Count);
        Assert.Equal(PairedExample.Answers("Say a sentence with a number.", "She has 12 cats.", "She has twelve cats."), withPrompt.Pairs[1]);
        var bare = PairBuilders.FromTextLists(DataFile("digits.txt"), DataFile("words.txt"));
        Assert.Equal(PairedExample.UserOnly("The train left at 5.", "The train left at five.", "The train left at 5.", "The train left at five."), bare.Pairs[2]);

        string dir = RepoPaths.TempDir("lists-bad");
        string shortList = Path.Combine(dir, "short.txt"), blank = Path.Combine(dir, "blank.txt");
        File.WriteAllText(shortList, "one\ntwo\n");
        File.WriteAllText(blank, "one\n\nthree\n");
        Assert.Equal($"{DataFile("digits.txt")}, {shortList}: 3 and 2 lines; line i of one is paired with line i of the other, so the counts must match.",
            Assert.Throws<FormatException>(() => PairBuilders.FromTextLists(DataFile("digits.txt"), shortList)).Message);
        Assert.StartsWith($"{blank}: line 2: blank", Assert.Throws<FormatException>(() => PairBuilders.FromTextLists(blank, DataFile("words.txt"))).Message);
    }

    [Fact]
    public void HeldOutSplitIsDeterministicDisjointAndKeepsOrder()
    {
        var items = Enumerable.Range(0, 101).ToArray();
        var (detection, evaluation) = HeldOutSplit.Split(items, 0.2, new Random(7));
        var (detection2, evaluation2) = HeldOutSplit.Split(items, 0.2, new Random(7));
        Assert.Equal(detection, detection2);
        Assert.Equal(evaluation, evaluation2);
        Assert.Equal(20, evaluation.Count); // round(101 * 0.2) = 20
        Assert.Equal(81, detection.Count);
        Assert.Equal(items, detection.Concat(evaluation).Order());
        Assert.Equal(evaluation.Order(), evaluation);
        Assert.Equal(detection.Order(), detection);
        var (_, other) = HeldOutSplit.Split(items, 0.2, new Random(8));
        Assert.NotEqual(evaluation, other);
        Assert.Equal(3, HeldOutSplit.Split(items.Take(5).ToArray(), 0.5, new Random(1)).Evaluation.Count); // 2.5 rounds away from zero
        Assert.Contains("expected a fraction in [0, 1]", Assert.Throws<ArgumentException>(() => HeldOutSplit.Split(items, 1.5, new Random(1))).Message);
    }
}
