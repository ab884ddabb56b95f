using System.Text;
using System.Text.Json;
using SteerMoE.Research.Data.Files;

namespace SteerMoE.Research.Evaluation.Judges;

/// <summary>One cached verdict: the judge's reply and the score parsed from it (null: unscorable).</summary>
/// <param name="Reply">The judge model's generated text.</param>
/// <param name="Score">The score parsed from it.</param>
public sealed record JudgeVerdict(string Reply, double? Score);

/// <summary>
/// A judge's verdicts by key (sha256 of judge id, judge model, judge prompt and output), in <c>{folder}/{judge id}.jsonl</c>:
/// one JSON object a line {key, reply, score}, appended whole lines at a time, so earlier lines are never rewritten. A
/// last line cut short by a crash (no final newline) is dropped on load; any other unreadable line is an error naming
/// the file and line.
/// </summary>
public sealed class JudgeCache
{
    private readonly Dictionary<string, JudgeVerdict> _verdicts = new(StringComparer.Ordinal);

    /// <summary>The cache file; null for a cache kept in memory only.</summary>
    public string? Path { get; }

    /// <summary>Opens (reading what is there) the cache of <paramref name="judgeId"/> in <paramref name="folder"/>; null folder: memory only.</summary>
    public JudgeCache(string? folder, string judgeId)
    {
        if (folder is null) return;
        Directory.CreateDirectory(folder);
        Path = System.IO.Path.Combine(folder, judgeId + ".jsonl");
        if (!File.Exists(Path)) return;
        string text = File.ReadAllText(Path, new UTF8Encoding(false, true));
        int complete = text.LastIndexOf('\n') + 1;
        if (complete < text.Length) AtomicFile.WriteAllText(Path, text[..complete]);   // an interrupted append
        int lineNumber = 0;
        foreach (string line in text[..complete].Split('\n'))
        {
            lineNumber++;
            if (line.Length == 0) continue;
            try
            {
                using var doc = JsonDocument.Parse(line);
                var root = doc.RootElement;
                string key = root.GetProperty("key").GetString() ?? throw new FormatException("key is null");
                string reply = root.GetProperty("reply").GetString() ?? throw new FormatException("reply is null");
                var score = root.GetProperty("score");
                _verdicts[key] = new JudgeVerdict(reply, score.ValueKind == JsonValueKind.Null ? null : score.GetDouble());
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                throw new FormatException($"{Path}: line {lineNumber}: not a cached verdict (expected {{\"key\": string, \"reply\": string, \"score\": number or null}}): {e.Message}");
            }
        }
    }

    /// <summary>Verdicts held.</summary>
    public int Count => _verdicts.Count;

    /// <summary>The verdict of a key, or null.</summary>
    public JudgeVerdict? Find(string key) => _verdicts.GetValueOrDefault(key);

    /// <summary>Records verdicts (and appends them to the file as whole lines).</summary>
    public void Add(IReadOnlyList<(string Key, JudgeVerdict Verdict)> verdicts)
    {
        var lines = new StringBuilder();
        foreach (var (key, verdict) in verdicts)
        {
            _verdicts[key] = verdict;
            lines.Append(JsonSerializer.Serialize(new { key, reply = verdict.Reply, score = verdict.Score })).Append('\n');
        }
        if (Path != null && lines.Length > 0) File.AppendAllText(Path, lines.ToString(), new UTF8Encoding(false));
    }
}
