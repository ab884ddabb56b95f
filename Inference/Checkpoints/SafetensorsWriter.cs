using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using SteerMoE.Research.Inference.Kernels;

namespace SteerMoE.Research.Inference.Checkpoints;

/// <summary>
/// A tensor to write: its dtype, shape and either its raw little-endian bytes (<see cref="Data"/>) or a
/// producer that streams exactly that many bytes (<see cref="Produce"/>, for tensors too large to hold).
/// </summary>
public sealed record TensorToWrite(string Name, DType Type, long[] Shape, byte[]? Data, Action<Stream>? Produce = null)
{
    /// <summary>The byte size its shape and dtype imply.</summary>
    public long ByteLength => Shape.Aggregate(1L, (a, b) => a * b) * SafetensorsFile.ElementSize(Type);

    /// <summary>An F32 tensor.</summary>
    public static TensorToWrite Single(string name, float[] values, params long[] shape) => new(name, DType.F32, shape, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
    /// <summary>An I64 tensor.</summary>
    public static TensorToWrite Int64(string name, long[] values, params long[] shape) => new(name, DType.I64, shape, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
}

/// <summary>
/// Writes safetensors files (docs/CONTRACTS.md §5.1), atomically: to a temporary file beside the target,
/// then renamed over it, so a failed write never leaves a half file. The header is padded to 8 bytes.
/// </summary>
public static class SafetensorsWriter
{
    /// <summary>
    /// Writes the tensors in the given order; checks each byte size against its shape and dtype.
    /// <paramref name="progress"/> is told (bytes written, bytes in all) after each tensor.
    /// </summary>
    public static void Write(string path, IEnumerable<TensorToWrite> tensors, IReadOnlyDictionary<string, string>? metadata = null,
        Action<long, long>? progress = null)
    {
        var list = tensors.ToList();
        var header = new Dictionary<string, object>();
        if (metadata is { Count: > 0 }) header["__metadata__"] = metadata;
        long offset = 0;
        foreach (var t in list)
        {
            long expected = t.ByteLength;
            if ((t.Data is null) == (t.Produce is null)) throw new ArgumentException($"{path}: tensor '{t.Name}': give either its bytes or a producer.");
            if (t.Data is not null && expected != t.Data.Length) throw new ArgumentException($"{path}: tensor '{t.Name}': shape [{string.Join(", ", t.Shape)}] of {SafetensorsFile.DTypeName(t.Type)} needs {expected} bytes, got {t.Data.Length}.");
            if (header.ContainsKey(t.Name)) throw new ArgumentException($"{path}: tensor '{t.Name}' written twice.");
            header[t.Name] = new Dictionary<string, object> { ["dtype"] = SafetensorsFile.DTypeName(t.Type), ["shape"] = t.Shape, ["data_offsets"] = new[] { offset, offset + expected } };
            offset += expected;
        }
        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        int padded = (json.Length + 7) / 8 * 8;
        string full = Path.GetFullPath(path);
        string temp = Path.Combine(Path.GetDirectoryName(full)!, "." + Path.GetFileName(full) + $".{Environment.ProcessId}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                stream.Write(BitConverter.GetBytes((ulong)padded));
                stream.Write(json);
                for (int i = json.Length; i < padded; i++) stream.WriteByte((byte)' ');
                foreach (var t in list)
                {
                    long start = stream.Position;
                    if (t.Data is not null) stream.Write(t.Data);
                    else t.Produce!(stream);
                    if (stream.Position - start != t.ByteLength)
                        throw new ArgumentException($"{path}: tensor '{t.Name}': its producer wrote {stream.Position - start} bytes, expected {t.ByteLength}.");
                    progress?.Invoke(stream.Position - padded - 8, offset);
                }
                stream.Flush(true);
            }
            File.Move(temp, full, overwrite: true);
        }
        finally { if (File.Exists(temp)) File.Delete(temp); }
    }
}
