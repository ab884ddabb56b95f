using SteerMoE.Research.Inference.Text;

namespace SteerMoE.Research.Inference.Tests.Text;

/// <summary>Offsets on the real tokenizers: they tile the text in code points, and locate a target inside a chat prompt.</summary>
public sealed class OffsetTests
{
    private static IEnumerable<string> Corpus() =>
        System.Text.Json.JsonSerializer.Deserialize<List<string>>(File.ReadAllText(Path.Combine(ReferenceData.Folder, "corpus.json")))!;

    private static void OffsetsTileTheText(string name)
    {
        var tokenizer = Tokenizer.Load(ReferenceData.ModelFolder(name));
        foreach (var text in Corpus())
        {
            var cps = CodePointText.FromString(text);
            var e = tokenizer.Encode(text);
            var rebuilt = new System.Text.StringBuilder();
            int covered = 0;
            for (int i = 0; i < e.Count; i++)
            {
                var (s, end) = e.Offsets[i];
                Assert.True(s <= end && end <= cps.Length, $"{name}: token {i} of {text}: offsets ({s}, {end}) outside the text");
                if (end <= covered) continue; // a token inside the same code point(s) as the previous one (split UTF-8 bytes)
                Assert.True(s <= covered, $"{name}: gap before token {i} ({s}, {end}) in {text}");
                rebuilt.Append(CodePointText.ToUtf16(cps, covered, end));
                covered = end;
            }
            Assert.Equal(text, rebuilt.ToString());
        }
    }

    [TokenizerReferenceFact("qwen3")]
    public void Qwen3OffsetsTileTheText() => OffsetsTileTheText("qwen3");

    [TokenizerReferenceFact("gptoss")]
    public void GptOssOffsetsTileTheText() => OffsetsTileTheText("gptoss");

    [TokenizerReferenceFact("llama2")]
    public void Llama2OffsetsTileTheText() => OffsetsTileTheText("llama2");

    [TokenizerReferenceFact("qwen3")]
    public void LocatesTheQuestionSpanInsideAChatPrompt()
    {
        string folder = ReferenceData.ModelFolder("qwen3");
        var tokenizer = Tokenizer.Load(folder);
        var template = ChatTemplate.Load(folder);
        string prompt = template.Render([new ChatMessage("user", "Document: 東京 is in Japan 🇯🇵. Question: Where is Tokyo?")], addGenerationPrompt: true);
        var (encoding, first, end, start, stop) = tokenizer.Locate(prompt, "Question: Where is Tokyo?");
        // Python: prompt.index("Question") counts the flag emoji as two code points.
        int expectedStart = CodePointText.FromString(prompt[..prompt.IndexOf("Question", StringComparison.Ordinal)]).Length;
        Assert.Equal(expectedStart, start);
        Assert.Equal(start + 25, stop);
        Assert.Equal(" Question: Where is Tokyo?", tokenizer.Decode(encoding.Ids[first..end]));
        Assert.Equal("<|im_end|>", encoding.Tokens[end]);
        Assert.Equal(start - 1, encoding.Offsets[first].Start); // the space before "Question" belongs to its token
    }
}
