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
        Inference.Models.EngineDevice device = Inference.Models.EngineDevice.Cpu, Action<RunProgress>? progress = null) =>
        RunSteering(spec, runDirectory, null, neutralTextPath, log, device, progress);

    /// <summary>
    /// <see cref="RunSteering(ExperimentSpec, string, string?, Action{string}?, Inference.Models.EngineDevice, Action{RunProgress}?)"/> for one
    /// contiguous slice of the cells (`experiment run --cells I/N`, docs/CONTRACTS.md §13), recorded in RUN/cells.shards/I-of-N
    /// so that slices run at once on several machines; the run folder must hold the spec's detection already
    /// (<see cref="DetectShard"/> for every shard, then <see cref="MergeDetectionShards"/>); <see cref="MergeCells"/> gathers
    /// the slices. Null <paramref name="cells"/>: every cell, as the other overload.
    /// </summary>
    public IReadOnlyList<CellRecord> RunSteering(ExperimentSpec spec, string runDirectory, Detection.Sharding.Shard? cells, string? neutralTextPath = null,
        Action<string>? log = null, Inference.Models.EngineDevice device = Inference.Models.EngineDevice.Cpu, Action<RunProgress>? progress = null)
    {
        spec = Resolved(spec);
        using var executor = new SteeringExperimentExecutor(new SteeringExecutorOptions
            { Evaluators = Evaluators, NeutralTextPath = neutralTextPath, Device = device, Log = log, Progress = progress, RequireDetection = cells != null });
        var records = ExperimentRunner.Run(_context, spec, runDirectory, executor, log, progress, cells);
        if (cells == null && spec.Benchmarks.Count > 0) Reports.PaperTable.Write(records, runDirectory, spec.Name);
        return records;
    }

    /// <summary>
    /// Counts shard <paramref name="shard"/> of the spec's detection pairs into RUN/detection.shards/I-of-N
    /// (`experiment detect --shard I/N`), resuming its checkpoint; with the settings the run's own detection uses.
    /// <paramref name="progress"/>: the shard's pairs as they are counted (stage <see cref="RunProgress.Detection"/>);
    /// <paramref name="cancellation"/>: stop after the current batch with a checkpoint (the result is not Completed).
    /// </summary>
    public DetectionRun DetectShard(ExperimentSpec spec, string runDirectory, Detection.Sharding.Shard shard,
        Inference.Models.EngineDevice device = Inference.Models.EngineDevice.Cpu, Action<RunProgress>? progress = null,
        CancellationToken cancellation = default) =>
        SteeringExperimentExecutor.DetectShard(Resolved(spec), runDirectory, _context, shard, device, progress, cancellation);

    /// <summary>Merges the spec's detection shards (all <paramref name="shards"/> of them) into RUN/detection, which the cells then reuse.</summary>
    public MergedDetectionRun MergeDetectionShards(ExperimentSpec spec, string runDirectory, int shards) =>
        SteeringExperimentExecutor.MergeDetectionShards(Resolved(spec), runDirectory, _context, shards);

    /// <summary>
    /// Gathers the slices of the cells (RUN/cells.shards/I-of-N) into RUN/registry.sqlite and writes results.csv (and, with
    /// benchmarks, the paper's table), as one `experiment run` over every cell would (`experiment merge`).
    /// </summary>
    public IReadOnlyList<CellRecord> MergeCells(ExperimentSpec spec, string runDirectory)
    {
        spec = Resolved(spec);
        var records = ExperimentRunner.MergeCells(spec, runDirectory);
        if (spec.Benchmarks.Count > 0) Reports.PaperTable.Write(records, runDirectory, spec.Name);
        return records;
    }

    // Inputs checked, and a `grid: {paper: GOAL}` given the paper's counts for this model (STEERMOE.md §3) before the cells are listed.
    private static ExperimentSpec Resolved(ExperimentSpec spec)
    {
        spec.RequireInputs();
        return spec.WithPaperCounts(Inference.Models.ModelConfig.Load(spec.Resolve(spec.Model)));
    }
}

// The demo (docs/CONTRACTS.md §15).
public sealed partial class ExperimentCatalog
{
    /// <summary>
    /// Runs every behaviour spec into a subfolder of <paramref name="outDir"/>; writes demo.csv and report.html; returns the
    /// before/after table. <paramref name="progress"/>: the behaviours done, then each run's as in <see cref="RunSteering(ExperimentSpec, string, string?, Action{string}?, Inference.Models.EngineDevice, Action{RunProgress}?)"/>.
    /// </summary>
    public Data.Tables.CsvTable RunDemo(IReadOnlyList<string> specPaths, string outDir, Action<string>? log = null,
        Inference.Models.EngineDevice device = Inference.Models.EngineDevice.Cpu, Action<RunProgress>? progress = null) =>
        Demo.DemoRunner.Run(_context, specPaths, outDir, log, device, progress);
}
