using System.Text;
using Parquet.Serialization;
using SteerMoE.Research.Data.Datasets;
using SteerMoE.Research.Tests;

namespace SteerMoE.Research.Data.Tests.Datasets;

public class DatasetFilesTests
{
    // A FaithEval-counterfactual-like row: a struct of two lists, a plain list, an integer and a nullable string.
    public sealed class Choices { public List<string> label { get; set; } = []; public List<string> text { get; set; } = []; }
    public sealed class Row
    {
        public string question { get; set; } = "";
        public Choices choices { get; set; } = new();
        public List<string> answers { get; set; } = [];
        public long count { get; set; }
        public string? note { get; set; }
    }

    private static readonly Row[] Rows =
    [
        new() { question = "Where is the moon?", choices = new() { label = ["A", "B"], text = ["up", "down"] }, answers = ["up", "above"], count = 3, note = null },
        new() { question = "Ünïcode?", choices = new() { label = ["A"], text = ["yes"] }, answers = [], count = -1, note = "n" },
    ];

    private static void CheckRows(IReadOnlyList<DatasetRow> rows, string file)
    {
        Assert.Equal(2, rows.Count);
        Assert.Equal("Where is the moon?", rows[0].String("question"));
        Assert.Equal(["A", "B"], rows[0].Object("choices").StringList("label"));
        Assert.Equal(["up", "down"], rows[0].Object("choices").StringList("text"));
        Assert.Equal(["up", "above"], rows[0].StringList("answers"));
        Assert.Equal(3, rows[0].Int("count"));
        Assert.Null(rows[0].OptionalString("note"));
        Assert.Null(rows[0].OptionalString("absent"));
        Assert.Equal("n", rows[1].OptionalString("note"));
        Assert.Equal("Ünïcode?", rows[1].String("question"));
        Assert.Empty(rows[1].StringList("answers"));
        Assert.Equal(-1, rows[1].Int("count"));
        Assert.Equal(file, rows[1].File);
        Assert.Equal(2, rows[1].Number);
    }

    public static string WriteParquet<T>(string path, IEnumerable<T> rows)
    {
        ParquetSerializer.SerializeAsync(rows, path).GetAwaiter().GetResult();
        return path;
    }

    [Fact]
    public void ParquetListsBecomeArraysAndStructsObjects()
    {
        string file = WriteParquet(Path.Combine(RepoPaths.TempDir("ds-parquet"), "test-00000-of-00001.parquet"), Rows);
        CheckRows(DatasetFiles.Read(file), file);
    }

    private const string JsonRow0 = "{\"question\": \"Where is the moon?\", \"choices\": {\"label\": [\"A\", \"B\"], \"text\": [\"up\", \"down\"]}, \"answers\": [\"up\", \"above\"], \"count\": 3, \"note\": null}";
    private const string JsonRow1 = "{\"question\": \"Ünïcode?\", \"choices\": {\"label\": [\"A\"], \"text\": [\"yes\"]}, \"answers\": [], \"count\": -1, \"note\": \"n\"}";

    [Theory]
    [InlineData("rows.json", "[" + JsonRow0 + ", " + JsonRow1 + "]")]
    [InlineData("wrapped.json", "{\"version\": \"1\", \"data\": [" + JsonRow0 + ", " + JsonRow1 + "]}")]
    [InlineData("rows.jsonl", JsonRow0 + "\n" + JsonRow1 + "\n\n")]
    public void JsonAndJsonLinesGiveTheSameRows(string name, string text)
    {
        string file = Path.Combine(RepoPaths.TempDir("ds-json"), name);
        File.WriteAllText(file, text, new UTF8Encoding(false));
        CheckRows(DatasetFiles.Read(file), file);
    }

    [Fact]
    public void CsvCellsAreTextWithQuotingAndParsedNumbers()
    {
        string file = Path.Combine(RepoPaths.TempDir("ds-csv"), "prompts.csv");
        File.WriteAllText(file, "\uFEFFprompt,count,flag\n\"Say \"\"hi\"\", then\nstop\",12,True\nplain,x,false\n");
        var rows = DatasetFiles.Read(file);
        Assert.Equal("Say \"hi\", then\nstop", rows[0].String("prompt"));
        Assert.Equal(12, rows[0].Int("count"));
        Assert.True(rows[0].Bool("flag"));
        Assert.False(rows[1].Bool("flag"));
        Assert.Equal($"{file}: row 2: field 'count': expected integer, found string", Assert.Throws<FormatException>(() => rows[1].Int("count")).Message);
    }

