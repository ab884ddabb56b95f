using Microsoft.ML;
using Microsoft.ML.Data;
using SteerMoE.Research.Detection.Pairs;

namespace SteerMoE.Research.Detection.Probe;

/// <summary>One example of the routing features: one side of one pair.</summary>
public sealed class RoutingFeatureRow
{
    /// <summary>True for side 1 (messages_0), false for side 2.</summary>
    public bool Label { get; set; }
    /// <summary>Share of the side's span tokens routed to each (layer, expert), [L*E], index layer·E + expert.</summary>
    public float[] Features { get; set; } = [];
    /// <summary>The pair (0-based, file order): the grouping key of cross-validation.</summary>
    public int Pair { get; set; }
    /// <summary>1 or 2.</summary>
    public int Side { get; set; }
}

/// <summary>
/// The routing features of a detection run as an ML.NET <see cref="IDataView"/>, for the probe and for users' own
/// pipelines: one row per pair and side (pair 0 side 1, pair 0 side 2, pair 1 side 1, ...), columns
/// <c>Label</c> (Boolean: side 1), <c>Features</c> (Single vector of L·E shares, slot names <c>L{layer}E{expert}</c>),
/// <c>Pair</c> and <c>Side</c> (Int32).
/// </summary>
public static class RoutingFeatures
{
    /// <summary>Column names.</summary>
    public const string LabelColumn = "Label", FeaturesColumn = "Features", PairColumn = "Pair", SideColumn = "Side";

    /// <summary>Activations / tokens of one side of a pair, [L*E]; a side with no counted tokens is an error.</summary>
    public static float[] Shares(PairCounts counts, int pair, int side)
    {
        long tokens = counts.Tokens(pair, side);
        if (tokens <= 0) throw new ArgumentException($"pair counts: pair {pair}, side {side} has no counted tokens; the probe's features (share of tokens per expert) need at least one.");
        var activations = counts.Activations(pair, side);
        var shares = new float[counts.Width];
        for (int k = 0; k < shares.Length; k++) shares[k] = (float)((double)activations[k] / tokens);
        return shares;
    }

    /// <summary>The rows of the given pairs (every pair when null), each pair side 1 then side 2.</summary>
    public static IEnumerable<RoutingFeatureRow> Rows(PairCounts counts, IEnumerable<int>? pairs = null)
    {
        foreach (int p in pairs ?? Enumerable.Range(0, counts.PairCount))
            for (int side = 1; side <= 2; side++)
                yield return new RoutingFeatureRow { Label = side == 1, Features = Shares(counts, p, side), Pair = p, Side = side };
    }

    /// <summary>Every pair's two rows as an <see cref="IDataView"/> of <paramref name="ml"/> (see the class summary).</summary>
    public static IDataView ToDataView(MLContext ml, PairCounts counts) => ToDataView(ml, counts, null);

    /// <summary>The rows of the given pairs as an <see cref="IDataView"/> (materialised: it can be read many times).</summary>
    public static IDataView ToDataView(MLContext ml, PairCounts counts, IEnumerable<int>? pairs)
    {
        var schema = SchemaDefinition.Create(typeof(RoutingFeatureRow));
        var features = schema[FeaturesColumn];
        features.ColumnType = new VectorDataViewType(NumberDataViewType.Single, counts.Width);
        var names = Enumerable.Range(0, counts.Width).Select(k => $"L{k / counts.Experts}E{k % counts.Experts}".AsMemory()).ToArray();
        features.AddAnnotation("SlotNames", new VBuffer<ReadOnlyMemory<char>>(names.Length, names),
            new VectorDataViewType(TextDataViewType.Instance, names.Length));
        return ml.Data.LoadFromEnumerable(Rows(counts, pairs).ToList(), schema);
    }
}
