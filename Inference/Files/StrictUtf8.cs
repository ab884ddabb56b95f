using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace SteerMoE.Research.Inference.Files;

/// <summary>
/// Decodes text files as UTF-8, refusing invalid bytes (a silent U+FFFD would change prompts, vocabularies and
/// templates) and naming the byte offset of the first one. A leading byte-order mark is dropped. Every text format the
/// project reads goes through here (docs/RELIABILITY.md, the input policy).
/// </summary>
public static class StrictUtf8
{
    /// <summary>The file's text; throws naming the file and the offset of the first invalid byte.</summary>
    public static string ReadFile(string path) => Decode(ReadBytes(path), path);

    /// <summary>Decodes <paramref name="bytes"/>; <paramref name="source"/> names the input in the error.</summary>
    public static string Decode(ReadOnlySpan<byte> bytes, string source) => Encoding.UTF8.GetString(bytes[Validate(bytes, source)..]);

    /// <summary>The file's bytes, a missing file (or folder) reported as a FileNotFoundException naming it.</summary>
    internal static byte[] ReadBytes(string path)
    {
        try { return File.ReadAllBytes(path); }
        catch (FileNotFoundException) { throw new FileNotFoundException($"{path}: no such file.", path); }
        catch (DirectoryNotFoundException) { throw new FileNotFoundException($"{path}: no such file (its folder does not exist).", path); }
    }

    /// <summary>Checks that <paramref name="bytes"/> are UTF-8; returns where the text starts (3 after a byte-order mark, else 0).</summary>
    internal static int Validate(ReadOnlySpan<byte> bytes, string source)
    {
        int start = bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0;
        var span = bytes[start..];
        if (!Utf8.IsValid(span))
        {
            int bad = start + FirstInvalid(span);
            throw new FormatException($"{source}: not valid UTF-8: invalid byte 0x{bytes[bad]:X2} at byte offset {bad}.");
        }
        return start;
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
