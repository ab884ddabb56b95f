using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace SteerMoE.Research.Data.RoutingLogs;

/// <summary>The element types a routing log stores, with their numpy <c>descr</c> strings.</summary>
public enum NpyType
{
    /// <summary>little-endian float32, <c>&lt;f4</c>.</summary>
    Float32,
    /// <summary>little-endian int32, <c>&lt;i4</c>.</summary>
    Int32,
    /// <summary>unsigned byte, <c>|u1</c>.</summary>
    UInt8,
}

/// <summary>
/// The .npy header (format version 1.0): the magic <c>\x93NUMPY</c>, version bytes 1 0, a little-endian u16
/// header length, then a Python dict literal <c>{'descr': '&lt;f4', 'fortran_order': False, 'shape': (N, L, E), }</c>
/// padded with spaces and ended by a newline so that the data starts at a multiple of 64 bytes. Data follow in C
/// order. Streaming writers reserve a fixed header size and rewrite the shape once the row count is known.
/// </summary>
public static class NpyFormat
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>The header size a streaming writer reserves (a multiple of 64; room for any realistic shape).</summary>
    public const int StreamingHeaderSize = 256;

    /// <summary>numpy's descr string of a type.</summary>
    public static string Descr(NpyType type) => type switch
    {
        NpyType.Float32 => "<f4",
        NpyType.Int32 => "<i4",
        NpyType.UInt8 => "|u1",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    /// <summary>Bytes per element.</summary>
    public static int ElementSize(NpyType type) => type switch { NpyType.Float32 or NpyType.Int32 => 4, _ => 1 };

    /// <summary>
    /// The header bytes for <paramref name="shape"/>, padded to <paramref name="totalSize"/> bytes when given (it must
    /// be a multiple of 64 and large enough), else to the next multiple of 64.
    /// </summary>
    public static byte[] Header(NpyType type, IReadOnlyList<long> shape, int? totalSize = null)
    {
        string dims = shape.Count == 1 ? $"{shape[0]}," : string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture)));
        string dict = $"{{'descr': '{Descr(type)}', 'fortran_order': False, 'shape': ({dims}), }}";
        int minimal = Magic.Length + 4 + dict.Length + 1;
        int total = totalSize ?? (minimal + 63) / 64 * 64;
        if (total % 64 != 0 || total < minimal || total - 10 > ushort.MaxValue)
            throw new ArgumentException($".npy header: {total} bytes cannot hold the shape ({dims}) at a 64-byte boundary.");
        var bytes = new byte[total];
        Magic.CopyTo(bytes, 0);
        bytes[6] = 1; bytes[7] = 0;
        int headerLength = total - 10;
        bytes[8] = (byte)(headerLength & 0xFF); bytes[9] = (byte)(headerLength >> 8);
        var text = Encoding.ASCII.GetBytes(dict.PadRight(headerLength - 1) + "\n");
        text.CopyTo(bytes, 10);
        return bytes;
    }

    /// <summary>Reads and validates the header of a .npy file (version 1.0 or 2.0, C order, one of <see cref="NpyType"/>).</summary>
    public static NpyHeader ReadHeader(Stream stream, string source)
    {
        var prefix = new byte[12];
        long available = stream.CanSeek ? stream.Length - stream.Position : long.MaxValue;
        if (available < 10) throw new InvalidDataException($"{source}: not a .npy file ({available} bytes; the header alone takes at least 10).");
        stream.ReadExactly(prefix, 0, 10);
        if (!prefix.AsSpan(0, 6).SequenceEqual(Magic)) throw new InvalidDataException($"{source}: not a .npy file (magic \\x93NUMPY missing).");
        int major = prefix[6];
        int headerLength, offset;
        if (major == 1) { headerLength = prefix[8] | prefix[9] << 8; offset = 10; }
        else if (major is 2 or 3)
        {
            if (available < 12) throw new InvalidDataException($"{source}: .npy file truncated inside its header.");
            stream.ReadExactly(prefix, 10, 2);
            headerLength = BitConverter.ToInt32(prefix, 8); offset = 12;
        }
        else throw new InvalidDataException($"{source}: .npy version {major}.{prefix[7]} is not supported (1.0, 2.0, 3.0).");
        if (headerLength < 0 || headerLength > available - offset)
            throw new InvalidDataException($"{source}: .npy header length {(uint)headerLength} is past the end of the file ({available} bytes).");
        var text = new byte[headerLength];
        stream.ReadExactly(text);
        string dict = Encoding.ASCII.GetString(text);
        var descr = Regex.Match(dict, @"'descr'\s*:\s*'([^']*)'");
        var fortran = Regex.Match(dict, @"'fortran_order'\s*:\s*(True|False)");
        var shape = Regex.Match(dict, @"'shape'\s*:\s*\(([^)]*)\)");
        if (!descr.Success || !fortran.Success || !shape.Success) throw new InvalidDataException($"{source}: .npy header: expected 'descr', 'fortran_order' and 'shape', got {dict.Trim()}.");
        // As numpy's reader: the dict holds exactly those three keys.
        if (Regex.Matches(dict, @"'([^']*)'\s*:").Select(m => m.Groups[1].Value).FirstOrDefault(k => k is not ("descr" or "fortran_order" or "shape")) is { } extra)
            throw new InvalidDataException($"{source}: .npy header: unknown key '{extra}'; expected only 'descr', 'fortran_order' and 'shape'.");
        if (fortran.Groups[1].Value == "True") throw new InvalidDataException($"{source}: .npy header: fortran_order True is not supported (C order expected).");
        NpyType type = descr.Groups[1].Value switch
        {
            "<f4" => NpyType.Float32,
            "<i4" => NpyType.Int32,
            "|u1" or "<u1" => NpyType.UInt8,
            var d => throw new InvalidDataException($"{source}: .npy header: descr '{d}' is not supported (<f4, <i4, |u1)."),
        };
        var dims = shape.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(d => long.TryParse(d, NumberStyles.None, CultureInfo.InvariantCulture, out long v) ? v
                : throw new InvalidDataException($"{source}: .npy header: shape entry '{d}' is not a non-negative integer.")).ToArray();
        return new NpyHeader(type, dims, offset + headerLength);
    }
}

/// <summary>A parsed .npy header.</summary>
/// <param name="Type">Element type.</param>
/// <param name="Shape">Dimensions.</param>
/// <param name="DataOffset">Where the data start in the file.</param>
public sealed record NpyHeader(NpyType Type, long[] Shape, int DataOffset)
{
    /// <summary>The number of elements.</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);
}
