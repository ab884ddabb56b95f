using SteerMoE.Research.Inference;
using SteerMoE.Research.Inference.Models;
using SteerMoE.Research.Inference.Routing;
using SteerMoE.Research.Inference.Text;
using SteerMoE.Research.Steering.Plans;

namespace SteerMoE.Research.Generation;

/// <summary>How to generate: length, greedy or seeded sampling, numeric mode and chat-template variables.</summary>
public sealed record GenerationSettings
{
    /// <summary>New tokens per prompt at most.</summary>
    public int MaxNewTokens { get; init; } = 32;
    /// <summary>0: greedy (argmax, lowest id on ties); &gt; 0: sampling at this temperature.</summary>
    public double Temperature { get; init; }
    /// <summary>Nucleus mass for sampling (1: off).</summary>
    public double TopP { get; init; } = 1.0;
    /// <summary>Sampling seed; prompt i draws from its own stream derived from it and i.</summary>
    public int Seed { get; init; }
    /// <summary>The index of the first prompt of this call in the whole list, so that a list generated in chunks samples as in one call.</summary>
    public int PromptIndexOffset { get; init; }
    /// <summary>Numeric mode.</summary>
    public Precision Precision { get; init; } = Precision.Exact;
    /// <summary>Extra variables for the chat template (e.g. enable_thinking).</summary>
    public IReadOnlyDictionary<string, object?> TemplateVariables { get; init; } = new Dictionary<string, object?>();
}

/// <summary>One prompt's generation.</summary>
/// <param name="Prompt">The prompt.</param>
/// <param name="PromptText">The prompt as rendered by the chat template.</param>
/// <param name="PromptIds">Its token ids.</param>
/// <param name="OutputIds">The generated ids (a final end-of-sequence token included).</param>
/// <param name="OutputText">The generated text, special tokens dropped.</param>
/// <param name="FirstStepLogits">[V] the logits the first new token was chosen from.</param>
public sealed record GeneratedText(GenerationPrompt Prompt, string PromptText, int[] PromptIds, int[] OutputIds, string OutputText, float[] FirstStepLogits);

/// <summary>
/// A model with its tokenizer and chat template, generating from a batch of prompts, unsteered or steered by
/// a plan (through <see cref="SteeringRewrite"/>). All prompts of a batch run together through one KV cache:
/// one forward pass per step for the whole batch.
/// </summary>
public sealed class SteeredGenerator : IDisposable
{
    private readonly HashSet<int> _stopTokens;

    private SteeredGenerator(IMoeEngine model, Tokenizer tokenizer, ChatTemplate? template)
    {
        Model = model; Tokenizer = tokenizer; Template = template;
        _stopTokens = [.. model.Config.EosTokenIds];
        if (template?.SpecialTokens.GetValueOrDefault("eos_token") is string eos && tokenizer.TokenToId(eos) is int id) _stopTokens.Add(id);
        Shape = new ModelShape(model.Config.LayerCount, model.Config.ExpertCount, model.Config.TopK, model.Config.DenseLayers.Length > 0 ? model.Config.DenseLayers : null);
    }

    /// <summary>The model (the CPU engine, or the CUDA backend when loaded with <see cref="EngineDevice.Cuda"/>).</summary>
    public IMoeEngine Model { get; }
    /// <summary>Its tokenizer (tokenizer.json).</summary>
    public Tokenizer Tokenizer { get; }
    /// <summary>Its chat template, or null when the folder has none (prompts are then the user text as it is).</summary>
    public ChatTemplate? Template { get; }
    /// <summary>Layers, experts and k, to check plans against.</summary>
    public ModelShape Shape { get; }
    /// <summary>Token ids that end a generation.</summary>
    public IReadOnlySet<int> StopTokens => _stopTokens;

    /// <summary>
    /// Loads a model folder (config.json, safetensors, tokenizer.json, and the chat template of
    /// tokenizer_config.json or chat_template.jinja when there is one). When <paramref name="plan"/> is given it is
    /// checked against the config first, before any weights are read. <paramref name="device"/>: the engine to run on
    /// (CUDA: no driver or GPU is a CudaException before any file is read). <paramref name="load"/>: how the model is
    /// loaded (e.g. its expert arithmetic).
    /// </summary>
    public static SteeredGenerator Load(string modelDirectory, SteeringPlan? plan = null, string planSource = "plan", EngineDevice device = EngineDevice.Cpu,
        LoadOptions? load = null)
    {
        if (device == EngineDevice.Cuda) _ = Inference.Cuda.Driver.CudaDevice.Current;
        if (!Directory.Exists(modelDirectory)) throw new DirectoryNotFoundException($"{modelDirectory}: no such model folder.");
        if (plan != null) plan.Validate(ModelShape.FromModelFolder(modelDirectory), planSource);
        string tokenizerPath = Path.Combine(modelDirectory, "tokenizer.json");
        if (!File.Exists(tokenizerPath)) throw new FileNotFoundException($"{tokenizerPath}: no such file (generation needs the model's tokenizer).", tokenizerPath);
        var tokenizer = Tokenizer.Load(tokenizerPath);
        bool hasTemplate = File.Exists(Path.Combine(modelDirectory, "chat_template.jinja")) || File.Exists(Path.Combine(modelDirectory, "tokenizer_config.json"));
        ChatTemplate? template = null;
        if (hasTemplate)
        {
            try { template = ChatTemplate.Load(modelDirectory); }
            catch (FormatException e) when (e.Message.Contains("has no chat template")) { template = null; }
        }
        var model = MoeEngine.Load(modelDirectory, device, load);
        return new SteeredGenerator(model, tokenizer, template);
    }

