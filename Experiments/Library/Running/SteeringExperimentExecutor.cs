using System.Text.Json;
using SteerMoE.Research.Catalogs;
using SteerMoE.Research.Data.Files;
using SteerMoE.Research.Data.Pairs;
using SteerMoE.Research.Evaluation;
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
    private List<IEvaluator> _evaluators = [];
    private IReadOnlyList<GeneratedText>? _baseline;
    private Dictionary<string, double?[]>? _baselineScores;
    private IReadOnlyList<int[]> _neutral = [];
    private Precision _precision;
    private GenerationSettings _settings = new();

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
        _options.Evaluators.CheckIds(spec.Evaluators, spec.Source);
        foreach (string metric in spec.Metrics) _ = Detection.Ranking.DetectionMetric.Get(metric);
        _precision = PrecisionNames.Parse(spec.Precision);
        _settings = new GenerationSettings { MaxNewTokens = spec.MaxNewTokens, Precision = _precision };
        string pairsPath = spec.Resolve(spec.Pairs);
        var pairs = PairedDataset.Read(pairsPath).ToList();
        IReadOnlyList<PairedExample> detection = pairs;
        if (spec.Evaluation != null) _prompts = GenerationPrompt.ReadJsonLines(spec.Resolve(spec.Evaluation));
        else
        {
            var (d, e) = run.Context.Data.SplitHeldOut(pairs, spec.Holdout, Path.GetFileName(pairsPath));
            detection = d;
            _prompts = EvaluationPrompts.FromPairs(e, Path.GetFileName(pairsPath));
            if (_prompts.Count == 0) throw new FormatException($"{spec.Source}: holdout: {spec.Holdout} of {pairs.Count} pairs leaves no evaluation prompts.");
        }
        _generator = SteeredGenerator.Load(spec.Resolve(spec.Model), device: _options.Device);
        AtomicFile.WriteAllText(Path.Combine(run.Directory, InputsFile), JsonSerializer.Serialize(new Dictionary<string, string?>
        {
            ["name"] = spec.Name, ["model"] = Path.GetFullPath(spec.Resolve(spec.Model)), ["pairs"] = Path.GetFullPath(pairsPath),
            ["evaluation"] = spec.Evaluation is null ? null : Path.GetFullPath(spec.Resolve(spec.Evaluation)),
        }));
        _evaluators = spec.Evaluators.Select(id => _options.Evaluators.Create(id, new EvaluatorResources(_generator.Model, _precision))).ToList();

        // Detection's collector on the detection pairs (a held-out split is written out first); reused when a
        // resumed invocation finds its counts.csv.
        string detectionDir = Path.Combine(run.Directory, "detection");
        string countsPath = Path.Combine(detectionDir, DetectionCatalog.CountsFileName);
        if (!File.Exists(countsPath))
        {
            string detectionPairs = pairsPath;
            if (spec.Evaluation == null)
            {
                detectionPairs = Path.Combine(run.Directory, "detection.pairs.jsonl");
                PairedDataset.Write(detectionPairs, detection);
            }
            bool resume = File.Exists(Path.Combine(detectionDir, "checkpoint.json"));
            run.Context.Detection.Collect(spec.Resolve(spec.Model), detectionPairs, detectionDir,
                new Detection.Collection.CollectionOptions { Precision = _precision, Resume = resume, Device = _options.Device });
        }
        // Detection's ranking (every statistic, fisher_q included, docs/CONTRACTS.md §5.4/§6), read back as Steering's ranking.
        foreach (string metric in spec.Metrics)
        {
            string rankingPath = Path.Combine(run.Directory, $"ranking.{metric}.csv");
            run.Context.Detection.RankFile(countsPath, metric, rankingPath);
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
            _baseline = generator.Generate(_prompts, null, _settings);
            _baselineScores = _evaluators.ToDictionary(e => e.Id, e => _baseline.Select(e.Score).ToArray());
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
            outputs = generator.Generate(_prompts, plan, _settings);
            metrics["activate_applied"] = plan.Provenance?.ActivateApplied ?? 0;
            metrics["deactivate_applied"] = plan.Provenance?.DeactivateApplied ?? 0;
        }
        foreach (var evaluator in _evaluators)
        {
            var scores = cell.IsBaseline ? _baselineScores![evaluator.Id] : outputs.Select(evaluator.Score).ToArray();
            if (evaluator.Kind == EvaluatorKind.Rate)
            {
                var summary = RateSummary.Of(scores.Where(s => s.HasValue).Select(s => s!.Value >= 0.5));
                metrics[$"{evaluator.Id}.rate"] = summary.Rate;
                metrics[$"{evaluator.Id}.low"] = summary.Low;
                metrics[$"{evaluator.Id}.high"] = summary.High;
                if (!cell.IsBaseline)
                {
                    var before = _baselineScores![evaluator.Id];
                    var paired = Enumerable.Range(0, scores.Length).Where(i => before[i].HasValue && scores[i].HasValue).ToArray();
                    var test = McNemarTest.Test(paired.Select(i => before[i]!.Value >= 0.5).ToArray(), paired.Select(i => scores[i]!.Value >= 0.5).ToArray());
                    metrics[$"{evaluator.Id}.mcnemar_p"] = test.PValue;
                    metrics[$"{evaluator.Id}.changed_up"] = test.Up;
                    metrics[$"{evaluator.Id}.changed_down"] = test.Down;
                }
            }
            else
            {
                var values = scores.Where(s => s.HasValue).Select(s => s!.Value).ToArray();
                metrics[$"{evaluator.Id}.mean"] = values.Length == 0 ? double.NaN : values.Average();
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

    /// <summary>Writes one JSON line per output: prompt id, prompt text, output text, output ids.</summary>
    public static void WriteOutputs(string path, IReadOnlyList<GeneratedText> outputs) =>
        AtomicFile.WriteAllText(path, string.Concat(outputs.Select(o => JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["id"] = o.Prompt.Id, ["prompt"] = o.PromptText, ["output"] = o.OutputText, ["output_ids"] = o.OutputIds,
        }) + "\n")));

    /// <summary>Unmaps the model.</summary>
    public void Dispose() => _generator?.Dispose();
}
