using SteerMoE.Research.Inference.Text;

namespace SteerMoE.Research.Inference.Tests.Text;

/// <summary>Small tokenizers written here (the embedded model's kinds), offsets, and bad input.</summary>
public sealed class TokenizerTests
{
    // A WordLevel tokenizer as a small model ships it: lowercase, whitespace split, a chat marker as added token.
    private const string WordLevelJson = """
    {
      "version": "1.0",
      "added_tokens": [
        {"id": 0, "content": "<unk>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
        {"id": 1, "content": "<|user|>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
        {"id": 2, "content": "<|end|>", "single_word": false, "lstrip": false, "rstrip": true, "normalized": false, "special": true}
      ],
      "normalizer": {"type": "Lowercase"},
      "pre_tokenizer": {"type": "Whitespace"},
      "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<|user|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
        "pair": [], "special_tokens": {"<|user|>": {"id": "<|user|>", "ids": [1], "tokens": ["<|user|>"]}}},
      "decoder": null,
      "model": {"type": "WordLevel", "vocab": {"<unk>": 0, "<|user|>": 1, "<|end|>": 2, "hello": 3, "world": 4, "!": 5, "the": 6}, "unk_token": "<unk>"}
    }
    """;

    [Fact]
    public void WordLevelEncodesWordsPunctuationAndUnknowns()
    {
        var t = Tokenizer.FromJson(WordLevelJson);
        var e = t.Encode("Hello World! the zebra");
        Assert.Equal([3, 4, 5, 6, 0], e.Ids);
        Assert.Equal([(0, 5), (6, 11), (11, 12), (13, 16), (17, 22)], e.Offsets);
        // Added tokens are found in the text; rstrip swallows the whitespace after <|end|>.
        var s = t.Encode("<|user|>hello<|end|>   world", addSpecialTokens: true);
        Assert.Equal([1, 1, 3, 2, 4], s.Ids);
        Assert.Equal((13, 23), s.Offsets[3]);
        Assert.Equal("<|user|> <|user|> hello <|end|> world", t.Decode(s.Ids));
        Assert.Equal("hello world", t.Decode(s.Ids, skipSpecialTokens: true));
    }

    [Fact]
    public void AnIdOutsideTheVocabularyIsNamedWithoutDotNetParameterText()
    {
        var t = Tokenizer.FromJson(WordLevelJson, "tok.json");
        var e = Assert.Throws<ArgumentException>(() => t.Decode([3, 99999]));
        // Before, the message ended in " (Parameter 'ids')", which the CLI printed to users.
        Assert.StartsWith("tok.json: token id 99999 is not in the vocabulary (0..", e.Message);
        Assert.EndsWith(").", e.Message);
    }

    // A byte-level BPE over a tiny vocabulary; the merges in the string form and in the pair form.
    private static string ByteLevelBpe(string merges) => $$"""
    {
      "added_tokens": [{"id": 9, "content": "<|eot|>", "special": true, "lstrip": false, "rstrip": false, "normalized": false, "single_word": false}],
      "normalizer": null,
      "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
      "post_processor": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": true},
      "decoder": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
      "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null, "end_of_word_suffix": null,
        "fuse_unk": false, "byte_fallback": false,
        "vocab": {"a": 0, "b": 1, "Ġ": 2, "ab": 3, "Ġab": 4, "c": 5, "abc": 6, "Ã": 7, "©": 8},
        "merges": {{merges}}}
    }
    """;

    [Fact]
    public void BytePairMergesInStringAndPairFormAgree()
    {
        var text = "ab abc ccé<|eot|>";
        var fromStrings = Tokenizer.FromJson(ByteLevelBpe("""["a b", "Ġ ab", "ab c"]"""));
        var fromPairs = Tokenizer.FromJson(ByteLevelBpe("""[["a", "b"], ["Ġ", "ab"], ["ab", "c"]]"""));
        var e = fromStrings.Encode(text);
        // "ab" -> ab; " abc" -> Ġab c (Ġ+ab ranks before ab+c); " ccé" -> Ġ c c Ã ©; then the added token.
        Assert.Equal([3, 4, 5, 2, 5, 5, 7, 8, 9], e.Ids);
        Assert.Equal(e.Ids, fromPairs.Encode(text).Ids);
        // é is two bytes: both byte tokens carry the code point's span (9, 10).
        Assert.Equal((9, 10), e.Offsets[6]);
        Assert.Equal((9, 10), e.Offsets[7]);
        Assert.Equal(text, fromStrings.Decode(e.Ids));
    }

