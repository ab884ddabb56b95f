using SteerMoE.Research.Evaluation.Benchmarks;

namespace SteerMoE.Research.Evaluation.Tests.Benchmarks;

public class CounterfactualQaTests
{
    [Fact]
    public void CfTriviaQaReadsTheHarJsonLines()
    {
        // The published har_dataset.jsonl: one object a line, the answer nested in annotation.answer[].paragraph_reference.string.
        string file = BenchmarkFiles.Text("har_dataset.jsonl",
            "{\"question_text\": \"Which planet is the Red Planet?\", \"paragraph_text\": \"Venus, known as the Red Planet, ...\", " +
            "\"annotation\": {\"answer\": [{\"paragraph_reference\": {\"string\": \"Venus\"}}]}, \"question_id\": \"tc_1\"}\n");
        var prompt = Assert.Single(new CfTriviaQa().Load(file));
        Assert.Equal(
            "Answer the question based on the document below, even if it contradicts what you know. Reply with the answer only.\n" +
            "Document: Venus, known as the Red Planet, ...\nQuestion: Which planet is the Red Planet?\nAnswer:", prompt.Messages[0].Content);
        Assert.Equal("[\"Venus\"]", prompt.Fields["answers"]);
        Assert.Equal("cf-triviaqa", prompt.Fields["benchmark"]);
        Assert.Equal("har_dataset.jsonl:1", prompt.Id);
    }

    private const string MquakeCase =
        "{\"case_id\": 1, \"requested_rewrite\": [" +
        "{\"prompt\": \"{} is a citizen of\", \"relation_id\": \"P27\", \"subject\": \"Ann Smith\", \"target_new\": {\"str\": \"Peru\", \"id\": \"Q419\"}, \"target_true\": {\"str\": \"Chile\", \"id\": \"Q298\"}, \"question\": \"Which country is Ann Smith a citizen of?\"}, " +
        "{\"prompt\": \"The capital of {} is\", \"relation_id\": \"P36\", \"subject\": \"Peru\", \"target_new\": {\"str\": \"Cusco\", \"id\": \"Q5\"}, \"target_true\": {\"str\": \"Lima\", \"id\": \"Q2868\"}, \"question\": \"What is the capital of Peru?\"}], " +
        "\"questions\": [\"What is the capital of the country Ann Smith is a citizen of?\", \"Ann Smith's country has which capital?\"], " +
        "\"answer\": \"Santiago\", \"answer_alias\": [\"Santiago de Chile\"], \"new_answer\": \"Cusco\", \"new_answer_alias\": [\"Cuzco\", \"Qusqu\"]}";

    [Fact]
    public void MquakeGivesTheEditedFactsThenTheFirstQuestion()
    {
        string file = BenchmarkFiles.Text("MQuAKE-CF-3k.json", "[" + MquakeCase + "]");
        var prompt = Assert.Single(new MQuake().Load(file));
        Assert.Equal(
            "Answer the question using the facts below, which take precedence over what you know. Reply with the answer only.\n" +
            "Facts: Ann Smith is a citizen of Peru. The capital of Peru is Cusco.\n" +
            "Question: What is the capital of the country Ann Smith is a citizen of?\nAnswer:", prompt.Messages[0].Content);
        Assert.Equal("[\"Cusco\",\"Cuzco\",\"Qusqu\"]", prompt.Fields["answers"]);
    }

    // The same case as a Parquet row (a list of structs holding structs), as a Hugging Face conversion would store it.
    public sealed class Target { public string str { get; set; } = ""; public string id { get; set; } = ""; }
    public sealed class Rewrite { public string prompt { get; set; } = ""; public string subject { get; set; } = ""; public Target target_new { get; set; } = new(); }
    public sealed class MquakeRow
    {
        public long case_id { get; set; }
        public List<Rewrite> requested_rewrite { get; set; } = [];
        public List<string> questions { get; set; } = [];
        public string new_answer { get; set; } = "";
        public List<string> new_answer_alias { get; set; } = [];
    }

