using SteerMoE.Research.Inference.Checkpoints;

namespace SteerMoE.Research.Inference.Tests.Parity;

/// <summary>Reads the tensors of a fixture's reference.safetensors as fp32 / int64 arrays.</summary>
internal sealed unsafe class Reference : IDisposable
{
    private readonly SafetensorsFile _file;

    public Reference(string path) => _file = SafetensorsFile.Open(path);

    public bool Has(string name) => _file.Find(name) is not null;

    public long[] Shape(string name) => Info(name).Shape;

    public float[] Floats(string name) { var t = Info(name); return TensorConvert.ToSingle(t, _file.Pointer(t)); }

    /// <summary>input_ids [B, T] as B token-id rows.</summary>
    public List<IReadOnlyList<int>> Batch()
    {
        var ids = Longs("input_ids");
        int b = (int)Shape("input_ids")[0], t = (int)Shape("input_ids")[1];
        return Enumerable.Range(0, b).Select(r => (IReadOnlyList<int>)ids.Skip(r * t).Take(t).Select(x => (int)x).ToArray()).ToList();
    }

    public long[] Longs(string name) { var t = Info(name); return TensorConvert.ToInt64(t, _file.Pointer(t)); }

    private TensorInfo Info(string name) => _file.Find(name) ?? throw new InvalidDataException($"{_file.Path}: no tensor '{name}'.");

    public void Dispose() => _file.Dispose();
}