    [Fact]
    public void MetaspaceSentencePieceStyleWithByteFallback()
    {
        var vocab = string.Join(", ", Enumerable.Range(0, 256).Select(b => $"\"<0x{b:X2}>\": {b + 3}"));
        string json = $$$$"""
        {
          "added_tokens": [{"id": 1, "content": "<s>", "special": true, "lstrip": false, "rstrip": false, "normalized": false, "single_word": false}],
          "normalizer": null,
          "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": false},
          "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [], "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
          "decoder": {"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "▁"}, "content": " "}, {"type": "ByteFallback"}, {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
          "model": {"type": "BPE", "unk_token": "<unk>", "byte_fallback": true, "fuse_unk": true,
            "vocab": {"<unk>": 0, "<s>": 1, "</s>": 2, {{{{vocab}}}}, "▁": 259, "h": 260, "i": 261, "▁h": 262, "▁hi": 263},
            "merges": ["▁ h", "▁h i"]}
        }
        """;
        var t = Tokenizer.FromJson(json);
        var e = t.Encode("hi hé", addSpecialTokens: true);
        // <s>, ▁hi, ▁h, then é by byte fallback: C3 A9.
        Assert.Equal([1, 263, 262, 0xC3 + 3, 0xA9 + 3], e.Ids);
        Assert.Equal((0, 2), e.Offsets[1]);
        Assert.Equal("hi hé", t.Decode(e.Ids, skipSpecialTokens: true));
    }

    [Fact]
    public void UnsupportedKindsAreNamed()
    {
        var model = Assert.Throws<NotSupportedException>(() => Tokenizer.FromJson("""{"model": {"type": "Unigram", "vocab": []}}""", "my/tokenizer.json"));
        Assert.Contains("my/tokenizer.json", model.Message);
        Assert.Contains("tokenizer.json.model.type", model.Message);
        Assert.Contains("\"Unigram\"", model.Message);

        var pre = Assert.Throws<NotSupportedException>(() => Tokenizer.FromJson(WordLevelJson.Replace("\"Whitespace\"", "\"BertPreTokenizer\"")));
        Assert.Contains("pre_tokenizer.type", pre.Message);
        Assert.Contains("BertPreTokenizer", pre.Message);

        var norm = Assert.Throws<NotSupportedException>(() => Tokenizer.FromJson(WordLevelJson.Replace("{\"type\": \"Lowercase\"}", "{\"type\": \"Precompiled\", \"precompiled_charsmap\": \"\"}")));
        Assert.Contains("normalizer.type", norm.Message);
        Assert.Contains("Precompiled", norm.Message);

        var script = Assert.Throws<NotSupportedException>(() => Tokenizer.FromJson(WordLevelJson.Replace("{\"type\": \"Whitespace\"}", "{\"type\": \"Split\", \"pattern\": {\"Regex\": \"\\\\p{Han}+\"}, \"behavior\": \"Isolated\", \"invert\": false}")));
        Assert.Contains("\\p{Han}", script.Message);

        var merge = Assert.Throws<FormatException>(() => Tokenizer.FromJson(ByteLevelBpe("""["a b", "x y"]""")));
        Assert.Contains("model.merges[1]", merge.Message);

        Assert.Throws<FileNotFoundException>(() => Tokenizer.Load("/nonexistent/folder/tokenizer.json"));
    }

    [Fact]
    public void PossessiveQuantifiersBecomeAtomicGroups()
    {
        var regex = RegexTranslation.Translate(@"\p{L}++|[0-9]*+x", "test");
        Assert.Equal(@"(?>\p{L}+)|(?>[0-9]*)x", regex.ToString());
        Assert.Equal(["abc", "12x"], regex.Matches("abc 12x").Select(m => m.Value));
    }

    [Fact]
    public void SplitOnAstralLettersSeesThemAsLetters()
    {
        // 𝐀 (U+1D400) is a letter outside the BMP: the split pattern must keep "a𝐀b" as one word, and offsets count it once.
        string json = WordLevelJson.Replace("{\"type\": \"Whitespace\"}", "{\"type\": \"Split\", \"pattern\": {\"Regex\": \"\\\\p{L}+\"}, \"behavior\": \"Isolated\", \"invert\": false}")
            .Replace("\"the\": 6", "\"the\": 6, \"a𝐀b\": 7");
        var t = Tokenizer.FromJson(json);
        var e = t.Encode("a𝐀b!");
        Assert.Equal([7, 5], e.Ids);
        Assert.Equal([(0, 3), (3, 4)], e.Offsets);
    }
}
