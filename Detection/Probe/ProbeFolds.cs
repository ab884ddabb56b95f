namespace SteerMoE.Research.Detection.Probe;

/// <summary>Cross-validation folds grouped by pair: both sides of a pair are always in the same fold.</summary>
public static class ProbeFolds
{
    /// <summary>
    /// The fold (0 .. <paramref name="folds"/> − 1) of each of <paramref name="pairs"/> pairs: one uniform permutation
    /// of the pairs drawn from <paramref name="random"/> (Fisher-Yates), the pair at position i of it going to fold i mod k,
    /// so fold sizes differ by at most one and the assignment depends only on the stream's seed.
    /// </summary>
    public static int[] Assign(int pairs, int folds, Random random)
    {
        if (folds < 2 || folds > pairs)
            throw new ArgumentException($"probe: {folds} folds for {pairs} pairs; expected 2 ≤ folds ≤ pairs.");
        var order = Enumerable.Range(0, pairs).ToArray();
        for (int i = pairs - 1; i > 0; i--) { int j = random.Next(i + 1); (order[i], order[j]) = (order[j], order[i]); }
        var fold = new int[pairs];
        for (int i = 0; i < pairs; i++) fold[order[i]] = i % folds;
        return fold;
    }
}
