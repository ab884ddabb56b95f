using SteerMoE.Research.Inference.Routing;

namespace SteerMoE.Research.Inference.Models.Benchmarks;

/// <summary>Counts, per forward call and layer, the different experts the call's tokens chose (a decode step is one call).</summary>
public sealed class DistinctExperts(int layers, int experts) : IRoutingObserver
{
    private readonly bool[] _seen = new bool[layers * experts];   // [layer, expert] of the current call
    private readonly int[] _current = new int[layers];
    private readonly List<int[]> _calls = [];

    /// <summary>Per finished call (in order), the distinct experts of each layer.</summary>
    public IReadOnlyList<int[]> Calls => _calls;

    /// <summary>Ends the current call (after each Forward).</summary>
    public void EndCall()
    {
        _calls.Add([.. _current]);
        Array.Clear(_seen); Array.Clear(_current);
    }

    /// <inheritdoc/>
    public void OnRouting(in RoutingBatch batch)
    {
        foreach (int e in batch.TopKIndex)
            if (!_seen[batch.Layer * experts + e]) { _seen[batch.Layer * experts + e] = true; _current[batch.Layer]++; }
    }
}