    [Fact]
    public void AFolderIsReadInOrdinalOrderSkippingHiddenAndOtherFiles()
    {
        string dir = RepoPaths.TempDir("ds-folder");
        Directory.CreateDirectory(Path.Combine(dir, "data"));
        Directory.CreateDirectory(Path.Combine(dir, ".cache"));
        WriteParquet(Path.Combine(dir, "data", "test-00001-of-00002.parquet"), Rows.Skip(1));
        WriteParquet(Path.Combine(dir, "data", "test-00000-of-00002.parquet"), Rows.Take(1));
        File.WriteAllText(Path.Combine(dir, ".cache", "stale.jsonl"), "{\"question\": \"hidden\"}\n");
        File.WriteAllText(Path.Combine(dir, "README.md"), "# card\n");
        var rows = DatasetFiles.Read(dir);
        Assert.Equal(["Where is the moon?", "Ünïcode?"], rows.Select(r => r.String("question")));
        Assert.Equal([1, 1], rows.Select(r => r.Number)); // rows count per file
        Assert.EndsWith("test-00001-of-00002.parquet", rows[1].File);

        string empty = RepoPaths.TempDir("ds-empty-folder");
        File.WriteAllText(Path.Combine(empty, "README.md"), "x");
        Assert.Contains("no data files in the folder", Assert.Throws<FileNotFoundException>(() => DatasetFiles.Read(empty)).Message);
    }

    [Fact]
    public void TypeErrorsNameFileRowFieldExpectedAndFound()
    {
        string file = Path.Combine(RepoPaths.TempDir("ds-errors"), "bad.jsonl");
        File.WriteAllText(file, "{\"q\": 1}\n\n{\"q\": \"s\", \"l\": [\"a\", 2], \"o\": {\"inner\": [1]}, \"n\": null, \"f\": 1.5}\n");
        var rows = DatasetFiles.Read(file);
        string Message(Action a) => Assert.Throws<FormatException>(a).Message;
        Assert.Equal($"{file}: row 1: field 'q': expected string, found number", Message(() => rows[0].String("q")));
        Assert.Equal($"{file}: row 1: field 'missing': expected string, found missing", Message(() => rows[0].String("missing")));
        Assert.Equal(3, rows[1].Number); // JSONL rows are numbered by line
        Assert.Equal($"{file}: row 3: field 'l[1]': expected string, found number", Message(() => rows[1].StringList("l")));
        Assert.Equal($"{file}: row 3: field 'o.inner[0]': expected string, found number", Message(() => rows[1].Object("o").StringList("inner")));
        Assert.Equal($"{file}: row 3: field 'q': expected object, found string", Message(() => rows[1].Object("q")));
        Assert.Equal($"{file}: row 3: field 'n': expected list of strings, found null", Message(() => rows[1].StringList("n")));
        Assert.Equal($"{file}: row 3: field 'f': expected integer, found number", Message(() => rows[1].Int("f")));
        Assert.Equal($"{file}: row 3: field 'q': expected integer, found string", Message(() => rows[1].Int("q")));
    }

    [Theory]
    [InlineData("not-rows.json", "{\"a\": 1}", "expected an array of rows or an object with one array field")]
    [InlineData("scalars.json", "[1]", "row 1: expected an object, found number")]
    [InlineData("broken.jsonl", "{\"a\": 1}\n{\"a\": \n", "row 2: not valid JSON")]
    [InlineData("array.jsonl", "[1]\n", "row 1: expected an object, found list")]
    [InlineData("open.csv", "a,b\n\"x,1\n", "line 2: a quoted cell is not closed")]
    public void MalformedFilesAreErrorsNamingTheFile(string name, string text, string expected)
    {
        string file = Path.Combine(RepoPaths.TempDir("ds-malformed"), name);
        File.WriteAllText(file, text);
        var e = Assert.Throws<FormatException>(() => DatasetFiles.Read(file));
        Assert.StartsWith(file + ": ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void InvalidUtf8IsAnErrorWithTheByteOffset()
    {
        string file = Path.Combine(RepoPaths.TempDir("ds-utf8"), "latin1.jsonl");
        var bytes = Encoding.UTF8.GetBytes("{\"q\": \"caf").Concat(new byte[] { 0xE9 }).Concat(Encoding.UTF8.GetBytes("\"}\n")).ToArray();
        File.WriteAllBytes(file, bytes);
        Assert.Equal($"{file}: not valid UTF-8: invalid byte 0xE9 at byte offset 10.", Assert.Throws<FormatException>(() => DatasetFiles.Read(file)).Message);
        string csv = Path.ChangeExtension(file, ".csv");
        File.WriteAllBytes(csv, Encoding.UTF8.GetBytes("a\nok\n").Concat(new byte[] { 0xC3, 0x28 }).ToArray());
        Assert.Contains("at byte offset 5", Assert.Throws<FormatException>(() => DatasetFiles.Read(csv)).Message);
    }

    [Fact]
    public void MissingPathsAndUnknownTypesAreErrors()
    {
        string dir = RepoPaths.TempDir("ds-missing");
        Assert.Contains("no such file or folder", Assert.Throws<FileNotFoundException>(() => DatasetFiles.Read(Path.Combine(dir, "nope.parquet"))).Message);
        string txt = Path.Combine(dir, "rows.txt");
        File.WriteAllText(txt, "x");
        Assert.Contains("unknown dataset file type '.txt'", Assert.Throws<FormatException>(() => DatasetFiles.Read(txt)).Message);
        string garbage = Path.Combine(dir, "garbage.parquet");
        File.WriteAllText(garbage, "not parquet at all");
        Assert.StartsWith($"{garbage}: not a readable Parquet file", Assert.Throws<FormatException>(() => DatasetFiles.Read(garbage)).Message);
    }
}
