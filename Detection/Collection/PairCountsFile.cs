using SteerMoE.Research.Data.RoutingLogs;
using SteerMoE.Research.Detection.Pairs;

namespace SteerMoE.Research.Detection.Collection;

/// <summary>
/// The per-pair counts of a detection run, streamed to the run folder as two .npy arrays so that memory does
/// not grow with the dataset: <c>pair_counts.npy</c> [P, 2, L, E] int32 (per pair, side 1 then side 2, the
/// span tokens routed to each expert) and <c>pair_tokens.npy</c> [P, 2] int32 (counted tokens per side).
/// <see cref="Load"/> reads them into a <see cref="PairCounts"/> for the pair-level statistics.
/// </summary>
public static class PairCountsFile
{
    /// <summary>Activations per pair, side, layer and expert.</summary>
    public const string CountsName = "pair_counts.npy";
    /// <summary>Counted tokens per pair and side.</summary>
    public const string TokensName = "pair_tokens.npy";

    internal sealed class Writer : IDisposable
    {
        private readonly NpyStreamWriter _counts, _tokens;

        public Writer(string runDirectory, int layers, int experts, long? keepPairs)
        {
            _counts = NpyStreamWriter.Open(Path.Combine(runDirectory, CountsName), NpyType.Int32, [2, layers, experts], keepPairs);
            try { _tokens = NpyStreamWriter.Open(Path.Combine(runDirectory, TokensName), NpyType.Int32, [2], keepPairs); }
            catch { _counts.Dispose(); throw; }
        }

        /// <summary>Pairs written so far.</summary>
        public long Pairs => _tokens.Rows;

        /// <summary>Appends pairs: activations [n, 2, L, E] and tokens [n, 2].</summary>
        public void Append(ReadOnlySpan<int> activations, ReadOnlySpan<int> tokens) { _counts.Append(activations); _tokens.Append(tokens); }

        /// <summary>Appends every pair of another run folder's pair_counts.npy and pair_tokens.npy (a shard's).</summary>
        public void AppendRun(string runDirectory)
        {
            _counts.AppendFile(Path.Combine(runDirectory, CountsName));
            _tokens.AppendFile(Path.Combine(runDirectory, TokensName));
        }

        public void Flush() { _counts.Flush(); _tokens.Flush(); }

        public void Dispose() { _counts.Dispose(); _tokens.Dispose(); }
    }

    /// <summary>
    /// Reads a run folder's per-pair counts (or, given the path of a pair_counts.npy, that file and the
    /// pair_tokens.npy beside it); errors name the file and what does not match.
    /// </summary>
    public static PairCounts Load(string runDirectory)
    {
        // A path ending in .npy is the file even when it is missing (the error then names it, not NAME.npy/pair_counts.npy).
        bool file = File.Exists(runDirectory) || runDirectory.EndsWith(".npy", StringComparison.Ordinal);
        string countsPath = file ? runDirectory : Path.Combine(runDirectory, CountsName);
        string tokensPath = Path.Combine(file ? Path.GetDirectoryName(Path.GetFullPath(runDirectory))! : runDirectory, TokensName);
        if (!File.Exists(countsPath)) throw new FileNotFoundException($"{countsPath}: no such file (expected the per-pair counts a detect run writes).", countsPath);
        if (!File.Exists(tokensPath)) throw new FileNotFoundException($"{tokensPath}: no such file (expected beside {CountsName}).", tokensPath);
        var counts = NpyArray.Load(countsPath);
        var tokens = NpyArray.Load(tokensPath);
        if (counts.Type != NpyType.Int32 || counts.Shape.Length != 4 || counts.Shape[1] != 2)
            throw new InvalidDataException($"{countsPath}: expected int32 [pairs, 2, layers, experts], got {NpyFormat.Descr(counts.Type)} ({string.Join(", ", counts.Shape)}).");
        if (tokens.Type != NpyType.Int32 || tokens.Shape.Length != 2 || tokens.Shape[1] != 2 || tokens.Shape[0] != counts.Shape[0])
            throw new InvalidDataException($"{tokensPath}: expected int32 [{counts.Shape[0]}, 2], got {NpyFormat.Descr(tokens.Type)} ({string.Join(", ", tokens.Shape)}).");
        int pairs = (int)counts.Shape[0], layers = (int)counts.Shape[2], experts = (int)counts.Shape[3], width = layers * experts;
        var result = new PairCounts(pairs, layers, experts);
        var a = counts.Ints(); var n = tokens.Ints();
        var row = new long[width];
        for (int p = 0; p < pairs; p++)
            for (int side = 1; side <= 2; side++)
            {
                var src = a.AsSpan(((p * 2) + side - 1) * width, width);
                for (int i = 0; i < width; i++) row[i] = src[i];
                result.Add(p, side, n[p * 2 + side - 1], row);
            }
        return result;
    }
}
