using System.Text.Json;
using SteerMoE.Research.Inference.Text.Jinja;
using SteerMoE.Research.Inference.Files;

namespace SteerMoE.Research.Inference.Text;

/// <summary>One chat message: a role and its text (other fields can be given through the dictionary overloads).</summary>
/// <param name="Role">system, user, assistant, tool…</param>
/// <param name="Content">The message text.</param>
public sealed record ChatMessage(string Role, string Content);

/// <summary>
/// A model's chat template (Jinja), rendered as transformers' <c>apply_chat_template</c> renders it: jinja2 with
/// trim_blocks and lstrip_blocks, loop controls, transformers' <c>tojson</c> and <c>raise_exception</c>, the
/// tokenizer's special tokens (bos_token, eos_token, …) as variables, plus <c>add_generation_prompt</c> and any
/// extra variables (enable_thinking, reasoning_effort, tools…).
/// </summary>
public sealed class ChatTemplate
{
    private readonly List<Statement> _body;
    private readonly Dictionary<string, object?> _specialTokens;

    /// <summary>Where the template came from (used in error messages).</summary>
    public string Source { get; }

    /// <summary>The template text.</summary>
    public string Text { get; }

    /// <summary>The special tokens passed to the template (bos_token, eos_token, …), from tokenizer_config.json.</summary>
    public IReadOnlyDictionary<string, object?> SpecialTokens => _specialTokens;

    /// <summary>Parses <paramref name="template"/>; syntax errors throw <see cref="TemplateException"/> with line and column.</summary>
    public ChatTemplate(string template, string source = "chat_template", IReadOnlyDictionary<string, string?>? specialTokens = null)
    {
        Text = template;
        Source = source;
        _specialTokens = specialTokens?.ToDictionary(p => p.Key, p => (object?)p.Value) ?? [];
        _body = new JinjaParser(new JinjaLexer(template, source).Tokenize(), source).ParseTemplate();
    }

