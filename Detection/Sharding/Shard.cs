using System.Globalization;

namespace SteerMoE.Research.Detection.Sharding;

/// <summary>
/// One of <see cref="Count"/> contiguous slices of an ordered list (a dataset's pairs, an experiment's cells),
/// <see cref="Index"/> 1-based (docs/CONTRACTS.md §14): item p of P belongs to shard floor(p·N/P) + 1, so shard i
/// holds items ceil((i − 1)·P/N) to ceil(i·P/N) − 1 and concatenating the shards in index order gives the list in order.
/// With N &gt; P some shards are empty.
/// </summary>
/// <param name="Index">1 to Count.</param>
/// <param name="Count">N ≥ 1.</param>
public readonly record struct Shard(int Index, int Count)
{
    /// <summary>"I/N".</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Index}/{Count}");

    /// <summary>The folder-safe name "I-of-N".</summary>
    public string FolderName => string.Create(CultureInfo.InvariantCulture, $"{Index}-of-{Count}");

    /// <summary>The items [Start, End) of a list of <paramref name="total"/> items.</summary>
    public (long Start, long End) Range(long total)
    {
        if (total < 0) throw new ArgumentOutOfRangeException(nameof(total));
        return (Boundary(Index - 1, total), Boundary(Index, total));
    }

    private long Boundary(int shard, long total) => (long)(((Int128)shard * total + Count - 1) / Count);   // ceil(shard·P/N), exact

    /// <summary>
    /// Parses "I/N" (1 ≤ I ≤ N, N ≥ 1); anything else is a FormatException
    /// <c>{flag}: expected I/N with 1 ≤ I ≤ N (e.g. 2/4), got 'TEXT'</c>.
    /// </summary>
    public static Shard Parse(string text, string flag = "--shard")
    {
        string Error(string why) => $"{flag}: expected I/N with 1 ≤ I ≤ N (e.g. 2/4: the second of four; 1-based), got '{text}'{why}.";
        var parts = (text ?? "").Split('/');
        if (parts.Length != 2
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int index)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int count))
            throw new FormatException(Error(""));
        if (count < 1) throw new FormatException(Error(": N must be at least 1"));
        if (index < 1 || index > count) throw new FormatException(Error($": I must be between 1 and {count}"));
        return new Shard(index, count);
    }
}
