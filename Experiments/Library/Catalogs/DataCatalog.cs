using SteerMoE.Research.Data.Counts;
using SteerMoE.Research.Data.Pairs;

namespace SteerMoE.Research.Catalogs;

/// <summary>The <c>Data</c> catalog of a <see cref="SteerMoEContext"/>: paired datasets, builders, count tables.</summary>
public sealed partial class DataCatalog
{
    private readonly SteerMoEContext _context;

    internal DataCatalog(SteerMoEContext context) => _context = context;

    /// <summary>Loads a per-(layer, expert) count table (columns layer, expert, a1, d1, a2, d2; others ignored).</summary>
    public CountTable LoadCounts(string path) => CountTable.Load(path);

    /// <summary>Streams the pairs of a paired-dataset JSONL (docs/CONTRACTS.md §12); a bad line throws naming line and field.</summary>
    public IEnumerable<PairedExample> ReadPairs(string path) => PairedDataset.Read(path);

    /// <summary>Writes pairs as JSONL, atomically; returns how many were written.</summary>
    public int WritePairs(string path, IEnumerable<PairedExample> pairs) => PairedDataset.Write(path, pairs);

    /// <summary>Validates a paired dataset and summarises it.</summary>
    public PairedDatasetSummary CheckPairs(string path) => PairedDatasetSummary.Of(path);

    /// <summary>Faithfulness pairs from SQuAD: the original JSON or Hugging Face's Parquet/JSONL rows (<see cref="PairBuilders.FromSquad"/>).</summary>
    public BuiltPairs BuildSquadPairs(string path, int? limit = null, bool skipUnanswerable = false, Action<int, int>? rowsRead = null) =>
        PairBuilders.FromSquad(path, limit, skipUnanswerable, rowsRead);

    /// <summary>Safety pairs from BeaverTails rows (Parquet, JSONL, JSON, CSV or a folder); <paramref name="refusalsPath"/> is a list file (one refusal a line), the paper's fixed refusal when null.</summary>
    public BuiltPairs BuildBeaverTailsPairs(string path, string? refusalsPath = null, int? limit = null, Action<int, int>? rowsRead = null) =>
        PairBuilders.FromBeaverTails(path, refusalsPath is null ? null : PairBuilders.ReadList(refusalsPath), limit, rowsRead);

    /// <summary>Pairs from two text lists, line i against line i (<see cref="PairBuilders.FromTextLists"/>).</summary>
    public BuiltPairs BuildListPairs(string pathA, string pathB, string? prompt = null) => PairBuilders.FromTextLists(pathA, pathB, prompt);

    /// <summary>
    /// Splits items into detection and held-out evaluation parts, drawing from the context's random stream
    /// <c>held-out-split/{name}</c>: the same seed and name always give the same split.
    /// </summary>
    public (IReadOnlyList<T> Detection, IReadOnlyList<T> Evaluation) SplitHeldOut<T>(IReadOnlyList<T> items, double evaluationFraction, string name) =>
        HeldOutSplit.Split(items, evaluationFraction, _context.CreateRandom("held-out-split/" + name));
}
