using Microsoft.Data.Analysis;
using SteerMoE.Research.Frames;

namespace SteerMoE.Research.Catalogs;

// DataFrames (Experiments/Library/Frames): an experiment's results and its number-of-experts sweep as frames.
public sealed partial class ExperimentCatalog
{
    /// <summary>A run's results.csv as a frame (<paramref name="path"/>: the file, or the run folder holding it).</summary>
    public DataFrame LoadResultsFrame(string path) =>
        ResultsFrame.Load(Directory.Exists(path) ? Path.Combine(path, "results.csv") : path);

    /// <summary>The number-of-experts sweep of a results frame: per metric, strategy, direction and N, the mean of <paramref name="scoreColumn"/> over seeds with its range.</summary>
    public DataFrame Sweep(DataFrame results, string scoreColumn) => ExpertSweep.Summarise(results, scoreColumn);
}
