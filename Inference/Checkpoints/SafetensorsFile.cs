using System.IO.MemoryMappedFiles;
using System.Text.Json;
using SteerMoE.Research.Inference.Kernels;
using SteerMoE.Research.Inference.Files;

namespace SteerMoE.Research.Inference.Checkpoints;

/// <summary>One tensor entry of a safetensors header: where its bytes lie inside the data section.</summary>
/// <param name="Name">Tensor name as the header spells it.</param>
/// <param name="Type">Stored element type.</param>
/// <param name="Shape">Dimensions (empty for a scalar).</param>
/// <param name="Begin">First byte, relative to the data section.</param>
/// <param name="End">One past the last byte, relative to the data section.</param>
/// <param name="Source">The file that holds it (for error messages).</param>
public sealed record TensorInfo(string Name, DType Type, long[] Shape, long Begin, long End, string Source)
{
    /// <summary>Number of elements (product of the shape; 1 for a scalar).</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);
    /// <summary>Number of stored bytes.</summary>
    public long ByteLength => End - Begin;
    /// <summary>The shape as text, e.g. [384, 64].</summary>
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}

/// <summary>
/// A safetensors file (docs/CONTRACTS.md §5.1): the header is read and validated on open (length against the
/// file size, JSON, dtypes, shapes against byte sizes, offsets inside the data section, no overlaps), and the
/// data is memory-mapped read-only through one view. Tensor bytes are never copied: pointers returned by
/// <see cref="Pointer"/> stay valid until the file is disposed.
/// </summary>
public sealed unsafe class SafetensorsFile : IDisposable
{
    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private byte* _base;                       // start of the mapped file
    private readonly long _dataStart;          // 8 + header length
    private readonly Dictionary<string, TensorInfo> _tensors;

    private SafetensorsFile(string path, MemoryMappedFile? map, MemoryMappedViewAccessor? view, long dataStart, Dictionary<string, TensorInfo> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        Path = path; _map = map; _view = view; _dataStart = dataStart; _tensors = tensors; Metadata = metadata;
        if (view != null)
        {
            byte* p = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            _base = p + view.PointerOffset;
        }
    }

    /// <summary>The file's path.</summary>
    public string Path { get; }
    /// <summary>The optional <c>__metadata__</c> string map.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }
    /// <summary>The tensors, by name.</summary>
    public IReadOnlyDictionary<string, TensorInfo> Tensors => _tensors;

    /// <summary>Size in bytes of one element of a dtype (MXFP4 is not a safetensors dtype: packed as U8).</summary>
    public static int ElementSize(DType type) => type switch
    {
        DType.F64 or DType.I64 or DType.U64 => 8,
        DType.F32 or DType.I32 or DType.U32 => 4,
        DType.F16 or DType.BF16 or DType.I16 or DType.U16 => 2,
        DType.I8 or DType.U8 or DType.Bool => 1,
        _ => throw new ArgumentException($"dtype {type} has no safetensors element size."),
    };

    /// <summary>The safetensors spelling of a dtype (F32, BF16, ..., BOOL).</summary>
    public static string DTypeName(DType type) => type == DType.Bool ? "BOOL" : type.ToString().ToUpperInvariant();

    /// <summary>Parses a safetensors dtype name; null when unknown.</summary>
    public static DType? ParseDType(string name) => name switch
    {
        "F64" => DType.F64, "F32" => DType.F32, "F16" => DType.F16, "BF16" => DType.BF16,
        "I64" => DType.I64, "I32" => DType.I32, "I16" => DType.I16, "I8" => DType.I8,
        "U64" => DType.U64, "U32" => DType.U32, "U16" => DType.U16, "U8" => DType.U8, "BOOL" => DType.Bool,
        _ => null,
    };

