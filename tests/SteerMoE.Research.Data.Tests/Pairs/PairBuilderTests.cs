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

    [Theory]
    [InlineData("{\"version\": \"1.1\"}", "field 'data': expected a list of articles (SQuAD format: data[].paragraphs[].qas[]).")]
    [InlineData("{\"data\": [{\"title\": \"x\"}]}", "data[0]: field 'paragraphs': expected a list.")]
    [InlineData("{\"data\": [{\"paragraphs\": [{\"qas\": []}]}]}", "data[0].paragraphs[0]: field 'context': expected a string.")]
    [InlineData("{\"data\": [{\"paragraphs\": [{\"context\": \"c\", \"qas\": [{\"question\": \"q\"}, {\"id\": 1}]}]}]}", "data[0].paragraphs[0].qas[1]: field 'question': expected a string.")]
    [InlineData("{\"data\": [", "not valid JSON (line 1)")]
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
    [InlineData("{\"prompt\": \"p\", \"response\": \"r\", \"is_safe\": \"false\"}", "line 2: field 'is_safe': expected true or false.")]
    [InlineData("{\"prompt\": \"p\", \"is_safe\": false}", "line 2: field 'response': expected a string.")]
    [InlineData("not json", "line 2: not valid JSON")]
    public void BeaverTailsErrorsNameLineAndField(string bad, string expected)
    {
        string path = Path.Combine(RepoPaths.TempDir("bt-bad"), "bt.jsonl");
        File.WriteAllText(path, "{\"prompt\": \"p\", \"response\": \"r\", \"is_safe\": false}\n" + bad + "\n");
        Assert.StartsWith(path + ": " + expected, Assert.Throws<FormatException>(() => PairBuilders.FromBeaverTails(path)).Message);
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
