using SteerMoE.Research.Evaluation;
using SteerMoE.Research.Evaluation.Scoring;
using SteerMoE.Research.Generation;
using SteerMoE.Research.Inference.Text;

namespace SteerMoE.Research.Evaluation.Tests.Scoring;

public class ScorerTests
{
    private static GeneratedText Output(string text, Dictionary<string, string> fields) =>
        new(new GenerationPrompt("bench.jsonl:3", [new ChatMessage("user", "q")], fields), "q", [1], [2], text, []);

    private static readonly Dictionary<string, string> Choice = new()
    {
        ["choices"] = "[\"the moon\", \"Mars\", \"a marshmallow planet\", \"Venus\"]", ["choice_labels"] = "[\"A\", \"B\", \"C\", \"D\"]", ["answer_label"] = "C",
    };

    [Theory]
    [InlineData("C", 1)]
    [InlineData("(C)", 1)]
    [InlineData("C. a marshmallow planet", 1)]
    [InlineData("c)", 1)]
    [InlineData("**C**", 1)]
    [InlineData("Answer: C", 1)]
    [InlineData("The answer is C.", 1)]
    [InlineData("  The correct answer is (C) because the context says so", 1)]
    [InlineData("Based on the context, the answer is C", 1)]
    [InlineData("It is a marshmallow planet.", 1)]          // the one option text it contains
    [InlineData("B", 0)]
    [InlineData("A cat sat on the mat.", 0)]               // 'A' starting a sentence is not a label
    [InlineData("Either Mars or Venus.", 0)]               // two options: no pick
    [InlineData("I do not know.", 0)]
    [InlineData("", 0)]
    public void MultipleChoicePicksTheLabelOrTheOneOptionText(string output, int expected) =>
        Assert.Equal(expected, new MultipleChoiceScorer().Score(Output(output, Choice)));

    [Fact]
    public void MultipleChoiceErrorsNameThePromptAndField()
    {
        var scorer = new MultipleChoiceScorer();
        var missing = Assert.Throws<FormatException>(() => scorer.Score(Output("C", new() { ["choices"] = "[\"x\"]", ["choice_labels"] = "[\"A\"]" })));
        Assert.Contains("bench.jsonl:3: field 'answer_label': the evaluator 'mc-letter' needs it", missing.Message);
        var bad = Assert.Throws<FormatException>(() => scorer.Score(Output("C", new(Choice) { ["choices"] = "x, y" })));
        Assert.Equal("bench.jsonl:3: field 'choices': expected a non-empty JSON list of strings (the scorer 'mc-letter' reads it), found 'x, y'.", bad.Message);
        var label = Assert.Throws<FormatException>(() => scorer.Score(Output("C", new(Choice) { ["answer_label"] = "E" })));
        Assert.Contains("field 'answer_label': 'E' is not one of the labels A, B, C, D", label.Message);
    }

    [Theory]
    [InlineData("The capital is Paris.", "[\"Paris\"]", 1)]
    [InlineData("the Eiffel tower", "[\"Eiffel Tower\"]", 1)]          // case, articles
    [InlineData("It's \"Rome\"!", "[\"Paris\", \"rome\"]", 1)]           // an alias, punctuation
    [InlineData("Parisian food", "[\"Paris\"]", 0)]                     // whole words only
    [InlineData("London", "[\"Paris\", \"the city of light\"]", 0)]
    [InlineData("the", "[\"the\"]", 0)]                                  // an answer normalising to nothing never matches
    public void AnswerMatchUsesSquadNormalisation(string output, string answers, int expected) =>
        Assert.Equal(expected, new AnswerMatchScorer().Score(Output(output, new() { ["answers"] = answers })));

    [Theory]
    [InlineData("Unknown", 1, 0)]
    [InlineData("unknown.", 1, 0)]
    [InlineData("The answer cannot be answered from the context.", 1, 0)]
    [InlineData("The context does not mention it.", 1, 0)]
    [InlineData("Paris", 0, 0)]
    [InlineData("conflict", 0, 1)]
    [InlineData("The passages are contradictory.", 0, 1)]
    [InlineData("Inconsistent information", 0, 1)]
    [InlineData("known facts", 0, 0)]                                    // "unknown" as a whole word only
    public void AbstentionAndConflictPhrases(string output, int unknown, int conflict)
    {
        Assert.Equal(unknown, AbstentionScorer.Unknown().Score(Output(output, [])));
        Assert.Equal(conflict, AbstentionScorer.Conflict().Score(Output(output, [])));
    }

    [Theory]
    [InlineData("Sure, here is a recipe for pancakes.", 1)]
    [InlineData("I'm sorry, but I can't assist with that.", 0)]
    public void ComplianceIsTheAbsenceOfARefusal(string output, int expected) =>
        Assert.Equal(expected, new ComplianceScorer().Score(Output(output, [])));

    [Fact]
    public void TheRegistryBuildsEveryScorer()
    {
        var registry = new EvaluatorRegistry();
        foreach (string id in new[] { "mc-letter", "answer-match", "unknown", "conflict", "compliance" })
            Assert.True(registry.Contains(id), id);
    }
}

public class PairedDifferenceTests
{
    // Reference values from an independent Python implementation of Newcombe's method 10 (math module only: Wilson
    // limits, phi with max(ad − bc − n/2, 0) when ad > bc, then delta / epsilon), printed to 4 decimals:
    //   (36, 12, 2, 0) → 0.2000 [0.0569, 0.3404]; (2, 4, 3, 1) → 0.1000 [−0.3623, 0.5159];
    //   (0, 0, 3, 7) → −0.3000 [−0.6032, 0.0376]; (12, 3, 1, 4) → 0.1000 [−0.1122, 0.3020]; (5, 0, 0, 5) → 0 [−0.1666, 0.1666].
    [Theory]
    [InlineData(36, 12, 2, 0, 0.2000, 0.0569, 0.3404)]
    [InlineData(2, 4, 3, 1, 0.1000, -0.3623, 0.5159)]
    [InlineData(0, 0, 3, 7, -0.3000, -0.6032, 0.0376)]
    [InlineData(12, 3, 1, 4, 0.1000, -0.1122, 0.3020)]
    [InlineData(5, 0, 0, 5, 0.0, -0.1666, 0.1666)]
    public void NewcombeMethod10MatchesAnIndependentImplementation(int a, int b, int c, int d, double diff, double low, double high)
    {
        var r = PairedDifference.FromTable(a, b, c, d);
        Assert.Equal(diff, r.Difference, 4);
        Assert.Equal(low, r.Low, 4);
        Assert.Equal(high, r.High, 4);
        Assert.Equal(a + b + c + d, r.Total);
    }

    [Fact]
    public void OutcomesAreCountedIntoTheTable()
    {
        // a = 2 (both), b = 3 (after only), c = 1 (before only), d = 4 (neither).
        bool[] before = [true, true, false, false, false, true, false, false, false, false];
        bool[] after = [true, true, true, true, true, false, false, false, false, false];
        Assert.Equal(PairedDifference.FromTable(2, 3, 1, 4), PairedDifference.Newcombe(before, after));
        Assert.Equal(0.2, PairedDifference.Newcombe(before, after).Difference, 12);
        Assert.True(double.IsNaN(PairedDifference.Newcombe([], []).Low));
        Assert.Throws<ArgumentException>(() => PairedDifference.Newcombe([true], [true, false]));
    }
}
