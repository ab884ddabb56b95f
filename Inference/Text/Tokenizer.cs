using System.Text;
using System.Text.Json;
using SteerMoE.Research.Inference.Files;

namespace SteerMoE.Research.Inference.Text;

/// <summary>The token ids of one text, with each token's string and its span in the text.</summary>
/// <param name="Ids">Token ids, in order.</param>
/// <param name="Tokens">Each token's vocabulary string.</param>
/// <param name="Offsets">Each token's [Start, End) in the input, in Unicode code points (Python's string indices); (0, 0) for tokens added by the post-processor.</param>
/// <param name="IsSpecial">Whether each token is a special token (added token marked special, or added by the post-processor).</param>
public sealed record TokenEncoding(int[] Ids, string[] Tokens, (int Start, int End)[] Offsets, bool[] IsSpecial)
{
    /// <summary>The number of tokens.</summary>
    public int Count => Ids.Length;
}

/// <summary>
/// A Hugging Face <c>tokenizer.json</c> tokenizer: added tokens, normalizer, pre-tokenizer, BPE or WordLevel
/// model, post-processor and decoder, as the <c>tokenizers</c> library runs them. Thread-safe after loading.
/// </summary>
public sealed class Tokenizer
{
    private readonly Normalizer? _normalizer;
    private readonly PreTokenizer? _preTokenizer;
    private readonly TokenModel _model;
    private readonly PostProcessor? _postProcessor;
    private readonly Decoder? _decoder;
    private readonly AddedTokenMatcher _matcher;
    private readonly Dictionary<int, AddedToken> _addedById = new();
    private readonly string[] _idToToken;
    private readonly bool _byteLevel;

    /// <summary>The file the tokenizer was read from.</summary>
    public string Source { get; }

    /// <summary>The added tokens of tokenizer.json.</summary>
    public IReadOnlyList<AddedToken> AddedTokens { get; }

    /// <summary>The model's kind as tokenizer.json names it (BPE, WordLevel).</summary>
    public string ModelType { get; }

    /// <summary>The number of ids (vocabulary plus added tokens; the largest id + 1).</summary>
    public int VocabularySize => _idToToken.Length;

    private Tokenizer(JsonElement root, string source)
    {
        Source = source;
        var json = new TokenizerJson(root, source, "tokenizer.json");
        if (root.ValueKind != JsonValueKind.Object) throw json.Error("a JSON object");
        var modelJson = json.Child("model");
        if (modelJson.IsNull) throw modelJson.Error("the model object");
        _model = TokenModel.Parse(modelJson);
        ModelType = modelJson.Child("type").IsNull ? _model.GetType().Name.Replace("Model", "") : modelJson.Type;
        _normalizer = Normalizer.Parse(json.Child("normalizer"));
        _preTokenizer = PreTokenizer.Parse(json.Child("pre_tokenizer"));
        _postProcessor = PostProcessor.Parse(json.Child("post_processor"));
        _decoder = Decoder.Parse(json.Child("decoder"));
        _byteLevel = _preTokenizer?.IsByteLevel ?? false;

        var added = new List<AddedToken>();
        var addedJson = json.Child("added_tokens");
        if (!addedJson.IsNull)
            foreach (var t in addedJson.Items())
                added.Add(new AddedToken(t.Child("id").TokenId(), t.Child("content").String(), t.Bool("special", false), t.Bool("lstrip", false),
                    t.Bool("rstrip", false), t.Bool("single_word", false), t.Bool("normalized", true)));
        AddedTokens = added;
        foreach (var t in added) _addedById[t.Id] = t;
        _matcher = new AddedTokenMatcher(added);

        int size = Math.Max(_model.Vocabulary.Count == 0 ? 0 : _model.Vocabulary.Values.Max() + 1, added.Count == 0 ? 0 : added.Max(t => t.Id) + 1);
        _idToToken = new string[size];
        foreach (var (token, id) in _model.Vocabulary) _idToToken[id] = token;
        foreach (var t in added) { _idToToken[t.Id] = t.Content; _model.Vocabulary.TryAdd(t.Content, t.Id); }
    }

