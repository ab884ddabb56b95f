using SteerMoE.Research.Inference.Cuda.Driver;

namespace SteerMoE.Research.Inference.Cuda.Model;

/// <summary>
/// Named scratch buffers that only grow (device and pinned host memory), so that repeated passes of the same size
/// allocate nothing. A buffer's address changes when it grows: callers take it again for every pass.
/// </summary>
internal sealed class Workspace : IDisposable
{
    private readonly Dictionary<string, DeviceBuffer> _device = new();
    private readonly Dictionary<string, PinnedBuffer> _pinned = new();

    /// <summary>A device buffer of at least <paramref name="bytes"/> named <paramref name="name"/>.</summary>
    public ulong Device(string name, long bytes)
    {
        if (_device.TryGetValue(name, out var b) && b.Bytes >= bytes) return b.Pointer;
        b?.Dispose();
        var grown = DeviceBuffer.Allocate(Math.Max(bytes, (b?.Bytes ?? 0) * 5 / 4), "workspace " + name);
        _device[name] = grown;
        return grown.Pointer;
    }

    /// <summary>A pinned host buffer of at least <paramref name="bytes"/>.</summary>
    public unsafe void* Pinned(string name, long bytes)
    {
        if (_pinned.TryGetValue(name, out var b) && b.Bytes >= bytes) return b.Address;
        b?.Dispose();
        var grown = PinnedBuffer.Allocate(Math.Max(bytes, (b?.Bytes ?? 0) * 5 / 4), "workspace " + name);
        _pinned[name] = grown;
        return grown.Address;
    }

    /// <summary>Bytes of device memory held.</summary>
    public long DeviceBytes => _device.Values.Sum(b => b.Bytes);

    /// <summary>Frees every buffer.</summary>
    public void Dispose()
    {
        foreach (var b in _device.Values) b.Dispose();
        foreach (var b in _pinned.Values) b.Dispose();
        _device.Clear(); _pinned.Clear();
    }
}
