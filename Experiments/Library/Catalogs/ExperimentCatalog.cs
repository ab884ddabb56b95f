using SteerMoE.Research.Registry;
using SteerMoE.Research.Running;
using SteerMoE.Research.Specs;

namespace SteerMoE.Research.Catalogs;

/// <summary>The <c>Experiments</c> catalog of a <see cref="SteerMoEContext"/>: specs, grids, the run registry.</summary>
public sealed partial class ExperimentCatalog
{
    private readonly SteerMoEContext _context;

    internal ExperimentCatalog(SteerMoEContext context) => _context = context;

    /// <summary>Reads an experiment spec (YAML); unknown fields are errors naming line and column.</summary>
    public ExperimentSpec LoadSpec(string path) => ExperimentSpec.Load(path);

    /// <summary>Runs, or resumes, every cell of a spec into a run folder with the given executor.</summary>
    public IReadOnlyList<CellRecord> Run(ExperimentSpec spec, string runDirectory, IExperimentExecutor executor, Action<string>? log = null) =>
        ExperimentRunner.Run(_context, spec, runDirectory, executor, log);
}
