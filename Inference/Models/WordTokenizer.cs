using System.Text.Json;

namespace SteerMoE.Research.Inference.Models;

/// <summary>
/// A word-level tokenizer that covers every id of a model's vocabulary (for random-weight folders, whose greedy
/// answers are arbitrary ids): id i is the word <c>w{i}</c>, except the config's BOS (<c>&lt;bos&gt;</c>), EOS ids
/// (<c>&lt;eos&gt;</c>, <c>&lt;eos1&gt;</c>, ...) and one unknown-word token (<c>[UNK]</c>, the first id that is neither),
/// with a plain chat template (<c>{bos}role: content</c> lines, then <c>assistant:</c>). Text made of other words
/// encodes to [UNK]s; the point is that every generated id decodes and the whole pipeline runs.
/// </summary>
public static class WordTokenizer
{
    /// <summary>The chat template written into tokenizer_config.json.</summary>
    public const string ChatTemplate =
        "{{ bos_token }}{% for message in messages %}{{ message['role'] + ': ' + message['content'] + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ 'assistant:' }}{% endif %}";

    /// <summary>Writes tokenizer.json and tokenizer_config.json for <paramref name="config"/> into <paramref name="directory"/> (each written to a temporary file, then renamed).</summary>
    public static void Write(string directory, ModelConfig config)
    {
        var words = Enumerable.Range(0, config.VocabSize).Select(i => $"w{i}").ToArray();
        var special = new SortedDictionary<int, string>();
        if (config.BosTokenId is { } bos && bos >= 0 && bos < words.Length) special[bos] = "<bos>";
        for (int e = 0; e < config.EosTokenIds.Length; e++)
            if (config.EosTokenIds[e] >= 0 && config.EosTokenIds[e] < words.Length && !special.ContainsKey(config.EosTokenIds[e]))
                special[config.EosTokenIds[e]] = e == 0 ? "<eos>" : $"<eos{e}>";
        foreach (var (id, token) in special) words[id] = token;
        // [UNK] is a plain vocabulary word (not a special token), so that it shows when decoded.
        words[Enumerable.Range(0, words.Length).First(i => !special.ContainsKey(i))] = "[UNK]";
        var tokenizer = new Dictionary<string, object?>
        {
            ["version"] = "1.0", ["truncation"] = null, ["padding"] = null,
            ["added_tokens"] = special.Select(s => new Dictionary<string, object> { ["id"] = s.Key, ["content"] = s.Value, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false, ["normalized"] = false, ["special"] = true }).ToArray(),
            ["normalizer"] = null, ["pre_tokenizer"] = new Dictionary<string, string> { ["type"] = "Whitespace" }, ["post_processor"] = null, ["decoder"] = null,
            ["model"] = new Dictionary<string, object> { ["type"] = "WordLevel", ["vocab"] = words.Select((w, i) => (w, i)).ToDictionary(x => x.w, x => x.i), ["unk_token"] = "[UNK]" },
        };
        var tokenizerConfig = new Dictionary<string, object?>
        {
            ["bos_token"] = config.BosTokenId is { } b && special.TryGetValue(b, out var bt) && bt == "<bos>" ? "<bos>" : "",
            ["eos_token"] = config.EosTokenIds.Length > 0 && special.TryGetValue(config.EosTokenIds[0], out var et) ? et : null,
            ["unk_token"] = "[UNK]", ["chat_template"] = ChatTemplate,
        };
        WriteAtomically(Path.Combine(directory, "tokenizer.json"), JsonSerializer.Serialize(tokenizer));
        WriteAtomically(Path.Combine(directory, "tokenizer_config.json"), JsonSerializer.Serialize(tokenizerConfig, new JsonSerializerOptions { WriteIndented = true }));
    }

    private static void WriteAtomically(string path, string text)
    {
        string temp = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, "." + Path.GetFileName(path) + $".{Environment.ProcessId}.tmp");
        File.WriteAllText(temp, text);
        File.Move(temp, path, overwrite: true);
    }
}