    /// <summary>Loads <c>tokenizer.json</c> from a file, or from a model folder holding one.</summary>
    public static Tokenizer Load(string path)
    {
        string file = Directory.Exists(path) ? Path.Combine(path, "tokenizer.json") : path;
        if (!File.Exists(file))
            throw new FileNotFoundException(Directory.Exists(path) ? $"{path}: no tokenizer.json in this folder." : $"{path}: file not found (expected a tokenizer.json or a model folder).", file);
        using var doc = StrictJson.ParseFile(file);
        return new Tokenizer(doc.RootElement, file);
    }

    /// <summary>Builds a tokenizer from the text of a tokenizer.json; <paramref name="source"/> names it in errors.</summary>
    public static Tokenizer FromJson(string json, string source = "tokenizer.json")
    {
        using var doc = StrictJson.Parse(json, source);
        return new Tokenizer(doc.RootElement, source);
    }

    /// <summary>The id of a vocabulary or added token, or null.</summary>
    public int? TokenToId(string token) => _model.Vocabulary.TryGetValue(token, out int id) ? id : null;

    /// <summary>The string of token <paramref name="id"/>, or null when the id is unused.</summary>
    public string? IdToToken(int id) => id >= 0 && id < _idToToken.Length ? _idToToken[id] : null;

    /// <summary>
    /// Encodes <paramref name="text"/> exactly as given. Added and special token strings inside the text are
    /// recognised; the post-processor's special tokens (e.g. a BOS) are added only when <paramref name="addSpecialTokens"/>.
    /// </summary>
    public TokenEncoding Encode(string text, bool addSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>();
        var tokens = new List<string>();
        var offsets = new List<(int, int)>();
        var special = new List<bool>();
        List<(int, string)>? after = null;
        if (addSpecialTokens && _postProcessor != null)
        {
            var (before, afterTokens) = _postProcessor.SingleTemplate();
            foreach (var (id, tok) in before) { ids.Add(id); tokens.Add(tok); offsets.Add((0, 0)); special.Add(true); }
            after = afterTokens;
        }

        var cps = CodePointText.FromString(text);
        string shadow = CodePointText.Shadow(cps);
        int pos = 0;
        foreach (var (s, e, token) in _matcher.Find(shadow))
        {
            if (s > pos) EncodeSegment(cps, pos, s, ids, tokens, offsets, special);
            ids.Add(token.Id); tokens.Add(token.Content); offsets.Add((s, e)); special.Add(token.Special);
            pos = e;
        }
        if (pos < cps.Length) EncodeSegment(cps, pos, cps.Length, ids, tokens, offsets, special);

        if (after != null)
            foreach (var (id, tok) in after) { ids.Add(id); tokens.Add(tok); offsets.Add((0, 0)); special.Add(true); }
        return new TokenEncoding(ids.ToArray(), tokens.ToArray(), offsets.ToArray(), special.ToArray());
    }

    /// <summary>Encodes several texts in parallel (same results as one by one).</summary>
    public TokenEncoding[] EncodeBatch(IReadOnlyList<string> texts, bool addSpecialTokens = false)
    {
        var result = new TokenEncoding[texts.Count];
        Parallel.For(0, texts.Count, i => result[i] = Encode(texts[i], addSpecialTokens));
        return result;
    }

