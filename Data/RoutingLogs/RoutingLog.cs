using System.Text.Json;
using System.Text.Json.Nodes;
using SteerMoE.Research.Data.Files;

namespace SteerMoE.Research.Data.RoutingLogs;

/// <summary>One token's place in a routing log: which pair, side and position it is, and whether it is counted.</summary>
/// <param name="TokenId">The token id.</param>
/// <param name="Pair">0-based index of the pair in the dataset (non-blank lines in file order).</param>
/// <param name="Side">1 (messages_0) or 2 (messages_1).</param>
/// <param name="Position">0-based position in its side's prompt.</param>
/// <param name="InTarget">Whether the token is in the target span (counted).</param>
public readonly record struct RoutingLogToken(int TokenId, int Pair, int Side, int Position, bool InTarget);

/// <summary>
/// The per-token routing log of a detection run (docs/CONTRACTS.md §14): one .npy file per array in a folder,
/// every array indexed by the same token row, plus <c>routing_log.json</c> describing shapes and meaning.
/// Arrays: <c>router_logits</c> [N, L, E] float32 (raw, before any rewrite), <c>topk</c> [N, L, k] int32 (the
/// model's chosen experts in its order), <c>token_id</c>, <c>pair</c>, <c>position</c> [N] int32, <c>side</c> [N]
/// uint8 (1 or 2), <c>in_target</c> [N] uint8 (1 = counted). Rows: pairs in file order, side 1 then side 2, positions
/// in order. Streaming: each file is a valid .npy of the rows flushed so far.
/// </summary>
public sealed class RoutingLogWriter : IDisposable
{
    /// <summary>The sidecar's file name.</summary>
    public const string SidecarName = "routing_log.json";

    private readonly NpyStreamWriter _logits, _topk, _tokenId, _pair, _side, _position, _inTarget;
    private readonly JsonObject _metadata;

    private RoutingLogWriter(string directory, int layers, int experts, int topK, JsonObject metadata, long? keepRows)
    {
        Directory = directory; Layers = layers; Experts = experts; TopK = topK; _metadata = metadata;
        System.IO.Directory.CreateDirectory(directory);
        string F(string name) => System.IO.Path.Combine(directory, name + ".npy");
        var opened = new List<NpyStreamWriter>();
        NpyStreamWriter Open(string name, NpyType type, long[] row)
        {
            var w = NpyStreamWriter.Open(F(name), type, row, keepRows);
            opened.Add(w);
            return w;
        }
        try
        {
            _logits = Open("router_logits", NpyType.Float32, [layers, experts]);
            _topk = Open("topk", NpyType.Int32, [layers, topK]);
            _tokenId = Open("token_id", NpyType.Int32, []);
            _pair = Open("pair", NpyType.Int32, []);
            _side = Open("side", NpyType.UInt8, []);
            _position = Open("position", NpyType.Int32, []);
            _inTarget = Open("in_target", NpyType.UInt8, []);
        }
        catch { foreach (var w in opened) w.Dispose(); throw; }
    }

    /// <summary>The log folder.</summary>
    public string Directory { get; }
    /// <summary>L.</summary>
    public int Layers { get; }
    /// <summary>E.</summary>
    public int Experts { get; }
    /// <summary>k.</summary>
    public int TopK { get; }
    /// <summary>Token rows written.</summary>
    public long Rows => _tokenId.Rows;

    /// <summary>
    /// Creates a new log in <paramref name="directory"/> or, with <paramref name="keepRows"/>, continues one and drops
    /// rows past that count. <paramref name="metadata"/> (model, dataset…) is copied into the sidecar.
    /// </summary>
    public static RoutingLogWriter Open(string directory, int layers, int experts, int topK, IReadOnlyDictionary<string, string>? metadata = null, long? keepRows = null)
    {
        var meta = new JsonObject();
        if (metadata != null) foreach (var (k, v) in metadata) meta[k] = v;
        return new RoutingLogWriter(directory, layers, experts, topK, meta, keepRows);
    }