    [Fact]
    public void MquakeParquetListsOfStructsReadTheSame()
    {
        string folder = BenchmarkFiles.Parquet("mquake", new[]
        {
            new MquakeRow
            {
                case_id = 1, questions = ["What is the capital of the country Ann Smith is a citizen of?"], new_answer = "Cusco", new_answer_alias = [],
                requested_rewrite = [new() { prompt = "{} is a citizen of", subject = "Ann Smith", target_new = new() { str = "Peru", id = "Q419" } }],
            },
        }, "CF3k-00000-of-00001.parquet");
        var prompt = Assert.Single(new MQuake().Load(folder));
        Assert.Contains("Facts: Ann Smith is a citizen of Peru.\nQuestion: What is the capital", prompt.Messages[0].Content);
        Assert.Equal("[\"Cusco\"]", prompt.Fields["answers"]);
    }

    [Fact]
    public void MquakeErrorsNameTheNestedField()
    {
        string file = BenchmarkFiles.Text("MQuAKE-CF-3k.json", "[" + MquakeCase + ", " + MquakeCase.Replace("\"target_new\": {\"str\": \"Cusco\"", "\"target_new\": {\"label\": \"Cusco\"") + "]");
        Assert.Equal($"{file}: row 2: field 'requested_rewrite[1].target_new.str': expected string, found missing",
            Assert.Throws<FormatException>(() => new MQuake().Load(file)).Message);
    }

    // sagnikrayc/mctest mc500 rows (refs/convert/parquet: mc500/test/0000.parquet).
    public sealed class Options { public string A { get; set; } = ""; public string B { get; set; } = ""; public string C { get; set; } = ""; public string D { get; set; } = ""; }
    public sealed class McTestRow
    {
        public string idx { get; set; } = "";
        public string question { get; set; } = "";
        public string story { get; set; } = "";
        public Options answer_options { get; set; } = new();
        public string answer { get; set; } = "";
    }

    [Fact]
    public void McTestIsLetteredMultipleChoice()
    {
        string folder = BenchmarkFiles.Parquet("mctest", new[]
        {
            new McTestRow { idx = "mc500.test.0", question = "What did Sam eat?", story = "Sam ate a pear.", answer_options = new() { A = "an apple", B = "a pear", C = "bread", D = "soup" }, answer = "B" },
            new McTestRow { idx = "mc500.test.1", question = "Who?", story = "S.", answer_options = new() { A = "a", B = "b", C = "c", D = "d" }, answer = "E" },
        }, "0000.parquet");
        var e = Assert.Throws<FormatException>(() => new McTest().Load(folder));
        Assert.EndsWith("0000.parquet: row 2: field 'answer': expected one of A, B, C, D, found 'E'", e.Message);

        string good = BenchmarkFiles.Parquet("mctest", new[]
        {
            new McTestRow { idx = "mc500.test.0", question = "What did Sam eat?", story = "Sam ate a pear.", answer_options = new() { A = "an apple", B = "a pear", C = "bread", D = "soup" }, answer = "B" },
        }, "0000.parquet");
        var prompt = Assert.Single(new McTest().Load(good));
        Assert.Equal(
            "Read the story and answer the question. Reply with the letter of the correct option.\n" +
            "Story: Sam ate a pear.\nQuestion: What did Sam eat?\nA. an apple\nB. a pear\nC. bread\nD. soup\nAnswer:", prompt.Messages[0].Content);
        Assert.Equal("B", prompt.Fields["answer_label"]);
        Assert.Equal("[\"A\",\"B\",\"C\",\"D\"]", prompt.Fields["choice_labels"]);
        Assert.Equal("[\"an apple\",\"a pear\",\"bread\",\"soup\"]", prompt.Fields["choices"]);
    }
}
