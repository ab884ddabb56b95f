using System.Text.Json;
using SteerMoE.Research.Catalogs;
using SteerMoE.Research.Data.Files;
using SteerMoE.Research.Data.Pairs;
using SteerMoE.Research.Evaluation;
using SteerMoE.Research.Evaluation.Benchmarks;
using SteerMoE.Research.Evaluation.Judges;
using SteerMoE.Research.Generation;
using SteerMoE.Research.Inference;
using SteerMoE.Research.Specs;
using SteerMoE.Research.Steering.Plans;

namespace SteerMoE.Research.Running;

/// <summary>Options of <see cref="SteeringExperimentExecutor"/>.</summary>
public sealed record SteeringExecutorOptions
{
    /// <summary>The evaluators the spec's ids are looked up in.</summary>
    public EvaluatorRegistry Evaluators { get; init; } = new();
    /// <summary>A text file (one text a line) for the side-effect measures; the evaluation prompts when null.</summary>
    public string? NeutralTextPath { get; init; }
    /// <summary>Where the model runs (detection and generation): the CPU engine or the CUDA backend (docs/CONTRACTS.md §9).</summary>
    public Inference.Models.EngineDevice Device { get; init; } = Inference.Models.EngineDevice.Cpu;
    /// <summary>
    /// Refuse to run detection in Prepare: the run folder must already hold this spec's finished detection (a slice of
    /// the cells, `--cells I/N`, runs beside other slices after the sharded detection).
    /// </summary>
    public bool RequireDetection { get; init; }
    /// <summary>Progress lines (prompts generated within a cell) when <see cref="Progress"/> is null; null: silent.</summary>
    public Action<string>? Log { get; init; }
    /// <summary>Progress of detection (pairs) and of generation (prompts of the baseline or a cell); null: lines to <see cref="Log"/>.</summary>
    public Action<RunProgress>? Progress { get; init; }
}

/// <summary>
/// One evaluator applied to a group of the evaluation prompts: a benchmark's scorer to that benchmark's prompts, a spec
/// evaluator to every benchmark's prompts (or, without benchmarks, to all prompts under no prefix).
/// </summary>
/// <param name="Prefix">The results.csv column prefix: <c>{benchmark}.</c>, or "" without benchmarks.</param>
/// <param name="Evaluator">The evaluator.</param>
/// <param name="Indices">The prompts (indices into the evaluation prompts) it scores.</param>
internal sealed record ScoredGroup(string Prefix, IEvaluator Evaluator, int[] Indices)
{
    public string Column(string statistic) => $"{Prefix}{Evaluator.Id}.{statistic}";
}

/// <summary>
/// The executor of a steering experiment (docs/CONTRACTS.md §15): Prepare counts the routing of the detection
/// pairs with Detection's collector (reusing its counts.csv on resume) and ranks experts per metric with Detection's ranking; Validate selects every
/// cell's plan (no model work), so that a grid asking for more experts than have a sign fails before anything
/// runs; Execute steers generation on the evaluation prompts with the cell's plan and evaluates it against the
/// unsteered baseline (rates with Wilson intervals, McNemar's test, first-token answer probabilities, KL and
/// top-k changes on neutral text).
/// </summary>
public sealed class SteeringExperimentExecutor(SteeringExecutorOptions? options = null) : IExperimentExecutor, IDisposable
{
    /// <summary>The file in the run folder naming the run's model and data (absolute paths), for the report.</summary>
    public const string InputsFile = "inputs.json";

    private readonly SteeringExecutorOptions _options = options ?? new();
    private SteeredGenerator? _generator;
    private IReadOnlyList<GenerationPrompt> _prompts = [];
    private readonly Dictionary<string, ExpertRanking> _rankings = new(StringComparer.Ordinal);
    private List<ScoredGroup> _groups = [];
    private IReadOnlyList<GeneratedText>? _baseline;
    private Dictionary<string, double?[]>? _baselineScores;   // by group column prefix + evaluator id
    private IReadOnlyList<int[]> _neutral = [];
    private Precision _precision;
    private GenerationSettings _settings = new();
    private int _batchSize = 16;

    /// <summary>The ranking of a metric id (after Prepare).</summary>
    public ExpertRanking Ranking(string metric) => _rankings.TryGetValue(metric, out var r) ? r
        : throw new ArgumentException($"no ranking for metric '{metric}' (metrics: {string.Join(", ", _rankings.Keys)}).");