    private void EncodeSegment(int[] cps, int start, int end, List<int> ids, List<string> tokens, List<(int, int)> offsets, List<bool> special)
    {
        var normalized = NormalizedText.FromOriginal(cps, start, end);
        if (_normalizer != null) normalized = _normalizer.Apply(normalized);
        var pieces = new List<NormalizedText> { normalized };
        if (_preTokenizer != null) pieces = _preTokenizer.Apply(pieces);
        Span<byte> utf8 = stackalloc byte[4];
        foreach (var piece in pieces)
        {
            if (piece.Length == 0) continue;
            int[] units;
            int[]? unitToCodePoint = null; // null: one unit per code point
            string key;
            if (_byteLevel)
            {
                int count = 0;
                foreach (int cp in piece.CodePoints) count += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
                var chars = new char[count];
                units = new int[count];
                unitToCodePoint = new int[count];
                int u = 0;
                for (int i = 0; i < piece.Length; i++)
                {
                    int n = new Rune(piece.CodePoints[i]).EncodeToUtf8(utf8);
                    for (int k = 0; k < n; k++, u++)
                    {
                        chars[u] = ByteLevelAlphabet.ByteToChar[utf8[k]];
                        units[u] = chars[u];
                        unitToCodePoint[u] = i;
                    }
                }
                key = new string(chars);
            }
            else
            {
                units = piece.CodePoints;
                key = piece.ToString();
            }
            foreach (var t in _model.Encode(key, units))
            {
                ids.Add(t.Id);
                tokens.Add(_idToToken[t.Id]);
                int first = unitToCodePoint?[t.Start] ?? t.Start, last = unitToCodePoint?[t.End - 1] ?? t.End - 1;
                offsets.Add(piece.OriginalSpan(first, last + 1));
                special.Add(false);
            }
        }
    }

    /// <summary>Turns ids back into text through the decoder; special tokens are dropped when <paramref name="skipSpecialTokens"/>.</summary>
    public string Decode(IReadOnlyList<int> ids, bool skipSpecialTokens = false)
    {
        var tokens = new List<string>(ids.Count);
        foreach (int id in ids)
        {
            if (id < 0 || id >= _idToToken.Length || _idToToken[id] == null)
                throw new ArgumentException($"{Source}: token id {id} is not in the vocabulary (0..{_idToToken.Length - 1}).");
            if (skipSpecialTokens && _addedById.TryGetValue(id, out var a) && a.Special) continue;
            tokens.Add(_idToToken[id]);
        }
        if (_decoder == null) return string.Join(" ", tokens);
        return string.Concat(_decoder.DecodeChain(tokens));
    }

    /// <summary>
    /// The tokens [First, End) whose offsets overlap the code point span [<paramref name="start"/>, <paramref name="end"/>)
    /// of the encoded text; an empty range at the insertion point when none overlaps.
    /// </summary>
    public static (int First, int End) TokenSpan(TokenEncoding encoding, int start, int end)
    {
        int first = -1, last = -1;
        for (int i = 0; i < encoding.Count; i++)
        {
            var (s, e) = encoding.Offsets[i];
            if (e <= s) continue;
            if (s < end && e > start) { if (first < 0) first = i; last = i; }
        }
        if (first >= 0) return (first, last + 1);
        int at = 0;
        while (at < encoding.Count && encoding.Offsets[at].End <= start) at++;
        return (at, at);
    }

    /// <summary>
    /// Encodes <paramref name="text"/> and locates the <paramref name="occurrence"/>-th occurrence (0-based; -1 = the
    /// last) of <paramref name="target"/> in it: the token range covering it and its code point span.
    /// </summary>
    public (TokenEncoding Encoding, int First, int End, int CodePointStart, int CodePointEnd) Locate(string text, string target, int occurrence = -1, bool addSpecialTokens = false)
    {
        var found = new List<int>();
        for (int i = text.IndexOf(target, StringComparison.Ordinal); i >= 0 && target.Length > 0; i = text.IndexOf(target, i + 1, StringComparison.Ordinal)) found.Add(i);
        if (found.Count == 0) throw new ArgumentException($"the target string \"{Shorten(target)}\" does not occur in the text.");
        int index = occurrence < 0 ? found.Count + occurrence : occurrence;
        if (index < 0 || index >= found.Count) throw new ArgumentException($"occurrence {occurrence} of the target: it occurs {found.Count} times.");
        int startUnits = found[index];
        int cpStart = CodePointText.FromString(text[..startUnits]).Length;
        int cpEnd = cpStart + CodePointText.FromString(target).Length;
        var encoding = Encode(text, addSpecialTokens);
        var (first, end) = TokenSpan(encoding, cpStart, cpEnd);
        return (encoding, first, end, cpStart, cpEnd);
    }

    private static string Shorten(string s) => s.Length > 40 ? s[..40] + "…" : s;
}
