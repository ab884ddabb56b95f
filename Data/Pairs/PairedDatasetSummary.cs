namespace SteerMoE.Research.Data.Pairs;

/// <summary>What <c>pairs check</c> reports about a valid paired dataset.</summary>
public sealed record PairedDatasetSummary(int Pairs, double MeanMessages0, double MeanMessages1, double MeanTargetChars0, double MeanTargetChars1, int IdenticalTargets,
    IReadOnlyList<IgnoredField> OtherFields)
{
    /// <summary>Reads the whole file (streaming), validating every row; throws at the first bad line.</summary>
    public static PairedDatasetSummary Of(string path)
    {
        int n = 0, identical = 0;
        long m0 = 0, m1 = 0, c0 = 0, c1 = 0;
        var otherFields = new OtherFieldTally();
        foreach (var p in PairedDataset.Read(path, otherFields))   // one pass: counts and the fields outside the format
        {
            n++;
            m0 += p.Messages0.Count; m1 += p.Messages1.Count;
            c0 += p.Target0.Length; c1 += p.Target1.Length;
            if (p.Target0 == p.Target1) identical++;
        }
        if (n == 0) throw new FormatException($"{path}: no pairs (the file is empty or blank).");
        return new PairedDatasetSummary(n, (double)m0 / n, (double)m1 / n, (double)c0 / n, (double)c1 / n, identical, otherFields.Fields);
    }
}
