using SteerMoE.Research.Inference.Cuda.Driver;
using SteerMoE.Research.Inference.Cuda.Model;
using SteerMoE.Research.Inference.Cuda.Native;

namespace SteerMoE.Research.Inference.Models;

/// <summary>
/// A loaded MoE model that runs forward passes and generations: the CPU engine (<see cref="MoeModel"/>) or the
/// CUDA backend (<see cref="CudaModel"/>). Same options, hooks and results on both (docs/CONTRACTS.md §9, §16);
/// callers that only forward and generate (detection, steered generation, evaluators) take this interface so that
/// `--device cuda` runs them on the GPU. Not thread-safe: one pass at a time.
/// </summary>
public interface IMoeEngine : IDisposable
{
    /// <summary>The model folder it was loaded from.</summary>
    string Directory { get; }
    /// <summary>The model's config.</summary>
    ModelConfig Config { get; }
    /// <summary>Where it runs, in words ("CPU", or the device with its NVRTC and cuBLAS versions).</summary>
    string Description { get; }
    /// <summary>
    /// Runs new tokens through the model: <paramref name="sequences"/>[b] are the new ids of batch row b, continuing
    /// <paramref name="cache"/> (one made by this engine's <see cref="CreateCache"/>; a fresh one when null).
    /// A cache of the other engine is refused with an <see cref="ArgumentException"/>.
    /// </summary>
    ForwardResult Forward(IReadOnlyList<IReadOnlyList<int>> sequences, ForwardOptions? options = null, IKvCache? cache = null);
    /// <summary>Continues <paramref name="prompt"/> (greedy at temperature 0, else seeded sampling); returns prompt + generated ids.</summary>
    int[] Generate(IReadOnlyList<int> prompt, GenerationOptions options);
    /// <summary>An empty KV cache of this engine for <paramref name="sequences"/> batch rows.</summary>
    IKvCache CreateCache(int sequences);
}

/// <summary>The KV cache of an <see cref="IMoeEngine"/> (host memory for the CPU engine, device memory for CUDA).</summary>
public interface IKvCache : IDisposable
{
    /// <summary>Number of sequences (batch rows).</summary>
    int SequenceCount { get; }
    /// <summary>Tokens cached per sequence.</summary>
    IReadOnlyList<int> Lengths { get; }
    /// <summary>Bytes the cache holds (keys and values).</summary>
    long ByteCount { get; }
}

/// <summary>Where an engine runs: `--device cpu|cuda`.</summary>
public enum EngineDevice
{
    /// <summary>The CPU engine, <see cref="MoeModel"/>.</summary>
    Cpu,
    /// <summary>The CUDA backend, <see cref="CudaModel"/> (needs an NVIDIA GPU and libcuda.so.1).</summary>
    Cuda,
}

/// <summary>Loads an <see cref="IMoeEngine"/> on a device.</summary>
public static class MoeEngine
{
    /// <summary>
    /// Loads the model folder <paramref name="directory"/> on <paramref name="device"/>. For CUDA the CPU model is
    /// loaded (memory-mapped) first and its weights copied to the GPU; the returned engine owns both. Without a
    /// usable GPU throws <see cref="CudaException"/> with <see cref="CudaDevice.Description"/> before reading the model.
    /// </summary>
    public static IMoeEngine Load(string directory, EngineDevice device = EngineDevice.Cpu, LoadOptions? options = null)
    {
        if (device == EngineDevice.Cpu) return MoeModel.Load(directory, options);
        return CudaModel.Load(directory, options);   // no driver or GPU: CudaException before the model is read
    }

    /// <summary>Parses a `--device` value: cpu or cuda; anything else is an <see cref="ArgumentException"/>.</summary>
    public static EngineDevice ParseDevice(string device) => device switch
    {
        "cpu" => EngineDevice.Cpu,
        "cuda" => EngineDevice.Cuda,
        _ => throw new ArgumentException($"--device: expected cpu or cuda, got '{device}'."),
    };
}
