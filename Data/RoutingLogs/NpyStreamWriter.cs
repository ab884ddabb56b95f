using System.Runtime.InteropServices;

namespace SteerMoE.Research.Data.RoutingLogs;

/// <summary>
/// Appends rows of a fixed trailing shape to a .npy file whose first dimension grows: the header is reserved
/// at <see cref="NpyFormat.StreamingHeaderSize"/> bytes and rewritten with the row count after every flush, so the
/// file on disk is always a valid .npy of the rows flushed so far. Reopening truncates to a given row count
/// (resuming after an interruption).
/// </summary>
public sealed class NpyStreamWriter : IDisposable
{
    private readonly FileStream _stream;
    private readonly long[] _rowShape;
    private readonly long _rowBytes;

    private NpyStreamWriter(string path, NpyType type, long[] rowShape, FileStream stream, long rows)
    {
        Path = path; Type = type; _rowShape = rowShape; _stream = stream; Rows = rows;
        _rowBytes = rowShape.Aggregate(1L, (a, b) => a * b) * NpyFormat.ElementSize(type);
    }

    /// <summary>The file.</summary>
    public string Path { get; }
    /// <summary>Element type.</summary>
    public NpyType Type { get; }
    /// <summary>Rows written so far.</summary>
    public long Rows { get; private set; }

    /// <summary>
    /// Creates the file (empty, 0 rows) or, with <paramref name="keepRows"/>, reopens one written by this class and
    /// truncates it to that many rows (an error when it holds fewer or its type or row shape differ).
    /// </summary>
    public static NpyStreamWriter Open(string path, NpyType type, IReadOnlyList<long> rowShape, long? keepRows = null)
    {
        var shape = rowShape.ToArray();
        if (keepRows is null)
        {
            var created = new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.Read);
            var w = new NpyStreamWriter(path, type, shape, created, 0);
            w.WriteHeader();
            return w;
        }
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: the routing log to resume is missing.", path);
        var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
        try
        {
            var header = NpyFormat.ReadHeader(stream, path);
            if (header.Type != type || !header.Shape.Skip(1).SequenceEqual(shape) || header.DataOffset != NpyFormat.StreamingHeaderSize)
                throw new InvalidDataException($"{path}: holds {NpyFormat.Descr(header.Type)} ({string.Join(", ", header.Shape)}); expected {NpyFormat.Descr(type)} (rows, {string.Join(", ", shape)}) from a streaming writer.");
            var w = new NpyStreamWriter(path, type, shape, stream, 0);
            long available = (stream.Length - header.DataOffset) / w._rowBytes;
            if (available < keepRows) throw new InvalidDataException($"{path}: holds {available} complete rows, the checkpoint expects {keepRows}.");
            w.Rows = keepRows.Value;
            stream.SetLength(header.DataOffset + keepRows.Value * w._rowBytes);
            stream.Position = stream.Length;
            w.WriteHeader();
            return w;
        }
        catch { stream.Dispose(); throw; }
    }

    /// <summary>Appends whole rows (their length must be a multiple of the row size).</summary>
    public void Append<T>(ReadOnlySpan<T> values) where T : unmanaged
    {
        var bytes = MemoryMarshal.AsBytes(values);
        if (bytes.Length % _rowBytes != 0) throw new ArgumentException($"{Path}: {bytes.Length} bytes is not a whole number of {_rowBytes}-byte rows.");
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException(".npy writer: big-endian hosts are not supported.");
        _stream.Write(bytes);
        Rows += bytes.Length / _rowBytes;
    }

    /// <summary>
    /// Appends every row of another .npy file of the same element type and row shape (streamed, in 1 MiB blocks), as
    /// when the files of detection shards are concatenated; an error names the file when its type or shape differs.
    /// </summary>
    public void AppendFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such .npy file.", path);
        using var source = File.OpenRead(path);
        var header = NpyFormat.ReadHeader(source, path);
        if (header.Type != Type || !header.Shape.Skip(1).SequenceEqual(_rowShape))
            throw new InvalidDataException($"{path}: holds {NpyFormat.Descr(header.Type)} ({string.Join(", ", header.Shape)}); expected {NpyFormat.Descr(Type)} (rows, {string.Join(", ", _rowShape)}) to append to {Path}.");
        long bytes = header.Shape[0] * _rowBytes;
        if (source.Length - header.DataOffset < bytes)
            throw new InvalidDataException($"{path}: shape ({string.Join(", ", header.Shape)}) needs {bytes} data bytes, the file has {source.Length - header.DataOffset}.");
        source.Position = header.DataOffset;
        var buffer = new byte[1 << 20];
        for (long left = bytes; left > 0;)
        {
            int n = source.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
            if (n == 0) throw new EndOfStreamException($"{path}: ended before its {header.Shape[0]} rows.");
            _stream.Write(buffer, 0, n);
            left -= n;
        }
        Rows += header.Shape[0];
    }

    /// <summary>Rewrites the header with the current row count and flushes to disk.</summary>
    public void Flush()
    {
        WriteHeader();
        _stream.Flush(flushToDisk: true);
    }

    private void WriteHeader()
    {
        long end = _stream.Position;
        _stream.Position = 0;
        _stream.Write(NpyFormat.Header(Type, [Rows, .. _rowShape], NpyFormat.StreamingHeaderSize));
        _stream.Position = Math.Max(end, NpyFormat.StreamingHeaderSize);
    }

    /// <summary>Flushes and closes the file.</summary>
    public void Dispose()
    {
        Flush();
        _stream.Dispose();
    }
}

/// <summary>A whole .npy array read into memory (tests, small logs).</summary>
/// <param name="Type">Element type.</param>
/// <param name="Shape">Dimensions.</param>
/// <param name="Data">Raw little-endian bytes, C order.</param>
public sealed record NpyArray(NpyType Type, long[] Shape, byte[] Data)
{
    /// <summary>Reads a .npy file; errors name the file.</summary>
    public static NpyArray Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such .npy file.", path);
        using var stream = File.OpenRead(path);
        var header = NpyFormat.ReadHeader(stream, path);
        long bytes = header.ElementCount * NpyFormat.ElementSize(header.Type);
        if (stream.Length - header.DataOffset != bytes)
            throw new InvalidDataException($"{path}: shape ({string.Join(", ", header.Shape)}) needs {bytes} data bytes, the file has {stream.Length - header.DataOffset}.");
        var data = new byte[bytes];
        stream.ReadExactly(data);
        return new NpyArray(header.Type, header.Shape, data);
    }

    /// <summary>The elements as float32 (type must be Float32).</summary>
    public float[] Floats() => Type == NpyType.Float32 ? MemoryMarshal.Cast<byte, float>(Data).ToArray() : throw new InvalidOperationException($"array is {Type}, not Float32.");
    /// <summary>The elements as int32 (type must be Int32).</summary>
    public int[] Ints() => Type == NpyType.Int32 ? MemoryMarshal.Cast<byte, int>(Data).ToArray() : throw new InvalidOperationException($"array is {Type}, not Int32.");
}
