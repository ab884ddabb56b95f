using System.Collections.Concurrent;
using System.Text;

namespace SteerMoE.Research.Inference.Text;

/// <summary>One token of a model's output over a piece: the id and its [Start, End) in the piece's units.</summary>
internal readonly record struct PieceToken(int Id, int Start, int End);

/// <summary>A tokenizer.json model (BPE or WordLevel): vocabulary and the encoding of one pre-tokenized piece.</summary>
internal abstract class TokenModel
{
    public Dictionary<string, int> Vocabulary { get; } = new(StringComparer.Ordinal);

    /// <summary>Encodes a piece given as units (byte-level characters or code points, one string each).</summary>
    public abstract PieceToken[] Encode(string piece, int[] units);

    public static TokenModel Parse(TokenizerJson json)
    {
        string type = json.Child("type").IsNull ? InferType(json) : json.Type;
        return type switch
        {
            "BPE" => BpeModel.Parse(json),
            "WordLevel" => WordLevelModel.Parse(json),
            _ => throw json.Child("type").Unsupported($"the model \"{type}\" (supported: BPE, WordLevel)"),
        };
    }

    private static string InferType(TokenizerJson json) => !json.Child("merges").IsNull ? "BPE" : "WordLevel";

    protected void ReadVocabulary(TokenizerJson json)
    {
        var vocab = json.Child("vocab");
        if (vocab.Element.ValueKind != System.Text.Json.JsonValueKind.Object) throw vocab.Error("an object mapping tokens to ids");
        foreach (var (token, id) in vocab.Entries()) Vocabulary[token] = id.TokenId();
    }
}

/// <summary>Byte-pair encoding with merge ranks; each piece is merged with a heap (no quadratic rescans) and cached.</summary>
internal sealed class BpeModel : TokenModel
{
    private readonly Dictionary<long, (int Rank, int Id)> _merges = new();
    private readonly ConcurrentDictionary<string, PieceToken[]> _cache = new(StringComparer.Ordinal);
    private const int CacheCapacity = 200_000;
    private int _cacheInsertions;
    private int? _unkId;
    private bool _byteFallback, _fuseUnk, _ignoreMerges;
    private readonly int[] _byteIds = new int[256];

