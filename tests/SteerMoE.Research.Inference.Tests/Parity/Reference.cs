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

    public long[] Longs(string name) { var t = Info(name); return TensorConvert.ToInt64(t, _file.Pointer(t)); }

    private TensorInfo Info(string name) => _file.Find(name) ?? throw new InvalidDataException($"{_file.Path}: no tensor '{name}'.");

    public void Dispose() => _file.Dispose();
}
