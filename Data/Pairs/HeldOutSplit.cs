namespace SteerMoE.Research.Data.Pairs;

/// <summary>
/// Splits a dataset into a detection part and a held-out evaluation part, so that the pairs experts are
/// detected on are never the prompts steering is measured on. Deterministic for a given generator.
/// </summary>
public static class HeldOutSplit
{
    /// <summary>
    /// Puts round(n · <paramref name="evaluationFraction"/>) items, chosen uniformly by <paramref name="random"/>
    /// (pass <c>context.CreateRandom(name)</c>), into the evaluation part and the rest into the detection part;
    /// both keep the input order.
    /// </summary>
    public static (IReadOnlyList<T> Detection, IReadOnlyList<T> Evaluation) Split<T>(IReadOnlyList<T> items, double evaluationFraction, Random random)
    {
        if (!(evaluationFraction >= 0 && evaluationFraction <= 1))
            throw new ArgumentException($"--evaluation-fraction: {evaluationFraction}: expected a fraction in [0, 1].");
        int evaluationCount = (int)Math.Round(items.Count * evaluationFraction, MidpointRounding.AwayFromZero);
        var order = Enumerable.Range(0, items.Count).ToArray();
        random.Shuffle(order);
        var isEvaluation = new bool[items.Count];
        foreach (int i in order.AsSpan(0, evaluationCount)) isEvaluation[i] = true;
        var detection = new List<T>(items.Count - evaluationCount);
        var evaluation = new List<T>(evaluationCount);
        for (int i = 0; i < items.Count; i++) (isEvaluation[i] ? evaluation : detection).Add(items[i]);
        return (detection, evaluation);
    }
}
