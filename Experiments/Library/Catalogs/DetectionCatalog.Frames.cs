using Microsoft.Data.Analysis;
using SteerMoE.Research.Data.Counts;
using SteerMoE.Research.Detection.Frames;

namespace SteerMoE.Research.Catalogs;

// DataFrames (Detection/Frames): the detection tables as Microsoft.Data.Analysis frames, and the analyses on them.
public sealed partial class DetectionCatalog
{
    /// <summary>counts.csv (or any table with its six columns) as a frame: layer, expert (int), a1, d1, a2, d2 (long).</summary>
    public DataFrame LoadCountsFrame(string path) => CountFrame.Load(path);

    /// <summary>ranking.csv as a frame (every column of docs/CONTRACTS.md §5.4, typed; empty pair-level cells are nulls).</summary>
    public DataFrame LoadRankingFrame(string path) => RankingFrame.Load(path);

    /// <summary>The agreement table of `steermoe compare --out` as a frame.</summary>
    public DataFrame LoadComparisonFrame(string path) => ComparisonFrame.Load(path);

    /// <summary>Every statistic of every expert of <paramref name="counts"/> ranked by <paramref name="metricId"/>, as a frame (ranking.csv's columns).</summary>
    public DataFrame RankFrame(CountTable counts, string metricId = "rd") => Rank(counts, metricId).ToDataFrame();
}
