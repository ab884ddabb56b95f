using SteerMoE.Research.Data.RoutingLogs;
using SteerMoE.Research.Detection.Statistics;
using SteerMoE.Research.Inference;
using SteerMoE.Research.Inference.Kernels.Benchmarks;
using SteerMoE.Research.Inference.Models;

namespace SteerMoE.Research.Detection.Collection;

/// <summary>What the detection observer adds to the forward pass (medians of interleaved runs; ratios against the plain forward).</summary>
/// <param name="Forward">The batched teacher-forced forward pass alone.</param>
/// <param name="Counting">The same pass as the collector runs it: span counting, per-pair counts written, router probabilities and paired t of the matched pairs.</param>
/// <param name="CountingWithLog">As <paramref name="Counting"/>, plus every token's router logits and top-k written to a routing log.</param>
/// <param name="Pairs">Pairs per forward pass (2 sequences each).</param>
/// <param name="TokensPerSequence">Tokens of every sequence; the last half is the counted span.</param>
/// <param name="MatchedPairs">Pairs of the batch whose spans match (feeding the paired t).</param>
public sealed record CollectionOverheadResult(Measurement Forward, Measurement Counting, Measurement CountingWithLog, int Pairs, int TokensPerSequence, int MatchedPairs)
{
    /// <summary>Median with the observer over the median without, minus 1.</summary>
    public double CountingOverhead => Counting.MedianSeconds / Forward.MedianSeconds - 1;
    /// <summary>Median with observer and routing log over the median without, minus 1.</summary>
    public double CountingWithLogOverhead => CountingWithLog.MedianSeconds / Forward.MedianSeconds - 1;
}

/// <summary>
/// Measures the cost of detection collection over the forward pass it observes (`steermoe bench --model DIR
/// --collection-overhead`): the same batch of pairs through the plain forward, through the collector's own batch step
/// (<see cref="RoutingCollector"/>), and through it with a routing log, round-robin so that load on a shared machine
/// slows all three alike. The pairs are synthetic (seeded random ids, no tokenizer needed): both sides
/// <c>tokens</c> long, the last half counted; every other pair has the same span ids on both sides.
/// </summary>
public static class CollectionOverhead
{
    /// <summary>
    /// Runs the measurement: <paramref name="repeat"/> timed runs of each variant after one warm-up. Takes the CPU
    /// engine, not <see cref="IMoeEngine"/>: the timings are the calling thread's CPU time where available
    /// (Inference.Kernels.Benchmarks.Timing), which measures the CPU engine's forward but not a GPU's.
    /// </summary>
    public static CollectionOverheadResult Measure(MoeModel model, int pairs, int tokens, int repeat, Precision precision = Precision.Exact, int seed = 0)
    {
        if (pairs < 1 || tokens < 2 || repeat < 1) throw new ArgumentException($"collection overhead: {pairs} pairs, {tokens} tokens, {repeat} runs; expected >= 1, >= 2, >= 1.");
        var config = model.Config;
        if (config.ExpertCount <= 0) throw new InvalidDataException($"{config.Source}: the model has no experts; detection needs an MoE model.");
        var random = new Random(seed);
        int[] Ids(int n) => Enumerable.Range(0, n).Select(_ => random.Next(config.VocabSize)).ToArray();
        int span = tokens / 2, prefix = tokens - span;
        var batch = new List<EncodedPair>(pairs);
        for (int i = 0; i < pairs; i++)
        {
            int[] spanIds = Ids(span);
            int[] side1 = [.. Ids(prefix), .. spanIds];
            int[] side2 = [.. Ids(prefix), .. (i % 2 == 0 ? spanIds : Ids(span))];
            batch.Add(new EncodedPair(i, i + 1, new EncodedSide(side1, prefix, span), new EncodedSide(side2, prefix, span)));
        }
        var sequences = batch.SelectMany(p => new IReadOnlyList<int>[] { p.Side1.Ids, p.Side2.Ids }).ToList();
        var forward = new ForwardOptions { Precision = precision };
        string scratch = Path.Combine(Path.GetTempPath(), $"steermoe-overhead-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(scratch);
        try
        {
            var counts = new ActivationCounts(config.LayerCount, config.ExpertCount);
            var pairedT = new PairedTTest(config.LayerCount, config.ExpertCount);
            long matched = 0;
            using var pairLog = new PairCountsFile.Writer(Path.Combine(scratch), config.LayerCount, config.ExpertCount, null);
            using var log = RoutingLogWriter.Open(Path.Combine(scratch, "routing-log"), config.LayerCount, config.ExpertCount, config.TopK);
            using var logPairs = new PairCountsFile.Writer(Directory.CreateDirectory(Path.Combine(scratch, "with-log")).FullName, config.LayerCount, config.ExpertCount, null);
            var m = Timing.MeasureInterleaved(
            [
                _ => model.Forward(sequences, forward),
                _ => RoutingCollector.RunBatch(model, batch, counts, pairedT, ref matched, forward, null, pairLog, config.TopK),
                _ => RoutingCollector.RunBatch(model, batch, counts, pairedT, ref matched, forward, log, logPairs, config.TopK),
            ], warmup: 1, minRuns: repeat, minSeconds: 0, maxRuns: repeat);
            return new CollectionOverheadResult(m[0], m[1], m[2], pairs, tokens, batch.Count(p => p.SpansMatch));
        }
        finally { try { Directory.Delete(scratch, true); } catch (IOException) { } }
    }
}
