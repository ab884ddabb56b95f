using SteerMoE.Research.Inference;
using SteerMoE.Research.Inference.Models;

namespace SteerMoE.Research.Evaluation;

/// <summary>What an evaluator may need to be built: the unsteered model (for the fluency proxy), the numeric mode,
/// and for generative judges their model folders and a cache folder.</summary>
/// <param name="Unsteered">The model, run without steering.</param>
/// <param name="Precision">Numeric mode of any model pass the evaluator makes.</param>
public sealed record EvaluatorResources(IMoeEngine Unsteered, Precision Precision = Precision.Exact)
{
    /// <summary>Model folders of the generative judges, by judge evaluator id (e.g. <c>llama-guard</c> → a Llama-Guard-3-1B folder).</summary>
    public IReadOnlyDictionary<string, string> JudgeModels { get; init; } = new Dictionary<string, string>();
    /// <summary>Where judges cache their verdicts by (judge, prompt, output) hash; null for no cache.</summary>
    public string? CacheDirectory { get; init; }
}

/// <summary>
/// Evaluators by id. The built-in ones: <c>context-match</c> (faithfulness), <c>refusal</c> (safety),
/// <c>digits-rate</c> and <c>words-rate</c> (number form), <c>fluency</c> (perplexity under the unsteered model),
/// <c>behaviour-1-match</c> and <c>behaviour-2-match</c> (the prompt's expected answers); the benchmark scorers
/// <c>mc-letter</c>, <c>answer-match</c>, <c>unknown</c>, <c>conflict</c>, <c>compliance</c> (Evaluation/Scoring); the
/// judges <c>llama-guard</c> and <c>fluency-judge</c> (Evaluation/Judges; their model folders from <see cref="EvaluatorResources.JudgeModels"/>).
/// Add others with <see cref="Register"/>.
/// </summary>
public sealed class EvaluatorRegistry
{
    private readonly Dictionary<string, Func<EvaluatorResources, IEvaluator>> _factories = new(StringComparer.Ordinal)
    {
        [ContextAnswerEvaluator.DefaultId] = _ => new ContextAnswerEvaluator(),
        [RefusalEvaluator.DefaultId] = _ => new RefusalEvaluator(),
        [NumberFormEvaluator.DigitsId] = _ => new NumberFormEvaluator(digits: true),
        [NumberFormEvaluator.WordsId] = _ => new NumberFormEvaluator(digits: false),
        [FluencyEvaluator.DefaultId] = r => new FluencyEvaluator(r.Unsteered, r.Precision),
        ["behaviour-1-match"] = _ => new BehaviourMatchEvaluator(1),
        ["behaviour-2-match"] = _ => new BehaviourMatchEvaluator(2),
        [Scoring.MultipleChoiceScorer.DefaultId] = _ => new Scoring.MultipleChoiceScorer(),
        [Scoring.AnswerMatchScorer.DefaultId] = _ => new Scoring.AnswerMatchScorer(),
        [Scoring.AbstentionScorer.UnknownId] = _ => Scoring.AbstentionScorer.Unknown(),
        [Scoring.AbstentionScorer.ConflictId] = _ => Scoring.AbstentionScorer.Conflict(),
        [Scoring.ComplianceScorer.DefaultId] = _ => new Scoring.ComplianceScorer(),
        [Judges.LlamaGuardJudge.DefaultId] = r => new Judges.LlamaGuardJudge(JudgeFolder(r, Judges.LlamaGuardJudge.DefaultId), r.CacheDirectory),
        [Judges.FluencyJudge.DefaultId] = r => new Judges.FluencyJudge(JudgeFolder(r, Judges.FluencyJudge.DefaultId), r.CacheDirectory),
    };

    private static string JudgeFolder(EvaluatorResources resources, string id) => resources.JudgeModels.TryGetValue(id, out var dir) ? dir
        : throw new FormatException($"evaluator '{id}': needs a judge model folder (spec 'judges: {{{id}: DIR}}' or --judge {id}=DIR).");

    /// <summary>The registered ids, sorted.</summary>
    public IReadOnlyList<string> Ids => _factories.Keys.Order(StringComparer.Ordinal).ToArray();

    /// <summary>Adds (or replaces) an evaluator.</summary>
    public void Register(string id, Func<EvaluatorResources, IEvaluator> factory) => _factories[id] = factory;

    /// <summary>True when <paramref name="id"/> is registered.</summary>
    public bool Contains(string id) => _factories.ContainsKey(id);

    /// <summary>Throws naming the unknown id and the known ones, without building anything.</summary>
    public void CheckIds(IEnumerable<string> ids, string source)
    {
        foreach (string id in ids)
            if (!_factories.ContainsKey(id)) throw new FormatException($"{source}: evaluators: unknown evaluator '{id}' (known: {string.Join(", ", Ids)}).");
    }

    /// <summary>Builds the evaluator <paramref name="id"/>.</summary>
    public IEvaluator Create(string id, EvaluatorResources resources) => _factories.TryGetValue(id, out var f) ? f(resources)
        : throw new ArgumentException($"unknown evaluator '{id}' (known: {string.Join(", ", Ids)}).");
}
