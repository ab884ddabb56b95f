using SteerMoE.Research.Inference.Routing;
using SteerMoE.Research.Steering.Plans;

namespace SteerMoE.Research.Catalogs;

/// <summary>The <c>Steering</c> catalog of a <see cref="SteerMoEContext"/>: plans and their application.</summary>
public sealed partial class SteeringCatalog
{
    private readonly SteerMoEContext _context;

    internal SteeringCatalog(SteerMoEContext context) => _context = context;

    /// <summary>Reads the steering mask of a PLAN.json (or a bare layers mapping).</summary>
    public SteeringMask LoadMask(string path) => SteeringMask.Load(path);

    /// <summary>Reads a whole PLAN.json: sets, strength, log_softmax scope and provenance.</summary>
    public SteeringPlan LoadPlan(string path) => SteeringPlan.Load(path);

    /// <summary>
    /// Reads a ranking CSV: <paramref name="metric"/> is a metric id (<c>rd</c>, <c>log-or</c>; docs/CONTRACTS.md §6)
    /// or a column name; <paramref name="qColumn"/>, when given, is read as the significance column.
    /// </summary>
    public ExpertRanking LoadRanking(string path, string metric = "rd", string? qColumn = null) =>
        ExpertRanking.Load(path, ExpertRanking.ColumnForMetric(metric), qColumn);

    /// <summary>The layers, experts and k of a Hugging Face model folder (its config.json), to check plans against.</summary>
    public ModelShape ReadModelShape(string modelDirectory) => ModelShape.FromModelFolder(modelDirectory);

    /// <summary>The random stream a random control of <paramref name="cell"/> is drawn from.</summary>
    public static string RandomStreamName(string cell) => "random-control/" + cell;

    /// <summary>
    /// Selects a plan from a ranking (<see cref="ExpertSelector"/>) and checks it against <paramref name="model"/>
    /// (the ranking's own shape when null). A random control draws from the context's stream
    /// <c>random-control/{cell}</c>; the default cell names the metric, counts and direction.
    /// </summary>
    public SteeringPlan SelectPlan(ExpertRanking ranking, PlanRequest request, ModelShape? model = null, string? cell = null)
    {
        if (request.Strategy != SelectionStrategy.Random) return ExpertSelector.Select(ranking, request, model);
        cell ??= $"metric={request.Metric}/N={request.Activate}/M={request.Deactivate}/reverse={(request.Reverse ? "true" : "false")}";
        string stream = RandomStreamName(cell);
        return ExpertSelector.Select(ranking, request with { Seed = _context.Seed, RandomStream = stream }, model, _context.CreateRandom(stream));
    }
}

// Generation with a plan (docs/CONTRACTS.md §15).
public sealed partial class SteeringCatalog
{
    /// <summary>
    /// Loads a model folder with its tokenizer and chat template for generation; a plan given here is checked
    /// against the model's config.json before any weights are read. <paramref name="device"/>: CPU engine or CUDA backend.
    /// </summary>
    public Generation.SteeredGenerator LoadGenerator(string modelDirectory, SteeringPlan? plan = null, string planSource = "plan",
        Inference.Models.EngineDevice device = Inference.Models.EngineDevice.Cpu, Inference.Models.LoadOptions? load = null) =>
        Generation.SteeredGenerator.Load(modelDirectory, plan, planSource, device, load);

    /// <summary>Generates from every prompt (batched), steered by <paramref name="plan"/> when given.</summary>
    public IReadOnlyList<Generation.GeneratedText> Generate(Generation.SteeredGenerator generator, IReadOnlyList<Generation.GenerationPrompt> prompts,
        SteeringPlan? plan, Generation.GenerationSettings settings, string planSource = "plan") =>
        generator.Generate(prompts, plan, settings, planSource);

    /// <summary>Reads a prompts JSONL file (<c>prompt</c> or <c>messages</c> per line, other string fields kept).</summary>
    public IReadOnlyList<Generation.GenerationPrompt> ReadPrompts(string path) => Generation.GenerationPrompt.ReadJsonLines(path);
}