    /// <summary>Opens, validates and maps a safetensors file. Bad files throw <see cref="InvalidDataException"/> naming the file and the problem.</summary>
    public static SafetensorsFile Open(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found.", path);
        long fileLength = new FileInfo(path).Length;
        if (fileLength < 8) throw new InvalidDataException($"{path}: truncated: {fileLength} bytes, but a safetensors file starts with an 8-byte header length.");
        byte[] header;
        long headerLength;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read))
        {
            Span<byte> len = stackalloc byte[8];
            stream.ReadExactly(len);
            headerLength = (long)BitConverter.ToUInt64(len);
            if (headerLength < 2 || headerLength > fileLength - 8)
                throw new InvalidDataException($"{path}: header length {headerLength} bytes does not fit in the file ({fileLength} bytes, so at most {fileLength - 8}): the file is truncated or not safetensors.");
            if (headerLength > 100_000_000) throw new InvalidDataException($"{path}: header length {headerLength} bytes exceeds the 100 MB limit.");
            header = new byte[headerLength];
            stream.ReadExactly(header);
        }
        long dataStart = 8 + headerLength, dataLength = fileLength - dataStart;
        var (tensors, metadata) = ParseHeader(path, header, dataLength);
        if (fileLength == 0 || dataLength == 0) return new SafetensorsFile(path, null, null, dataStart, tensors, metadata);
        var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        var view = map.CreateViewAccessor(0, fileLength, MemoryMappedFileAccess.Read);
        return new SafetensorsFile(path, map, view, dataStart, tensors, metadata);
    }

    /// <summary>Drops this file's mapped pages from the process's resident set (they are read again on use).</summary>
    internal void ReleaseResidentPages()
    {
        if (_view != null) AnonymousMemory.Release(_base, _view.Capacity);
    }

    private static (Dictionary<string, TensorInfo>, Dictionary<string, string>) ParseHeader(string path, byte[] header, long dataLength)
    {
        JsonDocument doc;
        try { doc = StrictJson.Parse(StrictUtf8.Decode(header, $"{path}: header"), $"{path}: header"); }
        catch (FormatException e) { throw new InvalidDataException(e.Message); }
        var tensors = new Dictionary<string, TensorInfo>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>();
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{path}: header: expected a JSON object of tensors.");
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (p.Name == "__metadata__")
                {
                    if (p.Value.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{path}: header: __metadata__: expected an object of strings.");
                    foreach (var m in p.Value.EnumerateObject())
                        metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()! : throw new InvalidDataException($"{path}: header: __metadata__.{m.Name}: expected a string.");
                    continue;
                }
                tensors[p.Name] = ParseEntry(path, p.Name, p.Value, dataLength);
            }
        }
        // no two tensors may share bytes
        TensorInfo? previous = null;
        foreach (var t in tensors.Values.Where(t => t.ByteLength > 0).OrderBy(t => t.Begin))
        {
            if (previous != null && t.Begin < previous.End)
                throw new InvalidDataException($"{path}: tensors '{previous.Name}' [{previous.Begin}, {previous.End}) and '{t.Name}' [{t.Begin}, {t.End}) overlap in the data section.");
            previous = t;
        }
        return (tensors, metadata);
    }

    private static TensorInfo ParseEntry(string path, string name, JsonElement e, long dataLength)
    {
        string where = $"{path}: tensor '{name}'";
        if (e.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{where}: expected an object with dtype, shape, data_offsets.");
        foreach (var p in e.EnumerateObject())
            if (p.Name is not ("dtype" or "shape" or "data_offsets"))
                throw new InvalidDataException($"{where}: unknown field '{p.Name}'; expected only dtype, shape, data_offsets.");
        if (!e.TryGetProperty("dtype", out var dt) || dt.ValueKind != JsonValueKind.String)
            throw new InvalidDataException($"{where}: field 'dtype' is missing or not a string.");
        var type = ParseDType(dt.GetString()!) ?? throw new InvalidDataException($"{where}: dtype '{dt.GetString()}' is not one of F64, F32, F16, BF16, I64, I32, I16, I8, U64, U32, U16, U8, BOOL.");
        if (!e.TryGetProperty("shape", out var sh) || sh.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"{where}: field 'shape' is missing or not a list.");
        var shape = new List<long>();
        foreach (var d in sh.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long v) || v < 0)
                throw new InvalidDataException($"{where}: shape {sh.GetRawText()}: expected non-negative integers.");
            shape.Add(v);
        }
        if (!e.TryGetProperty("data_offsets", out var off) || off.ValueKind != JsonValueKind.Array || off.GetArrayLength() != 2)
            throw new InvalidDataException($"{where}: field 'data_offsets' is missing or not [begin, end].");
        if (!off[0].TryGetInt64(out long begin) || !off[1].TryGetInt64(out long end) || begin < 0 || end < begin)
            throw new InvalidDataException($"{where}: data_offsets {off.GetRawText()}: expected 0 <= begin <= end.");
        if (end > dataLength)
            throw new InvalidDataException($"{where}: data_offsets {off.GetRawText()} lie outside the data section ({dataLength} bytes): the file is truncated or its header is wrong.");
        var info = new TensorInfo(name, type, shape.ToArray(), begin, end, path);
        long expected;
        try { expected = checked(info.ElementCount * ElementSize(type)); }
        catch (OverflowException) { throw new InvalidDataException($"{where}: shape {info.ShapeText} is too large."); }
        if (expected != info.ByteLength)
            throw new InvalidDataException($"{where}: shape {info.ShapeText} of {DTypeName(type)} needs {expected} bytes, but data_offsets span {info.ByteLength}.");
        return info;
    }

    /// <summary>The tensor's entry, or null when the file has no such tensor.</summary>
    public TensorInfo? Find(string name) => _tensors.TryGetValue(name, out var t) ? t : null;

    /// <summary>Pointer to the first stored byte of a tensor (valid until dispose).</summary>
    public void* Pointer(TensorInfo tensor)
    {
        ObjectDisposedException.ThrowIf(_base == null && tensor.ByteLength > 0, this);
        return _base + _dataStart + tensor.Begin;
    }

    /// <summary>The stored bytes of a tensor, without copying.</summary>
    public ReadOnlySpan<byte> Bytes(TensorInfo tensor) => tensor.ByteLength == 0 ? default : new ReadOnlySpan<byte>(Pointer(tensor), checked((int)tensor.ByteLength));

    /// <summary>Releases the mapping; tensor pointers become invalid.</summary>
    public void Dispose()
    {
        if (_view != null && _base != null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _base = null;
        }
        _view?.Dispose();
        _map?.Dispose();
    }
}
