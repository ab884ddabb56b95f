using SteerMoE.Research.Inference.Models;
using SteerMoE.Research.Inference.Routing;

namespace SteerMoE.Research.Catalogs;

/// <summary>The <c>Models</c> catalog of a <see cref="SteerMoEContext"/>: load, inspect, trace and fabricate MoE checkpoints.</summary>
public sealed partial class ModelCatalog
{
    private readonly SteerMoEContext _context;

    internal ModelCatalog(SteerMoEContext context) => _context = context;

    /// <summary>Loads a Hugging Face model folder (config.json + safetensors, memory-mapped).</summary>
    public MoeModel Load(string directory, LoadOptions? options = null) => MoeModel.Load(directory, options);

    /// <summary>Loads a model folder on <paramref name="device"/>: the CPU engine or the CUDA backend (docs/CONTRACTS.md §9).</summary>
    public IMoeEngine Load(string directory, EngineDevice device, LoadOptions? options = null) => MoeEngine.Load(directory, device, options);

    /// <summary>Architecture, shape, parameters, dtypes and memory of a model folder.</summary>
    public ModelSummary Inspect(string directory)
    {
        using var model = MoeModel.Load(directory);
        return ModelSummary.Of(model);
    }

    /// <summary>Reads a steering plan (PLAN.json or a bare steering.json) and validates it against a model.</summary>
    public SteeringRewrite LoadPlan(string path, ModelConfig config) =>
        SteeringRewrite.Load(path, (config.LayerCount, config.ExpertCount, config.TopK), config.DenseLayers);

    /// <summary>Runs `trace`: one forward pass over an inputs file (and optionally a greedy continuation), written as safetensors.</summary>
    public void Trace(string modelDirectory, string inputsPath, string outputPath, string? planPath = null, int generate = 0, int promptTokens = 0,
        Inference.Precision precision = Inference.Precision.Exact, LoadOptions? load = null)
    {
        using var model = MoeModel.Load(modelDirectory, load);
        ModelTrace.Run(model, new TraceRequest
        {
            InputsPath = inputsPath, OutputPath = outputPath, Generate = generate, PromptTokens = promptTokens, Precision = precision,
            Rewrite = planPath is null ? null : LoadPlan(planPath, model.Config),
        });
    }

    /// <summary>Writes a checkpoint of a released model's shapes with random weights (seeded by <paramref name="seed"/>, or the context seed).</summary>
    public ModelConfig MakeRandom(string like, string outputDirectory, int? layers = null, int? seed = null, Action<long, long>? progress = null) =>
        RandomCheckpoint.Write(like, outputDirectory, layers, seed ?? _context.Seed, progress);
}
