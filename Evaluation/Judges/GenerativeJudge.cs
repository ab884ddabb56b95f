using System.Text;
using SteerMoE.Research.Data.Files;
using SteerMoE.Research.Generation;

namespace SteerMoE.Research.Evaluation.Judges;

/// <summary>
/// A judge that is a language model (docs/CONTRACTS.md §17): for each output it renders a judge prompt with the judge
/// folder's chat template, generates greedily (batched, exact precision, no steering) through the project's engine,
/// and parses the reply into a score. Verdicts are cached by sha256 of (judge id, the judge model's files, the judge
/// prompt, the output), so scoring the same outputs again generates nothing.
/// </summary>
public abstract class GenerativeJudge : IBatchEvaluator, IDisposable
{
    private readonly string _modelDirectory;
    private readonly JudgeCache _cache;
    private SteeredGenerator? _generator;
    private string? _modelIdentity;

    /// <summary>A judge on the model folder <paramref name="modelDirectory"/>, caching into <paramref name="cacheDirectory"/> (null: in memory).</summary>
    protected GenerativeJudge(string id, EvaluatorKind kind, string modelDirectory, string? cacheDirectory, int maxNewTokens, int batchSize = 8)
    {
        if (!Directory.Exists(modelDirectory)) throw new DirectoryNotFoundException($"{modelDirectory}: no such judge model folder (the '{id}' judge).");
        Id = id;
        Kind = kind;
        _modelDirectory = modelDirectory;
        _cache = new JudgeCache(cacheDirectory, id);
        MaxNewTokens = maxNewTokens;
        BatchSize = batchSize;
    }

    /// <inheritdoc/>
    public string Id { get; }
    /// <inheritdoc/>
    public EvaluatorKind Kind { get; }
    /// <summary>New tokens the judge may generate for a verdict.</summary>
    public int MaxNewTokens { get; }
    /// <summary>Judge prompts generated together.</summary>
    public int BatchSize { get; }
    /// <summary>Judge generations run by this instance (cache hits excluded).</summary>
    public int Generations { get; private set; }
    /// <summary>The replies of the last <see cref="ScoreAll"/>, in order (for records and errors).</summary>
    public IReadOnlyList<string> LastReplies { get; private set; } = [];

    /// <summary>The judge model (loaded on first use).</summary>
    protected SteeredGenerator Generator => _generator ??= SteeredGenerator.Load(_modelDirectory);

    /// <summary>The judge prompt text for an output (rendered with <see cref="Generator"/>'s template).</summary>
    protected abstract string RenderPrompt(GeneratedText output);

    /// <summary>The judge prompt the judge model is given for <paramref name="output"/> (what the cache key covers).</summary>
    public string PromptFor(GeneratedText output) => RenderPrompt(output);

    /// <summary>The score of a reply (null: unscorable); may throw a FormatException naming the output.</summary>
    protected abstract double? Parse(string reply, GeneratedText output);

    /// <inheritdoc/>
    public double? Score(GeneratedText output) => ScoreAll([output])[0];

    /// <inheritdoc/>
    public IReadOnlyList<double?> ScoreAll(IReadOnlyList<GeneratedText> outputs)
    {
        var prompts = outputs.Select(RenderPrompt).ToArray();
        var keys = outputs.Select((o, i) => Key(prompts[i], o.OutputText)).ToArray();
        var replies = new string?[outputs.Count];
        for (int i = 0; i < outputs.Count; i++) replies[i] = _cache.Find(keys[i])?.Reply;
        var missing = Enumerable.Range(0, outputs.Count).Where(i => replies[i] is null).DistinctBy(i => keys[i]).ToArray();
        var settings = new GenerationSettings { MaxNewTokens = MaxNewTokens };
        for (int start = 0; start < missing.Length; start += BatchSize)
        {
            var chunk = missing.Skip(start).Take(BatchSize).ToArray();
            var generated = Generator.Generate(
                chunk.Select(i => new GenerationPrompt($"{Id}:{outputs[i].Prompt.Id}", outputs[i].Prompt.Messages, outputs[i].Prompt.Fields) { RenderedText = prompts[i] }).ToArray(),
                null, settings);
            Generations += chunk.Length;
            var verdicts = new List<(string, JudgeVerdict)>();
            for (int j = 0; j < chunk.Length; j++)
            {
                string reply = generated[j].OutputText;
                verdicts.Add((keys[chunk[j]], new JudgeVerdict(reply, Parse(reply, outputs[chunk[j]]))));
            }
            _cache.Add(verdicts);   // cached before the next batch: an interrupted run keeps what it judged
        }
        for (int i = 0; i < outputs.Count; i++) replies[i] ??= _cache.Find(keys[i])!.Reply;
        LastReplies = replies!;
        // Parse again on a hit too, so a reply that is an error stays an error (and the parse rule can change).
        return outputs.Select((o, i) => Parse(replies[i]!, o)).ToArray();
    }

    /// <summary>sha256 hex of the judge id, the judge model's files, the judge prompt and the output.</summary>
    private string Key(string judgePrompt, string output)
    {
        _modelIdentity ??= string.Join(",", FileHash.HashModelFiles(_modelDirectory).OrderBy(h => h.Key, StringComparer.Ordinal).Select(h => h.Key + "=" + h.Value));
        return FileHash.Sha256(Encoding.UTF8.GetBytes($"{Id}\n{_modelIdentity}\n{judgePrompt.Length}:{judgePrompt}\n{output}"));
    }

    /// <summary>The request a judge sees as the user turn: the prompt's <c>judge_prompt</c> field, else its last user message.</summary>
    protected static string Request(GeneratedText output) =>
        output.Prompt.Fields.TryGetValue("judge_prompt", out var request) ? request
            : output.Prompt.Messages.LastOrDefault(m => m.Role == "user")?.Content ?? output.Prompt.Messages[^1].Content;

    /// <summary>Unmaps the judge model.</summary>
    public void Dispose()
    {
        _generator?.Dispose();
        GC.SuppressFinalize(this);
    }
}