    /// <summary>The metadata (model, dataset…) a log's sidecar carries, in its order; errors name the file.</summary>
    public static IReadOnlyDictionary<string, string> ReadMetadata(string directory)
    {
        string path = System.IO.Path.Combine(directory, SidecarName);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file (expected the sidecar of a routing log).", path);
        try
        {
            var meta = JsonNode.Parse(File.ReadAllText(path))?["metadata"] as JsonObject ?? throw new FormatException($"{path}: metadata: expected an object.");
            var result = new OrderedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var (k, v) in meta) result[k] = (string?)v ?? throw new FormatException($"{path}: metadata.{k}: expected a string.");
            return result;
        }
        catch (JsonException e) { throw new FormatException($"{path}: not valid JSON: {e.Message}"); }
        catch (InvalidOperationException e) { throw new FormatException($"{path}: metadata: expected string values ({e.Message})."); }
    }

    /// <summary>
    /// Appends tokens: <paramref name="routerLogits"/> [n, L, E], <paramref name="topK"/> [n, L, k] and one
    /// <see cref="RoutingLogToken"/> per row.
    /// </summary>
    public void Append(ReadOnlySpan<float> routerLogits, ReadOnlySpan<int> topK, ReadOnlySpan<RoutingLogToken> tokens)
    {
        int n = tokens.Length;
        if (routerLogits.Length != n * Layers * Experts || topK.Length != n * Layers * TopK)
            throw new ArgumentException($"routing log: {n} tokens need {n * Layers * Experts} logits and {n * Layers * TopK} top-k entries, got {routerLogits.Length} and {topK.Length}.");
        var ids = new int[n]; var pairs = new int[n]; var positions = new int[n]; var sides = new byte[n]; var inTarget = new byte[n];
        for (int i = 0; i < n; i++)
        {
            var t = tokens[i];
            ids[i] = t.TokenId; pairs[i] = t.Pair; positions[i] = t.Position; sides[i] = (byte)t.Side; inTarget[i] = t.InTarget ? (byte)1 : (byte)0;
        }
        _logits.Append(routerLogits); _topk.Append(topK);
        _tokenId.Append<int>(ids); _pair.Append<int>(pairs); _side.Append<byte>(sides); _position.Append<int>(positions); _inTarget.Append<byte>(inTarget);
    }

    /// <summary>
    /// Appends every row of another log with the same layers, experts and top-k (e.g. a detection shard's), array by
    /// array, streamed.
    /// </summary>
    public void AppendLog(string directory)
    {
        string F(string name) => System.IO.Path.Combine(directory, name + ".npy");
        foreach (var w in All) w.AppendFile(F(System.IO.Path.GetFileNameWithoutExtension(w.Path)));
    }

    /// <summary>Flushes every array (headers carry the row count) and rewrites the sidecar.</summary>
    public void Flush()
    {
        foreach (var w in All) w.Flush();
        WriteSidecar();
    }

    private IEnumerable<NpyStreamWriter> All => [_logits, _topk, _tokenId, _pair, _side, _position, _inTarget];

    private void WriteSidecar()
    {
        long n = Rows;
        JsonObject Array(string file, string dtype, long[] shape, string meaning) => new()
        {
            ["file"] = file, ["dtype"] = dtype, ["shape"] = new JsonArray(shape.Select(d => (JsonNode)d).ToArray()), ["meaning"] = meaning,
        };
        var root = new JsonObject
        {
            ["format"] = "steermoe-routing-log/1",
            ["tokens"] = n, ["layers"] = Layers, ["experts"] = Experts, ["top_k"] = TopK,
            ["rows"] = "pairs in dataset order; within a pair side 1 (messages_0) then side 2 (messages_1); positions in order",
            ["arrays"] = new JsonObject
            {
                ["router_logits"] = Array("router_logits.npy", "<f4", [n, Layers, Experts], "raw router output per token and decoder layer (router bias included), before any rewrite"),
                ["topk"] = Array("topk.npy", "<i4", [n, Layers, TopK], "experts the model routed the token to, in the model's own order"),
                ["token_id"] = Array("token_id.npy", "<i4", [n], "token id"),
                ["pair"] = Array("pair.npy", "<i4", [n], "0-based pair index (non-blank lines of the dataset in order)"),
                ["side"] = Array("side.npy", "|u1", [n], "1 = messages_0 (a1, d1), 2 = messages_1 (a2, d2)"),
                ["position"] = Array("position.npy", "<i4", [n], "0-based position of the token in its chat-templated prompt"),
                ["in_target"] = Array("in_target.npy", "|u1", [n], "1 when the token is in the counted target span"),
            },
            ["metadata"] = _metadata.DeepClone(),
        };
        AtomicFile.WriteAllText(System.IO.Path.Combine(Directory, SidecarName), root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    /// <summary>Flushes and closes every array.</summary>
    public void Dispose()
    {
        WriteSidecar();
        foreach (var w in All) w.Dispose();
    }
}