    public static new BpeModel Parse(TokenizerJson json)
    {
        var m = new BpeModel();
        m.ReadVocabulary(json);
        if (!json.Child("dropout").IsNull && json.Child("dropout").NumberValue() != 0) throw json.Child("dropout").Unsupported("BPE dropout");
        foreach (var field in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
            if (!string.IsNullOrEmpty(json.StringOrNull(field))) throw json.Child(field).Unsupported($"a BPE {field}");
        m._byteFallback = json.Bool("byte_fallback", false);
        m._fuseUnk = json.Bool("fuse_unk", false);
        m._ignoreMerges = json.Bool("ignore_merges", false);
        string? unk = json.StringOrNull("unk_token");
        if (unk != null)
            m._unkId = m.Vocabulary.TryGetValue(unk, out int u) ? u : throw json.Child("unk_token").Error($"a token of the vocabulary (\"{unk}\" is not in model.vocab)");
        for (int b = 0; b < 256; b++) m._byteIds[b] = m.Vocabulary.TryGetValue($"<0x{b:X2}>", out int id) ? id : -1;
        if (m._byteFallback && m._byteIds.Any(i => i < 0)) throw json.Child("byte_fallback").Error("the 256 tokens <0x00>..<0xFF> in the vocabulary when byte_fallback is true");

        int rank = 0;
        foreach (var merge in json.Child("merges").Items())
        {
            string a, b;
            if (merge.Element.ValueKind == System.Text.Json.JsonValueKind.String)
            {
                string s = merge.String();
                int space = s.Length < 2 ? -1 : s.IndexOf(' ', 1); // from 1: a merge may start with a space token
                if (space < 0) throw merge.Error("\"left right\" (two tokens separated by a space)");
                a = s[..space]; b = s[(space + 1)..];
            }
            else
            {
                var pair = merge.Items().ToArray();
                if (pair.Length != 2) throw merge.Error("a pair [left, right]");
                a = pair[0].String(); b = pair[1].String();
            }
            if (!m.Vocabulary.TryGetValue(a, out int ia) || !m.Vocabulary.TryGetValue(b, out int ib))
                throw merge.Error("a merge of two vocabulary tokens");
            if (!m.Vocabulary.TryGetValue(a + b, out int merged)) throw merge.Error($"a merge whose result \"{a + b}\" is in the vocabulary");
            m._merges.TryAdd(Key(ia, ib), (rank++, merged));
        }
        return m;
    }

    private static long Key(int a, int b) => ((long)a << 32) | (uint)b;

    public override PieceToken[] Encode(string piece, int[] units)
    {
        if (_cache.TryGetValue(piece, out var cached)) return cached;
        var result = EncodeUncached(piece, units);
        // Bounded: cleared when full (ConcurrentDictionary.Count takes every lock, so count insertions instead).
        if (Interlocked.Increment(ref _cacheInsertions) % CacheCapacity == 0) _cache.Clear();
        _cache.TryAdd(piece, result);
        return result;
    }

    private PieceToken[] EncodeUncached(string piece, int[] units)
    {
        if (_ignoreMerges && Vocabulary.TryGetValue(piece, out int whole)) return [new PieceToken(whole, 0, units.Length)];

        // Initial symbols: one per unit, or its UTF-8 bytes (byte fallback), or unk.
        var ids = new List<int>(units.Length);
        var starts = new List<int>(units.Length);
        var ends = new List<int>(units.Length);
        Span<byte> utf8 = stackalloc byte[4];
        for (int i = 0; i < units.Length; i++)
        {
            string unit = char.ConvertFromUtf32(units[i]);
            if (Vocabulary.TryGetValue(unit, out int id)) { ids.Add(id); starts.Add(i); ends.Add(i + 1); continue; }
            if (_byteFallback)
            {
                int n = new Rune(units[i]).EncodeToUtf8(utf8);
                for (int k = 0; k < n; k++) { ids.Add(_byteIds[utf8[k]]); starts.Add(i); ends.Add(i + 1); }
                continue;
            }
            if (_unkId is int unk)
            {
                if (_fuseUnk && ids.Count > 0 && ids[^1] == unk && ends[^1] == i) { ends[^1] = i + 1; continue; }
                ids.Add(unk); starts.Add(i); ends.Add(i + 1);
            }
        }

        int count = ids.Count;
        if (count <= 1) return count == 0 ? [] : [new PieceToken(ids[0], starts[0], ends[0])];
        var sym = ids.ToArray();
        var st = starts.ToArray();
        var en = ends.ToArray();
        var prev = new int[count];
        var next = new int[count];
        for (int i = 0; i < count; i++) { prev[i] = i - 1; next[i] = i + 1 < count ? i + 1 : -1; }
        var alive = new bool[count];
        Array.Fill(alive, true);

        // Heap of candidate merges by (rank, position); stale entries are skipped when popped.
        var heap = new PriorityQueue<(int Left, int LeftId, int RightId, int NewId), (int Rank, int Pos)>();
        for (int i = 0; i + 1 < count; i++) Push(heap, i, sym[i], sym[i + 1], st[i]);
        while (heap.TryDequeue(out var c, out _))
        {
            int l = c.Left;
            if (!alive[l] || sym[l] != c.LeftId) continue;
            int r = next[l];
            if (r < 0 || sym[r] != c.RightId) continue;
            sym[l] = c.NewId;
            en[l] = en[r];
            alive[r] = false;
            next[l] = next[r];
            if (next[r] >= 0) prev[next[r]] = l;
            if (prev[l] >= 0) Push(heap, prev[l], sym[prev[l]], sym[l], st[prev[l]]);
            if (next[l] >= 0) Push(heap, l, sym[l], sym[next[l]], st[l]);
        }
        var output = new List<PieceToken>();
        for (int i = 0; i >= 0; i = next[i]) output.Add(new PieceToken(sym[i], st[i], en[i]));
        return output.ToArray();

        void Push(PriorityQueue<(int, int, int, int), (int, int)> h, int left, int leftId, int rightId, int pos)
        {
            if (_merges.TryGetValue(Key(leftId, rightId), out var m)) h.Enqueue((left, leftId, rightId, m.Id), (m.Rank, pos));
        }
    }
}

/// <summary>Whole-word vocabulary lookup with an unknown token.</summary>
internal sealed class WordLevelModel : TokenModel
{
    private int? _unkId;
    private string _source = "";

    public static new WordLevelModel Parse(TokenizerJson json)
    {
        var m = new WordLevelModel { _source = json.Source };
        m.ReadVocabulary(json);
        string? unk = json.StringOrNull("unk_token");
        if (unk != null && m.Vocabulary.TryGetValue(unk, out int u)) m._unkId = u;
        return m;
    }

    public override PieceToken[] Encode(string piece, int[] units)
    {
        if (Vocabulary.TryGetValue(piece, out int id)) return [new PieceToken(id, 0, units.Length)];
        if (_unkId is int unk) return [new PieceToken(unk, 0, units.Length)];
        throw new FormatException($"{_source}: model.unk_token: the word \"{piece}\" is not in the WordLevel vocabulary and no unk_token is set.");
    }
}
