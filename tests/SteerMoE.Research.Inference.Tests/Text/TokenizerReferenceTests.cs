using SteerMoE.Research.Inference.Text;
using Xunit.Abstractions;

namespace SteerMoE.Research.Inference.Tests.Text;

/// <summary>Token-exact agreement with the reference tokenizers (transformers.js over the real tokenizer files).</summary>
public sealed class TokenizerReferenceTests(ITestOutputHelper output)
{
    private static readonly Dictionary<string, Tokenizer> Loaded = new();

    private static Tokenizer Load(string name)
    {
        lock (Loaded)
        {
            if (!Loaded.TryGetValue(name, out var t)) Loaded[name] = t = Tokenizer.Load(ReferenceData.ModelFolder(name));
            return t;
        }
    }

    private void AgreeWithReference(string name)
    {
        var tokenizer = Load(name);
        var expected = ReferenceData.ReadJson(ReferenceData.Expected($"tokens-{name}.json"));
        int cases = 0, idsAgree = 0, specialAgree = 0, decodeAgree = 0;
        var failures = new List<string>();
        foreach (var c in expected.GetProperty("cases").EnumerateArray())
        {
            cases++;
            string text = c.GetProperty("text").GetString()!;
            var ids = c.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var withSpecial = c.GetProperty("ids_with_special_tokens").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var encoding = tokenizer.Encode(text);
            if (encoding.Ids.SequenceEqual(ids)) idsAgree++;
            else failures.Add($"ids of {Show(text)}: expected [{string.Join(",", ids)}], got [{string.Join(",", encoding.Ids)}]");
            if (tokenizer.Encode(text, addSpecialTokens: true).Ids.SequenceEqual(withSpecial)) specialAgree++;
            else failures.Add($"ids with special tokens of {Show(text)}");
            string decoded = tokenizer.Decode(ids);
            if (decoded == c.GetProperty("decoded").GetString()) decodeAgree++;
            else failures.Add($"decode of {Show(text)}: expected {Show(c.GetProperty("decoded").GetString()!)}, got {Show(decoded)}");
        }
        output.WriteLine($"{name}: {cases} texts; ids agree {idsAgree}/{cases}, with special tokens {specialAgree}/{cases}, decode {decodeAgree}/{cases}");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(cases >= 30);
    }

    private static string Show(string s) => System.Text.Json.JsonSerializer.Serialize(s.Length > 80 ? s[..80] : s);

    [TokenizerReferenceFact("qwen3")]
    public void Qwen3MatchesReference() => AgreeWithReference("qwen3");

    [TokenizerReferenceFact("gptoss")]
    public void GptOssMatchesReference() => AgreeWithReference("gptoss");

    [TokenizerReferenceFact("llama2")]
    public void Llama2SentencePieceMatchesReference() => AgreeWithReference("llama2");
}
