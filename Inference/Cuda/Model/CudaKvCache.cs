using SteerMoE.Research.Inference.Cuda.Driver;
using SteerMoE.Research.Inference.Models;

namespace SteerMoE.Research.Inference.Cuda.Model;

/// <summary>
/// The KV cache of a <see cref="CudaModel"/> in device memory: per layer, keys and values [B, capacity, kvHeads · headDim]
/// fp32 (both precision modes), grown (reallocated and copied) when a pass needs more positions.
/// </summary>
public sealed unsafe class CudaKvCache : IKvCache
{
    private readonly DeviceBuffer?[] _keys, _values;
    private readonly int[] _lengths;

    internal CudaKvCache(int layers, int sequences, int width)
    {
        _keys = new DeviceBuffer?[layers]; _values = new DeviceBuffer?[layers];
        _lengths = new int[sequences];
        Width = width;
    }

    /// <summary>Floats per cached token and layer (kvHeads · headDim).</summary>
    public int Width { get; }
    /// <summary>Number of sequences.</summary>
    public int SequenceCount => _lengths.Length;
    /// <summary>Tokens cached per sequence.</summary>
    public IReadOnlyList<int> Lengths => _lengths;
    /// <summary>Positions allocated per sequence.</summary>
    public int Capacity { get; private set; }
    /// <summary>Device bytes held by keys and values.</summary>
    public long ByteCount => (long)_keys.Length * 2 * SequenceCount * Capacity * Width * sizeof(float);

    internal ulong Keys(int layer) => _keys[layer]!.Pointer;
    internal ulong Values(int layer) => _values[layer]!.Pointer;

    /// <summary>Makes room for <paramref name="positions"/> tokens per sequence (doubling), copying what is cached.</summary>
    internal void Reserve(int positions, CudaStream stream)
    {
        if (positions <= Capacity) return;
        int capacity = Math.Max(positions, Math.Max(64, Capacity * 2));
        long bytes = (long)SequenceCount * capacity * Width * sizeof(float);
        for (int l = 0; l < _keys.Length; l++)
        {
            var k = DeviceBuffer.Allocate(bytes, $"KV cache keys, layer {l}");
            var v = DeviceBuffer.Allocate(bytes, $"KV cache values, layer {l}");
            if (_keys[l] is { } oldK && _values[l] is { } oldV)
            {
                for (int s = 0; s < SequenceCount; s++)
                {
                    if (_lengths[s] == 0) continue;
                    nuint rowBytes = (nuint)((long)_lengths[s] * Width * sizeof(float));
                    ulong from = (ulong)((long)s * Capacity * Width * sizeof(float)), to = (ulong)((long)s * capacity * Width * sizeof(float));
                    CudaDriver.Check(CudaDriver.Functions.cuMemcpyDtoDAsync(k.Pointer + to, oldK.Pointer + from, rowBytes, stream.Raw), "cuMemcpyDtoDAsync(KV cache keys)");
                    CudaDriver.Check(CudaDriver.Functions.cuMemcpyDtoDAsync(v.Pointer + to, oldV.Pointer + from, rowBytes, stream.Raw), "cuMemcpyDtoDAsync(KV cache values)");
                }
                stream.Synchronize();
                oldK.Dispose(); oldV.Dispose();
            }
            _keys[l] = k; _values[l] = v;
        }
        Capacity = capacity;
    }

    internal void Advance(IReadOnlyList<int> added)
    {
        for (int s = 0; s < added.Count; s++) _lengths[s] += added[s];
    }

    /// <summary>Frees the device memory.</summary>
    public void Dispose()
    {
        foreach (var b in _keys) b?.Dispose();
        foreach (var b in _values) b?.Dispose();
    }
}
