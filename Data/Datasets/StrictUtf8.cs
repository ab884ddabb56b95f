using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace SteerMoE.Research.Data.Datasets;

/// <summary>
/// Decodes a text file as UTF-8, refusing invalid bytes (a silent U+FFFD would change the prompts) and naming the
/// byte offset of the first one. A leading byte-order mark is dropped.
/// </summary>
public static class StrictUtf8
{
    /// <summary>The file's text; throws naming the file and the offset of the first invalid byte.</summary>
    public static string ReadFile(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        int start = bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0;
        var span = bytes.AsSpan(start);
        if (!Utf8.IsValid(span))
            throw new FormatException($"{path}: not valid UTF-8: invalid byte 0x{bytes[start + FirstInvalid(span)]:X2} at byte offset {start + FirstInvalid(span)}.");
        return Encoding.UTF8.GetString(span);
    }

    private static int FirstInvalid(ReadOnlySpan<byte> span)
    {
        int offset = 0;
        while (offset < span.Length)
        {
            if (Rune.DecodeFromUtf8(span[offset..], out _, out int consumed) != OperationStatus.Done) return offset;
            offset += consumed;
        }
        return span.Length;
    }
}
