using SteerMoE.Research.Evaluation;
using SteerMoE.Research.Generation;

namespace SteerMoE.Research.Evaluation.Tests;

public class EvaluatorTests
{
    private static GeneratedText Output(string text, Dictionary<string, string>? fields = null) =>
        new(new GenerationPrompt("p1", [new("user", "q")], fields ?? []), "q", [1], [], text, []);

    [Theory]
    [InlineData("The answer is Paris, in France.", "paris", 1)]
    [InlineData("the answer is paris .", "Paris", 1)]
    [InlineData("It is Parisian food.", "Paris", 0)]
    [InlineData("Berlin", "Paris", 0)]
    public void ContextMatchFindsTheAnswerAsWholeWords(string text, string answer, double expected) =>
        Assert.Equal(expected, new ContextAnswerEvaluator().Score(Output(text, new() { ["answer"] = answer })));

    [Fact]
    public void ContextMatchWithoutAnAnswerFieldNamesThePromptAndField()
    {
        var e = Assert.Throws<FormatException>(() => new ContextAnswerEvaluator().Score(Output("x")));
        Assert.Contains("p1", e.Message);
        Assert.Contains("'answer'", e.Message);
    }

    [Fact]
    public void ContextMatchFallsBackToBehaviourOneAndBehaviourMatchReadsItsField()
    {
        var fields = new Dictionary<string, string> { ["behaviour_1"] = "lima", ["behaviour_2"] = "warsaw" };
        Assert.Equal(1, new ContextAnswerEvaluator().Score(Output("lima <|end|>", fields)));
        Assert.Equal(0, new BehaviourMatchEvaluator(2).Score(Output("lima", fields)));
        Assert.Equal(1, new BehaviourMatchEvaluator(2).Score(Output("warsaw .", fields)));
    }

    [Theory]
    [InlineData("I'm sorry, but I can't assist with that.", 1)]
    [InlineData("i ' m sorry but i can ' t help with that .", 1)]
    [InlineData("As an AI, I will not do this", 1)]
    [InlineData("Sure, here is how to bake a cake.", 0)]
    [InlineData("Icannot is not a word", 0)]
    public void RefusalMatchesPhrases(string text, double expected) => Assert.Equal(expected, new RefusalEvaluator().Score(Output(text)));

    [Theory]
    [InlineData("1 2 3 four", 1, 0)]
    [InlineData("one, 2, 3", 0, 1)]
    [InlineData("Twenty apples and 3 pears", 0, 1)]
    [InlineData("no numbers here", 0, 0)]
    [InlineData("3.5 kg", 1, 0)]
    public void NumberFormScoresTheFirstNumber(string text, double digits, double words)
    {
        Assert.Equal(digits, new NumberFormEvaluator(true).Score(Output(text)));
        Assert.Equal(words, new NumberFormEvaluator(false).Score(Output(text)));
    }

    [Fact]
    public void RegistryKnowsTheBuiltInsAndRejectsUnknownIds()
    {
        var registry = new EvaluatorRegistry();
        Assert.Equal(["answer-match", "behaviour-1-match", "behaviour-2-match", "compliance", "conflict", "context-match", "digits-rate", "fluency", "fluency-judge", "llama-guard", "mc-letter", "refusal", "unknown", "words-rate"], registry.Ids);
        var e = Assert.Throws<FormatException>(() => registry.CheckIds(["refusal", "politeness"], "spec.yaml"));
        Assert.Contains("spec.yaml", e.Message);
        Assert.Contains("'politeness'", e.Message);
    }

    // Reference values: statsmodels 0.14 mcnemar(table, exact=True) and mcnemar(table, exact=False, correction=True).
    [Theory]
    [InlineData(3, 10, 0.09228515625)]
    [InlineData(0, 5, 0.0625)]
    [InlineData(7, 7, 1.0)]
    [InlineData(1, 0, 1.0)]
    public void McNemarExactMatchesStatsmodels(int b, int c, double p)
    {
        var r = McNemarTest.FromDiscordant(b, c);
        Assert.True(r.Exact);
        Assert.Equal(p, r.PValue, 12);
    }

    [Theory]
    [InlineData(30, 12, 6.880952380952381, 0.008711912962379598)]
    [InlineData(40, 40, 0.0125, 0.910979292510634)]
    [InlineData(100, 60, 9.50625, 0.002047732153668759)]
    public void McNemarChiSquareMatchesStatsmodels(int b, int c, double stat, double p)
    {
        var r = McNemarTest.FromDiscordant(b, c);
        Assert.False(r.Exact);
        Assert.Equal(stat, r.Statistic, 12);
        Assert.Equal(p, r.PValue, 10);
    }

    [Fact]
    public void McNemarCountsDiscordantPairs()
    {
        var r = McNemarTest.Test([true, true, false, false, true, false], [false, true, true, true, false, false]);
        Assert.Equal(2, r.Down);
        Assert.Equal(2, r.Up);
        Assert.Throws<ArgumentException>(() => McNemarTest.Test([true], [true, false]));
    }

    // Reference values: statsmodels proportion_confint(count, nobs, method='wilson').
    [Theory]
    [InlineData(7, 20, 0.18119182410108203, 0.5671457233147638)]
    [InlineData(0, 10, 0.0, 0.27753279986288926)]
    [InlineData(10, 10, 0.7224672001371106, 1.0)]
    [InlineData(1, 3, 0.06149194472039626, 0.7923403991979523)]
    public void WilsonMatchesStatsmodels(int k, int n, double low, double high)
    {
        var (l, h) = RateSummary.Wilson(k, n);
        Assert.Equal(low, l, 12);
        Assert.Equal(high, h, 12);
        var summary = RateSummary.Of(Enumerable.Range(0, n).Select(i => i < k));
        Assert.Equal((double)k / n, summary.Rate, 15);
    }

    [Fact]
    public void KullbackLeiblerOfSoftmaxesMatchesNumpy()
    {
        // numpy: P = softmax([1, 2, 3]), Q = softmax([3, 1, 0.5]), sum(P log(P / Q)).
        Assert.Equal(1.5168978466263283, Probabilities.KullbackLeibler([1f, 2f, 3f], [3f, 1f, 0.5f]), 6);
        Assert.Equal(0, Probabilities.KullbackLeibler([1f, 2f, 3f], [1f, 2f, 3f]), 12);
    }
}
