using SteerMoE.Research.Data.RoutingLogs;
using SteerMoE.Research.Inference;
using SteerMoE.Research.Inference.Models;

namespace SteerMoE.Research.Detection.Collection;

/// <summary>
/// What <see cref="DetectionParity.Run"/> found: detection on a second engine (the GPU) against the CPU engine.
/// </summary>
/// <param name="CountedTokens">Span tokens counted (both sides) in each run.</param>
/// <param name="ExactCellsDiffering">Activation cells (layer, expert, side) and token totals whose exact counts differ between the engines.</param>
/// <param name="FastTokensDiffering">Counted tokens whose top-k (as a set) differs in at least one layer: other engine fast vs CPU exact.</param>
/// <param name="FastTokenLayersDiffering">(Counted token, layer) whose top-k set differs: other engine fast vs CPU exact.</param>
/// <param name="CpuFastTokensDiffering">Counted tokens whose top-k differs in at least one layer: CPU fast vs CPU exact (the fast mode's own share on the CPU, for scale).</param>
/// <param name="Layers">Decoder layers (L).</param>
public sealed record DetectionParityResult(long CountedTokens, int ExactCellsDiffering, long FastTokensDiffering, long FastTokenLayersDiffering,
    long CpuFastTokensDiffering, int Layers)
{
    /// <summary>True when the exact counts are identical (counts.csv byte for byte).</summary>
    public bool ExactCountsEqual => ExactCellsDiffering == 0;
    /// <summary>Share of counted tokens whose top-k differs in some layer (other engine fast vs CPU exact).</summary>
    public double FastTokenShare => CountedTokens == 0 ? 0 : (double)FastTokensDiffering / CountedTokens;
    /// <summary>Share of (counted token, layer) whose top-k differs (other engine fast vs CPU exact).</summary>
    public double FastTokenLayerShare => CountedTokens == 0 ? 0 : (double)FastTokenLayersDiffering / (CountedTokens * Layers);
    /// <summary>Share of counted tokens whose top-k differs in some layer, CPU fast vs CPU exact.</summary>
    public double CpuFastTokenShare => CountedTokens == 0 ? 0 : (double)CpuFastTokensDiffering / CountedTokens;
}

/// <summary>
/// Detection on two engines over the same pairs (docs/CONTRACTS.md §16): the CPU engine in exact mode (the reference)
/// and in fast mode, the other engine (the CUDA backend) in exact and fast mode, each a full <see cref="RoutingCollector"/>
/// run with its routing log. Exact: the pooled counts must be identical. Fast: the share of counted tokens whose top-k
/// set differs from the CPU exact one is measured (and the CPU fast share beside it).
/// </summary>
public static class DetectionParity
{
    /// <summary>
    /// Runs the four collections into sub-folders of <paramref name="workDirectory"/> (cpu-exact, cpu-fast,
    /// other-exact, other-fast; a new or empty folder) and compares them. <paramref name="options"/>: batch, tokenizer,
    /// template variables (precision, routing log, resume and progress are set here).
    /// </summary>
    public static DetectionParityResult Run(IMoeEngine cpu, IMoeEngine other, string pairsPath, string workDirectory, CollectionOptions? options = null)
    {
        options ??= new CollectionOptions();
        if (Directory.Exists(workDirectory) && Directory.EnumerateFileSystemEntries(workDirectory).Any())
            throw new ArgumentException($"{workDirectory}: the detection parity folder is not empty; give a new folder.");
        (CollectionResult Result, string Log) Collect(IMoeEngine engine, Precision precision, string name)
        {
            string run = Path.Combine(workDirectory, name), log = Path.Combine(run, "routing-log");
            var result = RoutingCollector.Collect(engine, pairsPath, run, options with
            {
                Precision = precision, RoutingLog = log, Resume = false, StopAfterPairs = null, Progress = null,
            });
            return (result, log);
        }
        var cpuExact = Collect(cpu, Precision.Exact, "cpu-exact");
        var otherExact = Collect(other, Precision.Exact, "other-exact");
        var cpuFast = Collect(cpu, Precision.Fast, "cpu-fast");
        var otherFast = Collect(other, Precision.Fast, "other-fast");

        var a = cpuExact.Result.Counts; var b = otherExact.Result.Counts;
        int differing = (a.Tokens1 != b.Tokens1 ? 1 : 0) + (a.Tokens2 != b.Tokens2 ? 1 : 0)
            + a.Activations1.Zip(b.Activations1).Count(p => p.First != p.Second)
            + a.Activations2.Zip(b.Activations2).Count(p => p.First != p.Second);
        var reference = TopKLog.Load(cpuExact.Log);
        var (tokens, tokenLayers) = reference.Differing(TopKLog.Load(otherFast.Log));
        var (cpuTokens, _) = reference.Differing(TopKLog.Load(cpuFast.Log));
        return new DetectionParityResult(reference.CountedTokens, differing, tokens, tokenLayers, cpuTokens, reference.Layers);
    }

    /// <summary>The counted rows of a routing log: top-k [N, L, k] and in_target [N].</summary>
    private sealed record TopKLog(string Directory, int[] TopK, int[] TokenIds, byte[] InTarget, int Layers, int K)
    {
        public long CountedTokens => InTarget.Count(x => x == 1);

        public static TopKLog Load(string directory)
        {
            var topk = NpyArray.Load(Path.Combine(directory, "topk.npy"));       // [N, L, k]
            var ids = NpyArray.Load(Path.Combine(directory, "token_id.npy"));    // [N]
            var inTarget = NpyArray.Load(Path.Combine(directory, "in_target.npy")); // [N]
            if (topk.Shape.Length != 3) throw new InvalidDataException($"{directory}/topk.npy: expected shape [N, L, k], got [{string.Join(", ", topk.Shape)}].");
            return new TopKLog(directory, topk.Ints(), ids.Ints(), inTarget.Data, (int)topk.Shape[1], (int)topk.Shape[2]);
        }

        /// <summary>Counted tokens whose top-k set differs in any layer, and (counted token, layer) that differ.</summary>
        public (long Tokens, long TokenLayers) Differing(TopKLog other)
        {
            if (!other.TokenIds.AsSpan().SequenceEqual(TokenIds) || !other.InTarget.AsSpan().SequenceEqual(InTarget) || other.Layers != Layers || other.K != K)
                throw new InvalidDataException($"{other.Directory}: its tokens (token_id, in_target, layers, k) are not those of {Directory}; the runs did not read the same pairs.");
            long tokens = 0, tokenLayers = 0;
            var x = new int[K]; var y = new int[K];
            for (int n = 0; n < InTarget.Length; n++)
            {
                if (InTarget[n] != 1) continue;
                bool any = false;
                for (int l = 0; l < Layers; l++)
                {
                    int at = (n * Layers + l) * K;
                    TopK.AsSpan(at, K).CopyTo(x); other.TopK.AsSpan(at, K).CopyTo(y);
                    Array.Sort(x); Array.Sort(y);   // a set: the order within the top-k does not count
                    if (!x.AsSpan().SequenceEqual(y)) { tokenLayers++; any = true; }
                }
                if (any) tokens++;
            }
            return (tokens, tokenLayers);
        }
    }
}
