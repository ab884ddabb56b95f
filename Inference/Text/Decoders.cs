using System.Text;

namespace SteerMoE.Research.Inference.Text;

/// <summary>A tokenizer.json decoder: turns token strings back into text, step by step over the token list.</summary>
internal abstract class Decoder
{
    public abstract List<string> DecodeChain(List<string> tokens);

    public static Decoder? Parse(TokenizerJson json)
    {
        if (json.IsNull) return null;
        string type = json.Type;
        return type switch
        {
            "Sequence" => new SequenceDecoder(json.Child("decoders").Items().Select(Parse).OfType<Decoder>().ToArray()),
            "ByteLevel" => new ByteLevelDecoder(),
            "Metaspace" => ParseMetaspace(json),
            "ByteFallback" => new ByteFallbackDecoder(),
            "Fuse" => new FuseDecoder(),
            "Strip" => new StripDecoder(json.Child("content").String(), json.Int("start"), json.Int("stop")),
            "Replace" => new ReplaceDecoder(Pattern.Parse(json.Child("pattern")), json.Child("content").String()),
            _ => throw json.Child("type").Unsupported($"the decoder \"{type}\" (supported: Sequence, ByteLevel, Metaspace, ByteFallback, Fuse, Strip, Replace)"),
        };
    }

    private static Decoder ParseMetaspace(TokenizerJson json)
    {
        string replacement = json.Child("replacement").IsNull ? "\u2581" : json.Child("replacement").String();
        string scheme = json.StringOrNull("prepend_scheme") ?? (json.Bool("add_prefix_space", true) ? "always" : "never");
        return new MetaspaceDecoder(replacement, scheme != "never");
    }
}

internal sealed class SequenceDecoder(Decoder[] parts) : Decoder
{
    public override List<string> DecodeChain(List<string> tokens)
    {
        foreach (var p in parts) tokens = p.DecodeChain(tokens);
        return tokens;
    }
}

internal sealed class ByteLevelDecoder : Decoder
{
    public override List<string> DecodeChain(List<string> tokens)
    {
        var bytes = new List<byte>();
        var utf8 = new byte[4];
        foreach (var t in tokens)
            foreach (var r in t.EnumerateRunes())
            {
                int b = r.Value < 512 ? ByteLevelAlphabet.CharToByte[r.Value] : -1;
                if (b >= 0) bytes.Add((byte)b);
                else { int n = r.EncodeToUtf8(utf8); for (int k = 0; k < n; k++) bytes.Add(utf8[k]); }
            }
        return [Utf8.Lossy(bytes.ToArray())];
    }
}

internal sealed class MetaspaceDecoder(string replacement, bool stripFirstSpace) : Decoder
{
    public override List<string> DecodeChain(List<string> tokens)
    {
        var output = new List<string>(tokens.Count);
        for (int i = 0; i < tokens.Count; i++)
        {
            string t = tokens[i].Replace(replacement, " ");
            if (i == 0 && stripFirstSpace && t.StartsWith(' ')) t = t[1..];
            output.Add(t);
        }
        return output;
    }
}

internal sealed class ByteFallbackDecoder : Decoder
{
    public override List<string> DecodeChain(List<string> tokens)
    {
        var output = new List<string>(tokens.Count);
        var pending = new List<byte>();
        foreach (var t in tokens)
        {
            if (t.Length == 6 && t.StartsWith("<0x") && t[5] == '>' && byte.TryParse(t.AsSpan(3, 2), System.Globalization.NumberStyles.HexNumber, null, out byte b))
            { pending.Add(b); continue; }
            Flush();
            output.Add(t);
        }
        Flush();
        return output;

        void Flush()
        {
            if (pending.Count == 0) return;
            var bytes = pending.ToArray();
            pending.Clear();
            try { output.Add(new UTF8Encoding(false, true).GetString(bytes)); }
            catch (DecoderFallbackException) { for (int i = 0; i < bytes.Length; i++) output.Add("\uFFFD"); }
        }
    }
}

internal sealed class FuseDecoder : Decoder
{
    public override List<string> DecodeChain(List<string> tokens) => [string.Concat(tokens)];
}

internal sealed class StripDecoder(string content, int start, int stop) : Decoder
{
    public override List<string> DecodeChain(List<string> tokens) => tokens.Select(t =>
    {
        int s = 0, e = t.Length;
        for (int k = 0; k < start && s < e && t.AsSpan(s).StartsWith(content); k++) s += content.Length;
        for (int k = 0; k < stop && e - content.Length >= s && t.AsSpan(0, e).EndsWith(content); k++) e -= content.Length;
        return t[s..e];
    }).ToList();
}

internal sealed class ReplaceDecoder(Pattern pattern, string content) : Decoder
{
    public override List<string> DecodeChain(List<string> tokens) => tokens.Select(t => pattern.Replace(t, content)).ToList();
}

/// <summary>UTF-8 decoding that replaces invalid sequences with U+FFFD as Python's errors="replace" does.</summary>
internal static class Utf8
{
    public static string Lossy(byte[] bytes) => Encoding.UTF8.GetString(bytes);
}
