using SteerMoE.Research.Evaluation.Benchmarks;

namespace SteerMoE.Research.Evaluation.Tests.Benchmarks;

public class FaithEvalTests
{
    // Salesforce/FaithEval-*-v1.0 rows (data/test-00000-of-00001.parquet).
    public sealed class Choices { public List<string> label { get; set; } = []; public List<string> text { get; set; } = []; }
    public sealed class CounterfactualRow
    {
        public string id { get; set; } = "";
        public string question { get; set; } = "";
        public string context { get; set; } = "";
        public Choices choices { get; set; } = new();
        public string answerKey { get; set; } = "";
    }
    public sealed class OpenRow
    {
        public string id { get; set; } = "";
        public string context { get; set; } = "";
        public string question { get; set; } = "";
        public List<string> answers { get; set; } = [];
    }

    [Fact]
    public void CounterfactualAsksForTheLetterOfTheContextSupportedOption()
    {
        string folder = BenchmarkFiles.Parquet("faitheval-counterfactual", new CounterfactualRow[]
        {
            new() { id = "q1", question = "What is the moon made of?", context = "The moon is made of marshmallows.", choices = new() { label = ["A", "B", "C", "D"], text = ["rock", "marshmallows", "cheese", "ice"] }, answerKey = "B" },
            new() { id = "q2", question = "Which gas do plants take in?", context = "Plants breathe in helium.", choices = new() { label = ["1", "2", "3"], text = ["oxygen", "helium", "carbon dioxide"] }, answerKey = "2" },
        });
        var prompts = new FaithEvalCounterfactual().Load(folder);
        Assert.Equal(2, prompts.Count);
        Assert.Equal(
            "Answer the question using only the context below, even where it disagrees with what you know. Reply with the letter of the correct option.\n" +
            "Context: The moon is made of marshmallows.\nQuestion: What is the moon made of?\nA. rock\nB. marshmallows\nC. cheese\nD. ice\nAnswer:",
            Assert.Single(prompts[0].Messages).Content);
        Assert.Equal("user", prompts[0].Messages[0].Role);
        Assert.Equal("faitheval-counterfactual", prompts[0].Fields["benchmark"]);
        Assert.Equal("[\"rock\",\"marshmallows\",\"cheese\",\"ice\"]", prompts[0].Fields["choices"]);
        Assert.Equal("[\"A\",\"B\",\"C\",\"D\"]", prompts[0].Fields["choice_labels"]);
        Assert.Equal("B", prompts[0].Fields["answer_label"]);
        Assert.Equal("test-00000-of-00001.parquet:1", prompts[0].Id);
        // Numeric labels are relabelled by position, and the key follows.
        Assert.Equal("B", prompts[1].Fields["answer_label"]);
        Assert.Contains("\nA. oxygen\nB. helium\nC. carbon dioxide\nAnswer:", prompts[1].Messages[0].Content);
    }

    [Fact]
    public void UnanswerableAndInconsistentUseFaithEvalsInstructions()
    {
        var rows = new OpenRow[] { new() { id = "u1", context = "Paris is in France.", question = "Who founded Paris?", answers = ["unknown"] } };
        var unanswerable = Assert.Single(new FaithEvalUnanswerable().Load(BenchmarkFiles.Parquet("faitheval-unanswerable", rows)));
        Assert.Equal(
            "You are an expert in retrieval question answering.\nRespond with the exact answer only, without explanation.\n" +
            "If the context does not contain the answer, answer 'unknown'.\nContext: Paris is in France.\nQuestion: Who founded Paris?\nAnswer:",
            unanswerable.Messages[0].Content);
        Assert.Equal(new Dictionary<string, string> { ["benchmark"] = "faitheval-unanswerable" }, unanswerable.Fields);

        var inconsistent = Assert.Single(new FaithEvalInconsistent().Load(BenchmarkFiles.Parquet("faitheval-inconsistent", rows)));
        Assert.Contains("\nIf the context holds conflicting information or several different answers, answer 'conflict'.\nContext: Paris is in France.\n", inconsistent.Messages[0].Content);
        Assert.Equal("faitheval-inconsistent", inconsistent.Fields["benchmark"]);
    }

    [Fact]
    public void CounterfactualRowsOutsideTheSchemaAreRejected()
    {
        var bad = new CounterfactualRow[]
        {
            new() { id = "ok", question = "q", context = "c", choices = new() { label = ["A"], text = ["x"] }, answerKey = "A" },
            new() { id = "bad", question = "q", context = "c", choices = new() { label = ["A", "B"], text = ["x", "y"] }, answerKey = "E" },
        };
        var e = Assert.Throws<FormatException>(() => new FaithEvalCounterfactual().Load(BenchmarkFiles.Parquet("faitheval-counterfactual", bad)));
        Assert.Matches(@"test-00000-of-00001\.parquet: row 2: field 'answerKey': 'E' is not one of the choice labels \(A, B\)$", e.Message);

        string flat = BenchmarkFiles.Text("cf.jsonl", "{\"id\": \"1\", \"question\": \"q\", \"context\": \"c\", \"choices\": [\"x\"], \"answerKey\": \"A\"}\n");
        Assert.Equal($"{flat}: row 1: field 'choices': expected object, found list", Assert.Throws<FormatException>(() => new FaithEvalCounterfactual().Load(flat)).Message);
    }
}