    /// <summary>
    /// Loads the chat template of a model folder: <c>chat_template.jinja</c> when present, else the
    /// <c>chat_template</c> field of <c>tokenizer_config.json</c> (a string, or a list of named templates where
    /// <paramref name="name"/> picks one, "default" when null). Special tokens come from tokenizer_config.json.
    /// <paramref name="path"/> may also be the tokenizer_config.json file itself.
    /// </summary>
    public static ChatTemplate Load(string path, string? name = null)
    {
        string dir = Directory.Exists(path) ? path : Path.GetDirectoryName(Path.GetFullPath(path))!;
        string config = Directory.Exists(path) ? Path.Combine(dir, "tokenizer_config.json") : path;
        var specials = new Dictionary<string, string?>();
        JsonElement? templateField = null;
        if (File.Exists(config))
        {
            using var doc = StrictJson.ParseFile(config);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new FormatException($"{config}: expected a JSON object (tokenizer_config.json), found {root.ValueKind.ToString().ToLowerInvariant()}.");
            foreach (var key in new[] { "bos_token", "eos_token", "unk_token", "pad_token", "sep_token", "cls_token", "mask_token" })
                if (root.TryGetProperty(key, out var v)) specials[key] = TokenString(v, config, key);
            if (root.TryGetProperty("chat_template", out var t)) templateField = t.Clone();
        }
        string jinjaFile = Path.Combine(dir, "chat_template.jinja");
        if (File.Exists(jinjaFile)) return new ChatTemplate(StrictUtf8.ReadFile(jinjaFile), jinjaFile, specials);
        if (!File.Exists(config)) throw new FileNotFoundException($"{path}: no chat_template.jinja and no tokenizer_config.json with a chat_template.", config);
        if (templateField is not JsonElement field || field.ValueKind == JsonValueKind.Null)
            throw new FormatException($"{config}: chat_template: the tokenizer has no chat template (field missing; no chat_template.jinja beside it).");
        if (field.ValueKind == JsonValueKind.String) return new ChatTemplate(field.GetString()!, $"{config}: chat_template", specials);
        if (field.ValueKind == JsonValueKind.Array)
        {
            string wanted = name ?? "default";
            var names = new List<string>();
            foreach (var item in field.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty("name", out var n) || !item.TryGetProperty("template", out var tt) || n.ValueKind != JsonValueKind.String || tt.ValueKind != JsonValueKind.String)
                    throw new FormatException($"{config}: chat_template: expected a list of {{\"name\": ..., \"template\": ...}} objects.");
                names.Add(n.GetString()!);
                if (n.GetString() == wanted) return new ChatTemplate(tt.GetString()!, $"{config}: chat_template[{wanted}]", specials);
            }
            throw new FormatException($"{config}: chat_template: no template named \"{wanted}\" (found {string.Join(", ", names)}).");
        }
        throw new FormatException($"{config}: chat_template: expected a string or a list of named templates.");
    }

    private static string? TokenString(JsonElement v, string file, string key) => v.ValueKind switch
    {
        JsonValueKind.String => v.GetString(),
        JsonValueKind.Null => null,
        JsonValueKind.Object when v.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String => c.GetString(),
        _ => throw new FormatException($"{file}: {key}: expected a token string or {{\"content\": ...}}."),
    };

    /// <summary>Renders simple role/content messages.</summary>
    public string Render(IEnumerable<ChatMessage> messages, bool addGenerationPrompt, IReadOnlyDictionary<string, object?>? variables = null) =>
        RenderValues(messages.Select(m => (object?)new OrderedDictionary<string, object?>(StringComparer.Ordinal) { ["role"] = m.Role, ["content"] = m.Content }).ToList(), addGenerationPrompt, variables);

    /// <summary>Renders messages given as dictionaries (any fields: role, content, tool_calls, reasoning_content…).</summary>
    public string Render(IEnumerable<IReadOnlyDictionary<string, object?>> messages, bool addGenerationPrompt, IReadOnlyDictionary<string, object?>? variables = null) =>
        RenderValues(messages.Select(m => JinjaValues.FromClr(m)).ToList(), addGenerationPrompt, variables);

    /// <summary>Renders messages given as a JSON list of message objects (the --chat file of the tokenize command).</summary>
    public string RenderJson(JsonElement messages, bool addGenerationPrompt, IReadOnlyDictionary<string, object?>? variables = null)
    {
        if (messages.ValueKind != JsonValueKind.Array) throw new FormatException("messages: expected a JSON list of {\"role\": ..., \"content\": ...} objects.");
        int i = 0;
        foreach (var m in messages.EnumerateArray())
        {
            if (m.ValueKind != JsonValueKind.Object || !m.TryGetProperty("role", out var r) || r.ValueKind != JsonValueKind.String)
                throw new FormatException($"messages[{i}]: expected an object with a string \"role\".");
            i++;
        }
        return RenderValues((List<object?>)JinjaValues.FromJson(messages)!, addGenerationPrompt, variables);
    }

    private string RenderValues(List<object?> messages, bool addGenerationPrompt, IReadOnlyDictionary<string, object?>? variables)
    {
        var globals = new Scope(null);
        globals.Set("range", new JinjaCallable("range", (a, _) => Range(a)));
        globals.Set("namespace", new JinjaCallable("namespace", (a, k) =>
        {
            var ns = new JinjaNamespace();
            foreach (var arg in a)
                if (arg is OrderedDictionary<string, object?> d) foreach (var p in d) ns.Attributes[p.Key] = p.Value;
            foreach (var p in k) ns.Attributes[p.Key] = p.Value;
            return ns;
        }));
        globals.Set("dict", new JinjaCallable("dict", (a, k) =>
        {
            var d = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
            foreach (var p in k) d[p.Key] = p.Value;
            return d;
        }));
        globals.Set("raise_exception", new JinjaCallable("raise_exception", (a, _) => throw new JinjaRaisedError(JinjaValues.Str(a.FirstOrDefault()))));
        globals.Set("strftime_now", new JinjaCallable("strftime_now", (a, _) => Strftime(DateTime.Now, JinjaValues.Str(a.FirstOrDefault()))));
        foreach (var (k, v) in _specialTokens) globals.Set(k, v);
        globals.Set("messages", messages);
        globals.Set("add_generation_prompt", addGenerationPrompt);
        if (variables != null) foreach (var (k, v) in variables) globals.Set(k, JinjaValues.FromClr(v));
        return new JinjaInterpreter(Source).Render(_body, globals);
    }

    private static List<object?> Range(List<object?> a)
    {
        long start = 0, stop, step = 1;
        if (a.Count == 1) stop = JinjaValues.ToLong(a[0]);
        else if (a.Count >= 2) { start = JinjaValues.ToLong(a[0]); stop = JinjaValues.ToLong(a[1]); if (a.Count > 2) step = JinjaValues.ToLong(a[2]); }
        else throw new JinjaRuntimeError("range expected at least 1 argument");
        if (step == 0) throw new JinjaRuntimeError("range() arg 3 must not be zero");
        // The length first (as Python computes it): range(10**12) must be refused, not built.
        double count = step > 0 ? Math.Ceiling(((double)stop - start) / step) : Math.Ceiling(((double)start - stop) / -step);
        if (count > TemplateLimits.MaxLength) throw new JinjaRuntimeError($"range(): {count:0} items, more than {TemplateLimits.MaxLength:N0}");
        var result = new List<object?>((int)Math.Max(0, count));
        for (long k = 0; k < count; k++) result.Add(start + k * step); // by index: start + k·step cannot pass stop, so no overflow
        return result;
    }

    /// <summary>Python's strftime for the common directives (%Y %m %d %H %M %S %B %b %A %a %y %j %p %I %%).</summary>
    private static string Strftime(DateTime t, string format)
    {
        var c = System.Globalization.CultureInfo.InvariantCulture;
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 >= format.Length) { sb.Append(format[i]); continue; }
            char d = format[++i];
            sb.Append(d switch
            {
                'Y' => t.Year.ToString(c), 'm' => t.Month.ToString("00", c), 'd' => t.Day.ToString("00", c),
                'H' => t.Hour.ToString("00", c), 'M' => t.Minute.ToString("00", c), 'S' => t.Second.ToString("00", c),
                'B' => t.ToString("MMMM", c), 'b' => t.ToString("MMM", c), 'A' => t.ToString("dddd", c), 'a' => t.ToString("ddd", c),
                'y' => t.ToString("yy", c), 'j' => t.DayOfYear.ToString("000", c), 'p' => t.Hour < 12 ? "AM" : "PM",
                'I' => (t.Hour % 12 == 0 ? 12 : t.Hour % 12).ToString("00", c), '%' => "%",
                _ => "%" + d,
            });
        }
        return sb.ToString();
    }
}
