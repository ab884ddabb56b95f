using SteerMoE.Research.Data.Pairs;
using SteerMoE.Research.Tests;

namespace SteerMoE.Research.Data.Tests.Pairs;

public class PairedDatasetTests
{
    internal static string DataFile(string name) => RepoPaths.Get("tests", "SteerMoE.Research.Data.Tests", "Pairs", "data", name);

    [Fact]
    public void ReadsTheAuthorsFormat()
    {
        var pairs = PairedDataset.Read(DataFile("pairs.jsonl")).ToList();
        Assert.Equal(2, pairs.Count);
        Assert.Equal(PairedExample.UserOnly("Document: Paris is in France. Question: Where is Paris?", "Question: Where is Paris?", "Where is Paris?", "Where is Paris?"), pairs[0]);
        Assert.Equal([new ChatMessage("system", "Be brief."), new ChatMessage("user", "Café?"), new ChatMessage("assistant", "Non, merci.")], pairs[1].Messages0);
        Assert.Equal(("Non, merci.", "Oui, avec plaisir."), (pairs[1].Target0, pairs[1].Target1));
    }

    private const string Good = "{\"messages_0\": [{\"role\": \"user\", \"content\": \"a b\"}], \"messages_1\": [{\"role\": \"user\", \"content\": \"c d\"}], \"messages_0_target\": \"b\", \"messages_1_target\": \"d\"}";

    [Theory]
    [InlineData("{\"messages_0\": [", "line 3: not valid JSON")]
    [InlineData("[1, 2]", "line 3: expected a JSON object with fields messages_0, messages_1, messages_0_target, messages_1_target.")]
    [InlineData("{\"messages_1\": [{\"role\": \"user\", \"content\": \"c d\"}], \"messages_0_target\": \"b\", \"messages_1_target\": \"d\"}", "line 3: field 'messages_0': missing (a list of {role, content} messages).")]
    [InlineData("{\"messages_0\": [], \"messages_1\": [{\"role\": \"user\", \"content\": \"c d\"}], \"messages_0_target\": \"b\", \"messages_1_target\": \"d\"}", "line 3: field 'messages_0': expected a non-empty list of {role, content} messages.")]
    [InlineData("{\"messages_0\": [{\"role\": \"user\", \"content\": \"a b\"}], \"messages_1\": [{\"role\": \"user\", \"content\": 5}], \"messages_0_target\": \"b\", \"messages_1_target\": \"d\"}", "line 3: field 'messages_1[0].content': expected a string.")]
    [InlineData("{\"messages_0\": [{\"content\": \"a b\"}], \"messages_1\": [{\"role\": \"user\", \"content\": \"c d\"}], \"messages_0_target\": \"b\", \"messages_1_target\": \"d\"}", "line 3: field 'messages_0[0].role': expected a non-empty string.")]
    [InlineData("{\"messages_0\": [{\"role\": \"user\", \"content\": \"a b\"}], \"messages_1\": [{\"role\": \"user\", \"content\": \"c d\"}], \"messages_0_target\": \"b\"}", "line 3: field 'messages_1_target': missing (the text whose tokens are counted).")]
    [InlineData("{\"messages_0\": [{\"role\": \"user\", \"content\": \"a b\"}], \"messages_1\": [{\"role\": \"user\", \"content\": \"c d\"}], \"messages_0_target\": \"\", \"messages_1_target\": \"d\"}", "line 3: field 'messages_0_target': expected a non-empty string.")]
    [InlineData("{\"messages_0\": [{\"role\": \"user\", \"content\": \"a b\"}], \"messages_1\": [{\"role\": \"user\", \"content\": \"c d\"}], \"messages_0_target\": \"b\", \"messages_1_target\": \"x\"}", "line 3: field 'messages_1_target': the target text does not occur in any message of 'messages_1'.")]
    [InlineData("{\"messages_0\": [{\"role\": \"user\", \"content\": \"a b\", \"name\": \"x\"}], \"messages_1\": [{\"role\": \"user\", \"content\": \"c d\"}], \"messages_0_target\": \"b\", \"messages_1_target\": \"d\"}", "line 3: field 'messages_0[0]': unknown field 'name'; expected a message with only role and content.")]
    public void MalformedLineNamesLineAndField(string bad, string expected)
    {
        string path = Path.Combine(RepoPaths.TempDir("pairs-bad"), "p.jsonl");
        File.WriteAllText(path, Good + "\n\n" + bad + "\n" + Good + "\n");
        // Streaming: the rows before the bad line come out before the error is raised.
        using var rows = PairedDataset.Read(path).GetEnumerator();
        Assert.True(rows.MoveNext());
        var e = Assert.Throws<FormatException>(() => rows.MoveNext());
        Assert.StartsWith(path + ": " + expected, e.Message);
    }