    /// <summary>The rewrite for a plan (null for none): the plan's steering mask and log-softmax scope.</summary>
    public static IRouterRewrite? RewriteFor(SteeringPlan? plan) => plan is null ? null : new SteeringRewrite(plan.Mask, plan.Scope, plan.Target);

    /// <summary>
    /// The prompt text: the prompt's own <see cref="GenerationPrompt.RenderedText"/> when it has one, else the chat template
    /// with the generation prompt, or the messages' contents joined by newlines without one.
    /// </summary>
    public string Render(GenerationPrompt prompt, IReadOnlyDictionary<string, object?>? variables = null) =>
        prompt.RenderedText ?? (Template is null ? string.Join("\n", prompt.Messages.Select(m => m.Content))
            : Template.Render(prompt.Messages, addGenerationPrompt: true, variables));

    /// <summary>
    /// The rendered text's token ids. Special tokens the template wrote are matched as added tokens; the
    /// tokenizer's post-processor is not applied when a template rendered the text (the template writes BOS itself).
    /// </summary>
    public int[] EncodePrompt(GenerationPrompt prompt, IReadOnlyDictionary<string, object?>? variables = null)
    {
        var ids = Tokenizer.Encode(Render(prompt, variables), addSpecialTokens: Template is null && prompt.RenderedText is null).Ids;
        if (ids.Length == 0) throw new ArgumentException($"{prompt.Id}: the prompt encodes to no tokens.");
        return ids;
    }

    /// <summary>
    /// Generates for every prompt, steered by <paramref name="plan"/> when given (checked against the model first).
    /// Greedy at temperature 0, else seeded sampling; prompt i samples from <c>Random(PromptSeed(Seed, i))</c>, so a
    /// batch gives the same outputs as the prompts one by one.
    /// </summary>
    public IReadOnlyList<GeneratedText> Generate(IReadOnlyList<GenerationPrompt> prompts, SteeringPlan? plan, GenerationSettings settings, string planSource = "plan")
    {
        if (prompts.Count == 0) throw new ArgumentException("generate: no prompts.");
        if (settings.MaxNewTokens < 1) throw new ArgumentException($"generate: --max-new-tokens: {settings.MaxNewTokens}: expected at least 1.");
        if (!(settings.Temperature >= 0) || double.IsInfinity(settings.Temperature))
            throw new ArgumentException($"generate: --temperature: {settings.Temperature}: expected 0 (greedy) or a positive number.");
        if (!(settings.TopP > 0 && settings.TopP <= 1)) throw new ArgumentException($"generate: --top-p: {settings.TopP}: expected a number in (0, 1].");
        plan?.Validate(Shape, planSource);
        var forward = new ForwardOptions { Precision = settings.Precision, Rewrite = RewriteFor(plan) };
        var promptIds = prompts.Select(p => EncodePrompt(p, settings.TemplateVariables)).ToArray();
        int batch = prompts.Count, vocab = Model.Config.VocabSize;
        var outputs = Enumerable.Range(0, batch).Select(_ => new List<int>()).ToArray();
        var firstLogits = new float[batch][];
        var randoms = Enumerable.Range(0, batch).Select(i => new Random(PromptSeed(settings.Seed, settings.PromptIndexOffset + i))).ToArray();
        var done = new bool[batch];
        using var cache = Model.CreateCache(batch);
        var result = Model.Forward(promptIds, forward, cache);
        for (int step = 0; step < settings.MaxNewTokens; step++)
        {
            var next = new IReadOnlyList<int>[batch];
            for (int b = 0; b < batch; b++)
            {
                next[b] = [];
                if (done[b]) continue;
                var logits = result.LastLogits.AsSpan(b * vocab, vocab);     // [V]
                if (step == 0) firstLogits[b] = logits.ToArray();
                int token = Sampling.Next(logits, settings.Temperature, settings.TopP, randoms[b]);
                outputs[b].Add(token);
                if (_stopTokens.Contains(token)) done[b] = true;
                else next[b] = [token];
            }
            if (step == settings.MaxNewTokens - 1 || done.All(d => d)) break;
            result = Model.Forward(next, forward, cache);
        }
        return Enumerable.Range(0, batch).Select(b => new GeneratedText(prompts[b], Render(prompts[b], settings.TemplateVariables), promptIds[b],
            outputs[b].ToArray(), Tokenizer.Decode(outputs[b], skipSpecialTokens: true), firstLogits[b])).ToArray();
    }

    /// <summary>The sampling seed of prompt <paramref name="index"/>: a fixed function of the seed and the index (not string or HashCode hashing, which vary per process).</summary>
    public static int PromptSeed(int seed, int index) => (int)((((ulong)(uint)seed * 0x9E3779B97F4A7C15UL) ^ ((ulong)(uint)index * 0xBF58476D1CE4E5B9UL)) >> 33);

    /// <summary>Unmaps the model.</summary>
    public void Dispose() => Model.Dispose();
}
