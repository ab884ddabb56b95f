using SteerMoE.Research.Inference.Checkpoints;
using SteerMoE.Research.Inference.Kernels;

namespace SteerMoE.Research.Inference.Models;

/// <summary>What `inspect` reports about a loaded model.</summary>
/// <param name="Config">The parsed config.</param>
/// <param name="Parameters">Stored parameter count (an MXFP4 byte holds two; scales not counted).</param>
/// <param name="BytesByDType">Stored bytes per safetensors dtype (MXFP4 blocks and scales are U8).</param>
/// <param name="CheckpointBytes">All stored tensor bytes (memory-mapped, not copied).</param>
/// <param name="DerivedBytes">Bytes the engine holds besides the mapping (transposed copies of unquantised gpt-oss experts, BF16 matrices in the interleaved decode layout).</param>
/// <param name="KvBytesPerToken">fp32 KV-cache bytes per token of context.</param>
/// <param name="Files">The safetensors files.</param>
public sealed record ModelSummary(ModelConfig Config, long Parameters, IReadOnlyDictionary<string, long> BytesByDType,
    long CheckpointBytes, long DerivedBytes, long KvBytesPerToken, int Files)
{
    /// <summary>Summarises a loaded model.</summary>
    public static ModelSummary Of(MoeModel model)
    {
        var c = model.Config;
        var tensors = model.Weights.Files.SelectMany(f => f.Tensors.Values).ToList();
        long parameters = tensors.Sum(t => t.Name.EndsWith("_blocks", StringComparison.Ordinal) && t.Type == DType.U8 ? t.ElementCount * 2
            : t.Name.EndsWith("_scales", StringComparison.Ordinal) && t.Type == DType.U8 ? 0 : t.ElementCount);
        var byType = tensors.GroupBy(t => SafetensorsFile.DTypeName(t.Type)).OrderByDescending(g => g.Sum(t => t.ByteLength))
            .ToDictionary(g => g.Key, g => g.Sum(t => t.ByteLength));
        long kv = (long)c.LayerCount * (c.CacheWidths.Key + c.CacheWidths.Value) * sizeof(float);
        return new ModelSummary(c, parameters, byType, model.Weights.ByteCount, model.Weights.DerivedByteCount + model.Weights.InterleavedByteCount, kv, model.Weights.Files.Count);
    }
}