    [Fact]
    public void OtherTopLevelFieldsAreListedInOrderWithTheirFirstLineAndRowCount()
    {
        string path = Path.Combine(RepoPaths.TempDir("pairs-other"), "p.jsonl");
        File.WriteAllText(path, Good + "\n" + Good.TrimEnd('}') + ", \"id\": 7, \"messages_O_target\": \"b\"}\n\n" + Good.TrimEnd('}') + ", \"id\": 8}\n");
        Assert.Equal(3, PairedDataset.Read(path).Count());
        var other = PairedDataset.OtherFields(path);
        Assert.Equal([new IgnoredField("id", 2, 2), new IgnoredField("messages_O_target", 2, 1)], other);
        Assert.Equal($"{path}: line 2: field 'messages_O_target' (in 1 rows) is not part of the pairs format; it is ignored.", other[1].Warning(path));
    }

    [Fact]
    public void InvalidUtf8IsAnErrorNamingTheByteOffset()
    {
        string path = Path.Combine(RepoPaths.TempDir("pairs-utf8"), "p.jsonl");
        byte[] good = System.Text.Encoding.UTF8.GetBytes(Good + "\n");
        byte[] bad = System.Text.Encoding.UTF8.GetBytes(Good.Replace("a b", "a \u0001b"));
        int at = Array.IndexOf(bad, (byte)1);
        bad[at] = 0xFF;   // an invalid byte inside a text, where a lenient reader would decode U+FFFD (an extra token)
        File.WriteAllBytes(path, [.. good, .. bad, (byte)'\n']);
        var e = Assert.Throws<FormatException>(() => PairedDataset.Read(path).ToList());
        Assert.Equal($"{path}: not valid UTF-8: invalid byte 0xFF at byte offset {good.Length + at}.", e.Message);
    }

    [Fact]
    public void MissingFileIsAClearError()
    {
        var e = Assert.Throws<FileNotFoundException>(() => PairedDataset.Read("/nonexistent/p.jsonl"));
        Assert.Equal("/nonexistent/p.jsonl: no such file (expected a paired-dataset JSONL).", e.Message);
    }

    [Fact]
    public void WriterRoundTripsAtomicallyAndKeepsTheOldFileOnFailure()
    {
        var pairs = PairedDataset.Read(DataFile("pairs.jsonl")).ToList();
        string dir = RepoPaths.TempDir("pairs-write");
        string path = Path.Combine(dir, "out.jsonl");
        Assert.Equal(2, PairedDataset.Write(path, pairs));
        Assert.Equal(pairs, PairedDataset.Read(path).ToList());
        string first = File.ReadLines(path).First();
        Assert.Equal("{\"messages_0\":[{\"role\":\"user\",\"content\":\"Document: Paris is in France. Question: Where is Paris?\"}],\"messages_1\":[{\"role\":\"user\",\"content\":\"Question: Where is Paris?\"}],\"messages_0_target\":\"Where is Paris?\",\"messages_1_target\":\"Where is Paris?\"}", first);
        Assert.Contains("\"content\":\"Café?\"", File.ReadAllText(path)); // non-ASCII kept readable

        string before = File.ReadAllText(path);
        var bad = pairs.Append(PairedExample.UserOnly("a", "b", "a", "zzz"));
        var e = Assert.Throws<FormatException>(() => PairedDataset.Write(path, bad));
        Assert.Equal($"{path}: pair 3: field 'messages_1_target': the target text does not occur in any message of 'messages_1'.", e.Message);
        Assert.Equal(before, File.ReadAllText(path));
        Assert.Equal(["out.jsonl"], Directory.GetFiles(dir).Select(Path.GetFileName));
    }

    [Fact]
    public void SummaryCountsTheRows()
    {
        var s = PairedDatasetSummary.Of(DataFile("pairs.jsonl"));
        Assert.Equal(2, s.Pairs);
        Assert.Equal(2.0, s.MeanMessages0);
        Assert.Equal(1.5, s.MeanMessages1);
        Assert.Equal((15 + 11) / 2.0, s.MeanTargetChars0);
        Assert.Equal((15 + 18) / 2.0, s.MeanTargetChars1);
        Assert.Equal(1, s.IdenticalTargets);
        Assert.Equal([new IgnoredField("source", 3, 1)], s.OtherFields);
        string empty = Path.Combine(RepoPaths.TempDir("pairs-empty"), "e.jsonl");
        File.WriteAllText(empty, "\n\n");
        Assert.Equal($"{empty}: no pairs (the file is empty or blank).", Assert.Throws<FormatException>(() => PairedDatasetSummary.Of(empty)).Message);
    }
}
