using System.Text;
using SteerMoE.Research.Inference.Files;
using SteerMoE.Research.Inference.Models;
using SteerMoE.Research.Inference.Text;
using SteerMoE.Research.Tests;

namespace SteerMoE.Research.Inference.Tests.Files;

/// <summary>The one input policy for text and JSON files: strict UTF-8, standard JSON, readable strings, bounded nesting.</summary>
public sealed class StrictInputTests
{
    [Fact]
    public void InvalidUtf8IsRefusedAtItsByteOffset()
    {
        var e = Assert.Throws<FormatException>(() => StrictUtf8.Decode([(byte)'a', (byte)'b', 0xFF, 0xFE], "x.json"));
        Assert.Equal("x.json: not valid UTF-8: invalid byte 0xFF at byte offset 2.", e.Message);
        Assert.Equal("é", StrictUtf8.Decode([0xEF, 0xBB, 0xBF, 0xC3, 0xA9], "bom.txt")); // the byte-order mark is dropped
        // A truncated sequence at the end is as invalid as a stray byte.
        Assert.Contains("invalid byte 0xC3 at byte offset 1", Assert.Throws<FormatException>(() => StrictUtf8.Decode([(byte)'a', 0xC3], "t")).Message);
    }

    [Fact]
    public void JsonErrorsSayWhereAndWhat()
    {
        var single = Assert.Throws<FormatException>(() => StrictJson.Parse("{\"a\": tru}", "row.jsonl: line 4"));
        Assert.StartsWith("row.jsonl: line 4: not valid JSON at byte ", single.Message);
        Assert.DoesNotContain("LineNumber:", single.Message); // System.Text.Json's own location suffix is replaced by ours
        var multi = Assert.Throws<FormatException>(() => StrictJson.Parse("{\n  \"a\": 1,\n  \"b\": [1, 2,]\n}", "c.json"));
        Assert.StartsWith("c.json: not valid JSON at line 3, byte ", multi.Message);
        Assert.Throws<FormatException>(() => StrictJson.Parse("{\"a\": 1 /* comment */}", "c.json"));
    }

    [Fact]
    public void AnEscapedLoneSurrogateIsRefusedNamingTheField()
    {
        // Parses as JSON, but reading the string threw InvalidOperationException from deep inside every reader.
        var e = Assert.Throws<FormatException>(() => StrictJson.Parse("""{"model": {"vocab": {"a": 0, "b\ud800": 1}}}""", "tokenizer.json"));
        Assert.Equal("tokenizer.json: $.model.vocab: a field name holds an unpaired surrogate escape (such as \\ud800); expected valid Unicode text.", e.Message);
        var value = Assert.Throws<FormatException>(() => StrictJson.Parse("""{"architectures": ["\udc00"]}""", "config.json"));
        Assert.StartsWith("config.json: $.architectures[0]: the string holds an unpaired surrogate", value.Message);
        using var ok = StrictJson.Parse("""{"emoji": "\ud83d\ude00"}""", "ok.json"); // a proper pair is text
        Assert.Equal("😀", ok.RootElement.GetProperty("emoji").GetString());
    }

    [Fact]
    public void NestingIsBounded()
    {
        string deep = new string('[', StrictJson.MaxDepth + 1) + new string(']', StrictJson.MaxDepth + 1);
        Assert.StartsWith("deep.json: not valid JSON at byte ", Assert.Throws<FormatException>(() => StrictJson.Parse(deep, "deep.json")).Message);
        string fine = new string('[', StrictJson.MaxDepth) + new string(']', StrictJson.MaxDepth);
        StrictJson.Parse(fine, "fine.json").Dispose();
    }

    [Fact]
    public void ModelFilesWithInvalidUtf8AreRefusedNotRepaired()
    {
        // Before, config.json and tokenizer.json were decoded with U+FFFD replacing bad bytes, silently.
        string dir = RepoPaths.TempDir("strict-utf8-model");
        string config = File.ReadAllText(Path.Combine(RepoPaths.Root, "models", "default", "config.json"));
        byte[] bytes = Encoding.UTF8.GetBytes(config.Replace("\"architectures\"", "\"architectures\u00e9\""));
        int at = Array.IndexOf(bytes, (byte)0xC3);
        bytes[at + 1] = 0x28; // é's second byte replaced by '(': an invalid sequence
        File.WriteAllBytes(Path.Combine(dir, "config.json"), bytes);
        var e = Assert.Throws<FormatException>(() => ModelConfig.Load(dir));
        Assert.Equal($"{Path.Combine(dir, "config.json")}: not valid UTF-8: invalid byte 0xC3 at byte offset {at}.", e.Message);

        string tokenizer = Path.Combine(dir, "tokenizer.json");
        File.WriteAllBytes(tokenizer, [.. Encoding.UTF8.GetBytes("{\"model\": {\"type\": \"WordLevel\", \"vocab\": {\"a"), 0xFF, .. Encoding.UTF8.GetBytes("\": 0}}}")]);
        Assert.Contains("not valid UTF-8: invalid byte 0xFF at byte offset 44", Assert.Throws<FormatException>(() => Tokenizer.Load(tokenizer)).Message);
    }
}
