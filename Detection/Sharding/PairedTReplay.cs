using System.Runtime.InteropServices;
using SteerMoE.Research.Data.RoutingLogs;
using SteerMoE.Research.Detection.Collection;
using SteerMoE.Research.Detection.Statistics;

namespace SteerMoE.Research.Detection.Sharding;

/// <summary>
/// The paired t of a run recomputed from its routing log (docs/CONTRACTS.md §14): the log holds every token's raw router
/// logits (the floats the collector's softmax read), so adding the pairs whose spans hold the same ids in pair order,
/// token by token, repeats the one-process Welford updates exactly. A merge of shards that wrote a routing log uses it
/// instead of Chan's formula, so its paired t equals one process's bit for bit. Streams the logits of span tokens only.
/// </summary>
public static class PairedTReplay
{
    /// <summary>
    /// Replays the log in <paramref name="routingLog"/> (router_logits, token_id, pair, side, in_target .npy) into a new
    /// accumulator; returns it with the number of pairs whose spans matched.
    /// </summary>
    public static (PairedTTest PairedT, long MatchedPairs) FromRoutingLog(string routingLog, int layers, int experts)
    {
        string F(string name) => Path.Combine(routingLog, name + ".npy");
        int[] tokenIds = NpyArray.Load(F("token_id")).Ints(), pairs = NpyArray.Load(F("pair")).Ints();
        byte[] sides = NpyArray.Load(F("side")).Data, inTarget = NpyArray.Load(F("in_target")).Data;
        int rows = tokenIds.Length, width = layers * experts;
        if (pairs.Length != rows || sides.Length != rows || inTarget.Length != rows)
            throw new InvalidDataException($"{routingLog}: token_id, pair, side and in_target hold {rows}, {pairs.Length}, {sides.Length} and {inTarget.Length} rows; expected the same count.");
        using var logits = File.OpenRead(F("router_logits"));
        var header = NpyFormat.ReadHeader(logits, F("router_logits"));
        if (header.Type != NpyType.Float32 || header.Shape.Length != 3 || header.Shape[0] != rows || header.Shape[1] != layers || header.Shape[2] != experts)
            throw new InvalidDataException($"{F("router_logits")}: ({string.Join(", ", header.Shape)}) {NpyFormat.Descr(header.Type)}; expected <f4 ({rows}, {layers}, {experts}).");

        var pairedT = new PairedTTest(layers, experts);
        long matched = 0;
        var buffer = new float[width];
        double[] Probabilities((int Start, int End) span)
        {
            var p = new double[(span.End - span.Start) * width];
            for (int r = span.Start; r < span.End; r++)
            {
                logits.Position = header.DataOffset + (long)r * width * sizeof(float);
                logits.ReadExactly(MemoryMarshal.AsBytes(buffer.AsSpan()));
                for (int l = 0; l < layers; l++)
                    SpanCountingObserver.Softmax(buffer.AsSpan(l * experts, experts), p.AsSpan(((r - span.Start) * layers + l) * experts, experts));
            }
            return p;
        }
        // Rows are pairs in order, side 1 then side 2, positions in order; a side's span is its in_target rows (contiguous).
        for (int row = 0; row < rows;)
        {
            int pair = pairs[row], end = row;
            while (end < rows && pairs[end] == pair) end++;
            var span1 = Span(row, end, 1);
            var span2 = Span(row, end, 2);
            if (tokenIds.AsSpan(span1.Start, span1.End - span1.Start).SequenceEqual(tokenIds.AsSpan(span2.Start, span2.End - span2.Start)))
            {
                pairedT.AddPair(Probabilities(span1), Probabilities(span2));
                matched++;
            }
            row = end;
        }
        return (pairedT, matched);

        (int Start, int End) Span(int from, int to, int side)
        {
            int start = -1, stop = -1;
            for (int r = from; r < to; r++)
                if (sides[r] == side && inTarget[r] == 1) { if (start < 0) start = r; stop = r + 1; }
            if (start < 0) throw new InvalidDataException($"{routingLog}: pair {pairs[from]}: side {side} has no target tokens.");
            return (start, stop);
        }
    }
}