    /// <summary>The evaluation prompts (after Prepare).</summary>
    public IReadOnlyList<GenerationPrompt> Prompts => _prompts;

    /// <summary>The generator (after Prepare).</summary>
    public SteeredGenerator Generator => _generator ?? throw new InvalidOperationException("Prepare has not run.");

    /// <inheritdoc/>
    public void Prepare(ExperimentRun run)
    {
        var spec = run.Spec;
        spec.RequireInputs();
        _options.Evaluators.CheckIds(spec.Evaluators, spec.Source);
        var benchmarks = spec.Benchmarks.Select(b => (Entry: b, Benchmark: BenchmarkCatalog.Get(b.Id, spec))).ToArray();
        var scorerIds = benchmarks.Select(b => ScorerId(b.Benchmark.Info.Scorer, spec)).Distinct().ToArray();
        _options.Evaluators.CheckIds(scorerIds, spec.Source);
        foreach (string metric in spec.Metrics) _ = Detection.Ranking.DetectionMetric.Get(metric);
        _precision = PrecisionNames.Parse(spec.Precision);
        _settings = new GenerationSettings { MaxNewTokens = spec.MaxNewTokens, Precision = _precision };
        _batchSize = spec.BatchSize;
        string pairsPath = PairsFile(spec, run.Directory);
        var (detectionPairs, heldOutPairs) = DetectionPairs(spec, run.Directory, run.Context);
        if (spec.Evaluation != null) _prompts = GenerationPrompt.ReadJsonLines(spec.Resolve(spec.Evaluation));
        else if (benchmarks.Length > 0)
            _prompts = benchmarks.SelectMany(b =>
            {
                string path = BenchmarkCatalog.PathOf(b.Entry, spec);
                var prompts = b.Benchmark.Load(path);
                return b.Entry.Limit is { } limit ? prompts.Take(limit) : prompts;
            }).ToArray();
        else
        {
            _prompts = EvaluationPrompts.FromPairs(heldOutPairs!, Path.GetFileName(pairsPath));
            if (_prompts.Count == 0) throw new FormatException($"{spec.Source}: holdout: {spec.Holdout} of the pairs leaves no evaluation prompts.");
        }
        _generator = SteeredGenerator.Load(spec.Resolve(spec.Model), device: _options.Device);
        AtomicFile.WriteAllText(Path.Combine(run.Directory, InputsFile), JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["name"] = spec.Name, ["model"] = Path.GetFullPath(spec.Resolve(spec.Model)), ["pairs"] = Path.GetFullPath(pairsPath),
            ["evaluation"] = spec.Evaluation is null ? null : Path.GetFullPath(spec.Resolve(spec.Evaluation)),
            ["data"] = spec.Data is null ? null : spec.Resolve(spec.Data),
            ["config_warnings"] = _generator.Model.Config.Warnings,
        }));
        var resources = new EvaluatorResources(_generator.Model, _precision)
        {
            JudgeModels = spec.Judges.ToDictionary(j => j.Key, j => spec.Resolve(j.Value), StringComparer.Ordinal),
            // Beside the registry: RUN/judge-cache, or a slice's own (--cells: one process appends to each cache file).
            CacheDirectory = Path.Combine(Path.GetDirectoryName(run.Registry.Path)!, "judge-cache"),
        };
        var evaluators = new Dictionary<string, IEvaluator>(StringComparer.Ordinal);
        IEvaluator Evaluator(string id) => evaluators.TryGetValue(id, out var e) ? e : evaluators[id] = _options.Evaluators.Create(id, resources);
        var all = Enumerable.Range(0, _prompts.Count).ToArray();
        _groups = [];
        if (benchmarks.Length == 0) _groups.AddRange(spec.Evaluators.Select(id => new ScoredGroup("", Evaluator(id), all)));
        foreach (var (_, benchmark) in benchmarks)
        {
            var indices = all.Where(i => _prompts[i].Fields.TryGetValue("benchmark", out var b) && b == benchmark.Info.Id).ToArray();
            string prefix = benchmark.Info.Id + ".";
            _groups.Add(new ScoredGroup(prefix, Evaluator(ScorerId(benchmark.Info.Scorer, spec)), indices));
            _groups.AddRange(spec.Evaluators.Select(id => new ScoredGroup(prefix, Evaluator(id), indices)));
        }
        _groups = _groups.DistinctBy(g => g.Column("")).ToList();   // a spec evaluator that is also a benchmark's scorer counts once

        // Detection's collector on the detection pairs (a held-out split is written out first). A later invocation reuses
        // its counts.csv only when the fingerprint of what was counted (model files, pairs, precision) is the same: a run
        // replaced before any cell started (a corrected spec) may have counted other pairs.
        string detectionDir = DetectionDirectory(run.Directory);
        string countsPath = Path.Combine(detectionDir, DetectionCatalog.CountsFileName);
        string fingerprintPath = Path.Combine(detectionDir, DetectionFingerprintFile);
        string fingerprint = DetectionFingerprint(spec.Resolve(spec.Model), detectionPairs, spec.Precision);
        bool reusable = File.Exists(countsPath) && File.Exists(fingerprintPath) && File.ReadAllText(fingerprintPath) == fingerprint;
        // A slice of the cells (--cells I/N) runs beside other slices: detection was run once before them (sharded, merged).
        if (_options.RequireDetection && !reusable)
            throw new InvalidDataException($"{detectionDir}: holds no finished detection of this spec's inputs; run `experiment detect SPEC --out {run.Directory} --shard I/N` for every shard and `--merge-shards N` before the cells (the Slurm scripts do).");
        if (Directory.Exists(detectionDir) && (!File.Exists(fingerprintPath) || File.ReadAllText(fingerprintPath) != fingerprint))
            Directory.Delete(detectionDir, recursive: true);
        if (!File.Exists(countsPath))
        {
            bool resume = File.Exists(Path.Combine(detectionDir, "checkpoint.json"));
            Directory.CreateDirectory(detectionDir);
            AtomicFile.WriteAllText(fingerprintPath, fingerprint);
            run.Context.Detection.Collect(spec.Resolve(spec.Model), detectionPairs, detectionDir,
                new Detection.Collection.CollectionOptions
                {
                    Precision = _precision, Resume = resume, Device = _options.Device,
                    Progress = _options.Progress is { } report ? p => report(DetectionProgress(p)) : null,
                });
        }
        // Detection's ranking (every statistic, fisher_q included, docs/CONTRACTS.md §5.4/§6), read back as Steering's ranking.
        foreach (string metric in spec.Metrics)
        {
            string rankingPath = Path.Combine(run.Directory, $"ranking.{metric}.csv");
            // probe: fitted on the detection's per-pair counts (probe.csv, probe.json in the run folder).
            if (Detection.Ranking.DetectionMetric.Get(metric).NeedsPairCounts)
                run.Context.Detection.RankFileWithProbe(countsPath, metric, rankingPath, Path.Combine(detectionDir, Detection.Collection.PairCountsFile.CountsName));
            else run.Context.Detection.RankFile(countsPath, metric, rankingPath);
            _rankings[metric] = run.Context.Steering.LoadRanking(rankingPath, metric, spec.Strategies.Contains("significant") ? "fisher_q" : null);
        }
        _neutral = _options.NeutralTextPath is { } neutral
            ? File.ReadLines(neutral).Where(l => l.Trim().Length > 0).Select(l => _generator.Tokenizer.Encode(l, addSpecialTokens: true).Ids).Where(ids => ids.Length > 0).ToArray()
            : _prompts.Select(p => _generator.EncodePrompt(p)).ToArray();
        if (_neutral.Count == 0) throw new FormatException($"{_options.NeutralTextPath}: no text for the side-effect measures.");
    }

    /// <inheritdoc/>
    public void Validate(ExperimentCell cell, ExperimentRun run)
    {
        if (cell.IsBaseline) return;
        try { _ = SelectPlan(cell, run); }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            throw new FormatException($"{run.Spec.Source}: grid: cell {cell.Key}: {e.Message}");
        }
    }

    /// <summary>The plan of a cell: its strategy on its metric's ranking, checked against the model; a random control draws from the context stream <c>random-control/{cell key}</c>.</summary>
    public SteeringPlan SelectPlan(ExperimentCell cell, ExperimentRun run)
    {
        var request = new PlanRequest(cell.Activate, cell.Deactivate, Generator.Shape.TopK)
        {
            Strategy = SelectionStrategies.Parse(cell.Strategy), Reverse = cell.Reverse, Metric = cell.Metric, Strength = cell.Strength,
        };
        return run.Context.Steering.SelectPlan(Ranking(cell.Metric), request, Generator.Shape, cell.Key);
    }

    /// <inheritdoc/>
    public CellResult Execute(ExperimentCell cell, ExperimentRun run)
    {
        var generator = Generator;
        if (_baseline == null)
        {
            _baseline = GenerateAll(null, ExperimentCell.Baseline);
            _baselineScores = _groups.ToDictionary(g => g.Column(""), g => Score(g, _baseline));
        }
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        var artifacts = new Dictionary<string, string>(StringComparer.Ordinal);
        string folder = Path.Combine("cells", cell.Key.Replace('/', '_'));
        Directory.CreateDirectory(Path.Combine(run.Directory, folder));
        SteeringPlan? plan = null;
        IReadOnlyList<GeneratedText> outputs = _baseline;
        if (!cell.IsBaseline)
        {
            plan = SelectPlan(cell, run);
            artifacts["plan"] = Path.Combine(folder, "plan.json");
            plan.Save(Path.Combine(run.Directory, artifacts["plan"]));
            outputs = GenerateAll(plan, cell.Key);
            metrics["activate_applied"] = plan.Provenance?.ActivateApplied ?? 0;
            metrics["deactivate_applied"] = plan.Provenance?.DeactivateApplied ?? 0;
        }
        foreach (var group in _groups)
        {
            var scores = cell.IsBaseline ? _baselineScores![group.Column("")] : Score(group, outputs);
            if (group.Evaluator.Kind == EvaluatorKind.Rate)
            {
                var summary = RateSummary.Of(scores.Where(s => s.HasValue).Select(s => s!.Value >= 0.5));
                metrics[group.Column("rate")] = summary.Rate;
                metrics[group.Column("low")] = summary.Low;
                metrics[group.Column("high")] = summary.High;
                metrics[group.Column("n")] = summary.Total;
                if (!cell.IsBaseline)
                {
                    var before = _baselineScores![group.Column("")];
                    var paired = Enumerable.Range(0, scores.Length).Where(i => before[i].HasValue && scores[i].HasValue).ToArray();
                    bool[] b = paired.Select(i => before[i]!.Value >= 0.5).ToArray(), a = paired.Select(i => scores[i]!.Value >= 0.5).ToArray();
                    var test = McNemarTest.Test(b, a);
                    metrics[group.Column("mcnemar_p")] = test.PValue;
                    metrics[group.Column("changed_up")] = test.Up;
                    metrics[group.Column("changed_down")] = test.Down;
                    var diff = PairedDifference.Newcombe(b, a);
                    metrics[group.Column("diff")] = diff.Difference;
                    metrics[group.Column("diff_low")] = diff.Low;
                    metrics[group.Column("diff_high")] = diff.High;
                }
            }
            else
            {
                var values = scores.Where(s => s.HasValue).Select(s => s!.Value).ToArray();
                metrics[group.Column("mean")] = values.Length == 0 ? double.NaN : values.Average();
            }
        }
        foreach (var (field, name) in new[] { ("behaviour_1", "p_first_token.behaviour_1"), ("behaviour_2", "p_first_token.behaviour_2") })
            if (outputs.All(o => o.Prompt.Fields.ContainsKey(field)))
                metrics[name] = outputs.Average(o => AnswerProbability.FirstToken(o, generator.Tokenizer, o.Prompt.Fields[field]));
        if (plan != null)
        {
            var side = SideEffects.Measure(generator.Model, _neutral, SteeredGenerator.RewriteFor(plan)!, _precision);
            metrics["kl_mean"] = side.MeanKl;
            metrics["kl_max"] = side.MaxKl;
            for (int l = 0; l < side.TopKChangedShare.Count; l++) metrics[$"topk_changed.L{l}"] = side.TopKChangedShare[l];
        }
        artifacts["outputs"] = Path.Combine(folder, "outputs.jsonl");
        WriteOutputs(Path.Combine(run.Directory, artifacts["outputs"]), outputs);
        return new CellResult(metrics, artifacts);
    }

    /// <summary>The evaluator id of a benchmark's scorer: <c>safety</c> is the Llama-Guard judge when the spec names its folder, else the refusal phrases.</summary>
    public static string ScorerId(string scorer, ExperimentSpec spec) =>
        scorer != "safety" ? scorer : spec.Judges.ContainsKey(LlamaGuardJudge.DefaultId) ? LlamaGuardJudge.DefaultId : RefusalEvaluator.DefaultId;

    /// <summary>sha256 over what detection counted: the model's files, the pairs file and the precision mode.</summary>
    private static string DetectionFingerprint(string model, string pairs, string precision) =>
        FileHash.Sha256(System.Text.Encoding.UTF8.GetBytes(string.Join("\n",
            FileHash.HashModelFiles(model).OrderBy(h => h.Key, StringComparer.Ordinal).Select(h => $"{h.Key} {h.Value}")
                .Append($"pairs {FileHash.Sha256(pairs)}").Append($"precision {precision}"))));

    /// <summary>The run's detection folder (counts.csv, ranking.csv, per-pair counts, fingerprint.txt).</summary>
    public static string DetectionDirectory(string runDirectory) => Path.Combine(runDirectory, "detection");

    // Names what was counted in the detection folder (model files, pairs, precision): a later invocation reuses it only when equal.
    private const string DetectionFingerprintFile = "fingerprint.txt";

    /// <summary>
    /// The pairs detection counts and, when the spec holds prompts out of them for evaluation (no evaluation file, no
    /// benchmarks), the held-out pairs: the detection part of the split is written to RUN/detection.pairs.jsonl.
    /// Deterministic (the context's stream <c>held-out-split/{file name}</c>), so every process of a run writes the same file.
    /// </summary>
    internal static (string Path, IReadOnlyList<PairedExample>? HeldOut) DetectionPairs(ExperimentSpec spec, string runDirectory, SteerMoEContext context)
    {
        string pairsPath = PairsFile(spec, runDirectory);
        if (spec.Evaluation != null || spec.Benchmarks.Count > 0) return (pairsPath, null);
        var (detection, heldOut) = context.Data.SplitHeldOut(PairedDataset.Read(pairsPath).ToList(), spec.Holdout, Path.GetFileName(pairsPath));
        string detectionPairs = Path.Combine(runDirectory, "detection.pairs.jsonl");
        PairedDataset.Write(detectionPairs, detection);
        return (detectionPairs, heldOut);
    }

    /// <summary>
    /// Counts shard <paramref name="shard"/> of the spec's detection pairs into RUN/detection.shards/I-of-N (docs/CONTRACTS.md
    /// §13), with the settings Prepare's detection uses; resumes the shard's own checkpoint (a requeued job).
    /// </summary>
    internal static Catalogs.DetectionRun DetectShard(ExperimentSpec spec, string runDirectory, SteerMoEContext context, Detection.Sharding.Shard shard,
        Inference.Models.EngineDevice device, Action<RunProgress>? progress = null, CancellationToken cancellation = default)
    {
        string dir = Path.Combine(DetectionShardsDirectory(runDirectory), shard.FolderName);
        if (File.Exists(Path.Combine(dir, DetectionCatalog.RunFileName)) && !File.Exists(Path.Combine(dir, "checkpoint.json")))
            Directory.Delete(dir, recursive: true);   // an earlier, finished count of this shard: counted again (its inputs may have changed)
        var (pairs, _) = DetectionPairs(spec, runDirectory, context);
        return context.Detection.Collect(spec.Resolve(spec.Model), pairs, dir, new Detection.Collection.CollectionOptions
        {
            Precision = PrecisionNames.Parse(spec.Precision), Resume = true, Device = device, Shard = shard, Cancellation = cancellation,
            Progress = progress is { } report ? p => report(DetectionProgress(p)) : null,
        });
    }

    // The collector's progress as the run's detection stage.
    private static RunProgress DetectionProgress(Detection.Collection.CollectionProgress p) =>
        new(RunProgress.Detection, p.PairsDone, p.PairsTotal, "pairs", string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{p.TokensPerSecond:F0} tok/s"));

    /// <summary>Merges the <paramref name="shards"/> detection shards of RUN/detection.shards into RUN/detection, where the cells reuse it.</summary>
    internal static Catalogs.MergedDetectionRun MergeDetectionShards(ExperimentSpec spec, string runDirectory, SteerMoEContext context, int shards)
    {
        if (shards < 1) throw new ArgumentException($"--merge-shards: {shards}; expected the number of detection shards (≥ 1).");
        var dirs = Enumerable.Range(1, shards).Select(i => Path.Combine(DetectionShardsDirectory(runDirectory), new Detection.Sharding.Shard(i, shards).FolderName)).ToArray();
        var (pairs, _) = DetectionPairs(spec, runDirectory, context);
        string detectionDir = DetectionDirectory(runDirectory);
        var merged = context.Detection.Merge(dirs, detectionDir, overwrite: true);
        AtomicFile.WriteAllText(Path.Combine(detectionDir, DetectionFingerprintFile), DetectionFingerprint(spec.Resolve(spec.Model), pairs, spec.Precision));
        return merged;
    }

    /// <summary>Where a run's detection shards are counted: RUN/detection.shards/I-of-N.</summary>
    public static string DetectionShardsDirectory(string runDirectory) => Path.Combine(runDirectory, "detection.shards");

    /// <summary>The detection pairs file: the spec's pairs, or (pairs: {from: ...}) the pairs built from the source dataset into the run folder once.</summary>
    private static string PairsFile(ExperimentSpec spec, string runDirectory)
    {
        string source = spec.ResolveData(spec.Pairs);
        if (spec.PairsFrom is not { } from) return source;
        string built = Path.Combine(runDirectory, "pairs.jsonl");
        if (File.Exists(built)) return built;
        var result = from.From == "squad" ? PairBuilders.FromSquad(source, from.Limit) : PairBuilders.FromBeaverTails(source, limit: from.Limit);
        if (result.Pairs.Count == 0) throw new FormatException($"{source}: pairs: no {from.From} pairs could be built ({result.RowsRead} rows read).");
        PairedDataset.Write(built, result.Pairs);
        return built;
    }

    /// <summary>Generates every evaluation prompt in batches of the spec's batch_size, logging progress.</summary>
    private IReadOnlyList<GeneratedText> GenerateAll(SteeringPlan? plan, string what)
    {
        var outputs = new List<GeneratedText>(_prompts.Count);
        int batch = _batchSize;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        _options.Progress?.Invoke(new RunProgress(RunProgress.Generation, 0, _prompts.Count, "prompts", what));
        for (int start = 0; start < _prompts.Count; start += batch)
        {
            outputs.AddRange(Generator.Generate(_prompts.Skip(start).Take(batch).ToArray(), plan, _settings with { PromptIndexOffset = start }));
            if (_options.Progress is { } report) report(new RunProgress(RunProgress.Generation, outputs.Count, _prompts.Count, "prompts", what));
            else if (_prompts.Count > batch)
                _options.Log?.Invoke($"  {what}: {outputs.Count}/{_prompts.Count} prompts ({100.0 * outputs.Count / _prompts.Count:F0}%, {clock.Elapsed.TotalSeconds:F0} s)");
        }
        return outputs;
    }

    /// <summary>Scores a group's prompts (null elsewhere): batch evaluators (judges) in one call.</summary>
    private static double?[] Score(ScoredGroup group, IReadOnlyList<GeneratedText> outputs)
    {
        var scores = new double?[group.Indices.Length];
        var mine = group.Indices.Select(i => outputs[i]).ToArray();
        if (group.Evaluator is IBatchEvaluator batch)
        {
            var all = batch.ScoreAll(mine);
            for (int i = 0; i < mine.Length; i++) scores[i] = all[i];
        }
        else for (int i = 0; i < mine.Length; i++) scores[i] = group.Evaluator.Score(mine[i]);
        return scores;
    }

    /// <summary>Writes one JSON line per output: prompt id, prompt text, output text, output ids.</summary>
    public static void WriteOutputs(string path, IReadOnlyList<GeneratedText> outputs) =>
        AtomicFile.WriteAllText(path, string.Concat(outputs.Select(o => JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["id"] = o.Prompt.Id, ["prompt"] = o.PromptText, ["output"] = o.OutputText, ["output_ids"] = o.OutputIds,
        }) + "\n")));

    /// <summary>Unmaps the model and any judge models.</summary>
    public void Dispose()
    {
        _generator?.Dispose();
        foreach (var judge in _groups.Select(g => g.Evaluator).OfType<IDisposable>().Distinct()) judge.Dispose();
    }
}
