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

    /// <summary>Runs, or resumes, every cell of a spec into a run folder with the given executor (log and progress: <see cref="ExperimentRunner.Run"/>).</summary>
    public IReadOnlyList<CellRecord> Run(ExperimentSpec spec, string runDirectory, IExperimentExecutor executor, Action<string>? log = null,
        Action<RunProgress>? progress = null) =>
        ExperimentRunner.Run(_context, spec, runDirectory, executor, log, progress);
}

// Steering experiments: detect -> rank -> plan -> generate -> evaluate (docs/CONTRACTS.md §15).
public sealed partial class ExperimentCatalog
{
    /// <summary>The evaluators by id (built-in: context-match, refusal, digits-rate, words-rate, fluency).</summary>
    public Evaluation.EvaluatorRegistry Evaluators { get; } = new();

    /// <summary>
    /// Runs, or resumes, a steering experiment: routing counts of the detection pairs, rankings, one plan per
    /// cell, steered generation on the evaluation prompts and the spec's evaluators, into <paramref name="runDirectory"/>
    /// (registry.sqlite, results.csv, counts.csv, ranking.*.csv, cells/*/plan.json and outputs.jsonl).
    /// <paramref name="device"/>: where detection and generation run (the device is not part of the resume fingerprint).
    /// <paramref name="log"/>: a line as each cell starts; <paramref name="progress"/>: cells, detection pairs and generated
    /// prompts as they are done (null: progress lines go to the log).
    /// </summary>
    public IReadOnlyList<CellRecord> RunSteering(ExperimentSpec spec, string runDirectory, string? neutralTextPath = null, Action<string>? log = null,
        Inference.Models.EngineDevice device = Inference.Models.EngineDevice.Cpu, Action<RunProgress>? progress = null)
    {
        spec.RequireInputs();
        // A `grid: {paper: GOAL}` takes the paper's counts for this model (STEERMOE.md §3) before the cells are listed.
        spec = spec.WithPaperCounts(Inference.Models.ModelConfig.Load(spec.Resolve(spec.Model)));
        using var executor = new SteeringExperimentExecutor(new SteeringExecutorOptions { Evaluators = Evaluators, NeutralTextPath = neutralTextPath, Device = device, Log = log, Progress = progress });
        var cells = Run(spec, runDirectory, executor, log, progress);
        if (spec.Benchmarks.Count > 0) Reports.PaperTable.Write(cells, runDirectory, spec.Name);
        return cells;
    }
}

// The demo (docs/CONTRACTS.md §15).
public sealed partial class ExperimentCatalog
{
    /// <summary>
    /// Runs every behaviour spec into a subfolder of <paramref name="outDir"/>; writes demo.csv and report.html; returns the
    /// before/after table. <paramref name="progress"/>: the behaviours done, then each run's as in <see cref="RunSteering"/>.
    /// </summary>
    public Data.Tables.CsvTable RunDemo(IReadOnlyList<string> specPaths, string outDir, Action<string>? log = null,
        Inference.Models.EngineDevice device = Inference.Models.EngineDevice.Cpu, Action<RunProgress>? progress = null) =>
        Demo.DemoRunner.Run(_context, specPaths, outDir, log, device, progress);
}
