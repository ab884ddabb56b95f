using SteerMoE.Research.Data.Counts;

namespace SteerMoE.Research.Catalogs;

/// <summary>The <c>Data</c> catalog of a <see cref="SteerMoEContext"/>: paired datasets, builders, count tables.</summary>
public sealed partial class DataCatalog
{
    private readonly SteerMoEContext _context;

    internal DataCatalog(SteerMoEContext context) => _context = context;

    /// <summary>Loads a per-(layer, expert) count table (columns layer, expert, a1, d1, a2, d2; others ignored).</summary>
    public CountTable LoadCounts(string path) => CountTable.Load(path);
}
