using System.Text.Json;
using SteerMoE.Research.Inference.Text;
using SteerMoE.Research.Inference.Files;

namespace SteerMoE.Research.Generation;

/// <summary>
/// One prompt to generate from: its chat messages and any other string fields of its line (e.g. the expected
/// <c>answer</c>, or the two behaviours' targets), which evaluators read.
/// </summary>
/// <param name="Id">A name for the prompt (its line number in a prompts file, or "prompt").</param>
/// <param name="Messages">The chat, ending with the user's turn.</param>
/// <param name="Fields">Other string fields of the prompt's line.</param>
public sealed record GenerationPrompt(string Id, IReadOnlyList<ChatMessage> Messages, IReadOnlyDictionary<string, string> Fields)
{
    /// <summary>
    /// The prompt text as the caller already rendered it (e.g. a judge's template given structured messages); when set,
    /// the generator encodes it as is instead of rendering <see cref="Messages"/>.
    /// </summary>
    public string? RenderedText { get; init; }

    /// <summary>A single user message.</summary>
    public static GenerationPrompt User(string text, string id = "prompt") =>
        new(id, [new ChatMessage("user", text)], new Dictionary<string, string>());

    /// <summary>A field's value, or an error naming the prompt and the field when it is missing.</summary>
    public string Field(string name, string evaluator) => Fields.TryGetValue(name, out var v) ? v
        : throw new FormatException($"{Id}: field '{name}': the evaluator '{evaluator}' needs it (fields: {(Fields.Count == 0 ? "none" : string.Join(", ", Fields.Keys))}).");

    /// <summary>
    /// Reads a prompts JSONL file: one object a line with <c>prompt</c> (a user message) or <c>messages</c>
    /// (a list of {role, content}); other string fields are kept. Blank lines are skipped. Errors name the line and field;
    /// the file is strict UTF-8 (an invalid byte is an error naming its offset).
    /// </summary>
    public static IReadOnlyList<GenerationPrompt> ReadJsonLines(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such prompts file.", path);
        var prompts = new List<GenerationPrompt>();
        int lineNumber = 0;
        foreach (string line in StrictUtf8.ReadFile(path).Split('\n'))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            string where = $"{path}: line {lineNumber}";
            JsonDocument doc;
            try { doc = JsonDocument.Parse(line); }
            catch (JsonException e) { throw new FormatException($"{where}: not valid JSON: {e.Message}"); }
            using (doc)
            {
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object) throw new FormatException($"{where}: expected a JSON object with 'prompt' or 'messages'.");
                var messages = new List<ChatMessage>();
                var fields = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var p in root.EnumerateObject())
                {
                    if (p.Name == "messages")
                    {
                        if (p.Value.ValueKind != JsonValueKind.Array || p.Value.GetArrayLength() == 0) throw new FormatException($"{where}: messages: expected a non-empty list of {{role, content}}.");
                        int i = 0;
                        foreach (var m in p.Value.EnumerateArray())
                        {
                            if (m.ValueKind != JsonValueKind.Object || !m.TryGetProperty("role", out var r) || r.ValueKind != JsonValueKind.String
                                || !m.TryGetProperty("content", out var c) || c.ValueKind != JsonValueKind.String)
                                throw new FormatException($"{where}: messages[{i}]: expected {{\"role\": string, \"content\": string}}.");
                            messages.Add(new ChatMessage(r.GetString()!, c.GetString()!));
                            i++;
                        }
                    }
                    else if (p.Value.ValueKind == JsonValueKind.String) fields[p.Name] = p.Value.GetString()!;
                }
                if (fields.Remove("prompt", out var prompt))
                {
                    if (messages.Count > 0) throw new FormatException($"{where}: give 'prompt' or 'messages', not both.");
                    messages.Add(new ChatMessage("user", prompt));
                }
                if (messages.Count == 0) throw new FormatException($"{where}: prompt: missing; expected 'prompt' (a string) or 'messages' (a list of {{role, content}}).");
                prompts.Add(new GenerationPrompt($"{Path.GetFileName(path)}:{lineNumber}", messages, fields));
            }
        }
        if (prompts.Count == 0) throw new FormatException($"{path}: no prompts (the file is empty).");
        return prompts;
    }
}
