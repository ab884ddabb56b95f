using SteerMoE.Research.Data.Counts;

namespace SteerMoE.Research.Detection.Collection;

/// <summary>
/// The pooled counts of a detection run, per (layer, expert): how many counted tokens of each side were routed
/// to the expert (a1, a2), and how many tokens each side counted (N1, N2; d = N − a). Memory is L·E counters
/// whatever the dataset size.
/// </summary>
public sealed class ActivationCounts
{
    /// <summary>Empty counts for <paramref name="layers"/> × <paramref name="experts"/>.</summary>
    public ActivationCounts(int layers, int experts)
    {
        if (layers <= 0 || experts <= 0) throw new ArgumentException($"activation counts: {layers} layers × {experts} experts; expected positive sizes.");
        Layers = layers; Experts = experts;
        Activations1 = new long[layers * experts]; Activations2 = new long[layers * experts];
    }

    /// <summary>L.</summary>
    public int Layers { get; }
    /// <summary>E.</summary>
    public int Experts { get; }
    /// <summary>[L, E] a1: side-1 tokens routed to the expert.</summary>
    public long[] Activations1 { get; }
    /// <summary>[L, E] a2: side-2 tokens routed to the expert.</summary>
    public long[] Activations2 { get; }
    /// <summary>N1: tokens counted on side 1.</summary>
    public long Tokens1 { get; set; }
    /// <summary>N2: tokens counted on side 2.</summary>
    public long Tokens2 { get; set; }

    /// <summary>The counts as a count table (rows layer, expert; d = N − a; a dense layer, never routed, has no rows).</summary>
    public CountTable ToCountTable(string source = "detection counts") =>
        CountTable.FromPooled(Layers, Experts, Activations1, Activations2, Tokens1, Tokens2, source);
}
