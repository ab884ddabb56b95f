using System.Text.Json;
using SteerMoE.Research.Inference.Text;
using SteerMoE.Research.Inference.Text.Jinja;
using Xunit.Abstractions;

namespace SteerMoE.Research.Inference.Tests.Text;

/// <summary>
/// Chat templates rendered byte-identical to Python's jinja2 (transformers' environment, render-templates.py) and to
/// @huggingface/jinja (render-templates.mjs), over tools/reference/text/conversations.json.
/// </summary>
public sealed class ChatTemplateReferenceTests(ITestOutputHelper output)
{
    private static readonly JsonElement Spec = JsonDocument.Parse(File.ReadAllText(Path.Combine(ReferenceData.Folder, "conversations.json"))).RootElement;

    private static ChatTemplate Template(string name)
    {
        var spec = Spec.GetProperty("templates").GetProperty(name);
        string source = spec.GetProperty("source").GetString()!;
        var specials = new Dictionary<string, string?>
        {
            ["bos_token"] = spec.GetProperty("bos_token").GetString(),
            ["eos_token"] = spec.GetProperty("eos_token").GetString(),
        };
        if (source.StartsWith("npm:"))
        {
            var parts = source[4..].Split("/models/");
            using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(ReferenceData.Folder, "node_modules", parts[0], "models", parts[1])));
            return new ChatTemplate(doc.RootElement.GetProperty("chat_template").GetString()!, source, specials);
        }
        return new ChatTemplate(File.ReadAllText(Path.Combine(ReferenceData.Folder, source)), source, specials);
    }

    private static (JsonElement Messages, Dictionary<string, object?> Variables, bool Generation) Case(string template, string conversation, int setting)
    {
        if (setting < 0)
        {
            var err = Spec.GetProperty("errors").EnumerateArray().First(e => e.GetProperty("name").GetString() == conversation);
            var vars = err.TryGetProperty("variables", out var v) ? v.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value) : [];
            return (err.GetProperty("messages"), vars, false);
        }
        var conv = Spec.GetProperty("conversations").EnumerateArray().First(c => c.GetProperty("name").GetString() == conversation);
        var s = Spec.GetProperty("settings")[setting];
        var variables = s.GetProperty("variables").EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value);
        if (conv.TryGetProperty("tools", out var tools)) variables["tools"] = tools;
        return (conv.GetProperty("messages"), variables, s.GetProperty("add_generation_prompt").GetBoolean());
    }

    private void AgreeWith(string file)
    {
        var expected = ReferenceData.ReadJson(ReferenceData.Expected(file));
        var templates = new Dictionary<string, ChatTemplate>();
        int total = 0, agree = 0, errors = 0;
        var failures = new List<string>();
        foreach (var r in expected.GetProperty("renders").EnumerateArray())
        {
            total++;
            string name = r.GetProperty("template").GetString()!, conversation = r.GetProperty("conversation").GetString()!;
            int setting = r.GetProperty("setting").GetInt32();
            if (!templates.TryGetValue(name, out var template)) templates[name] = template = Template(name);
            var (messages, variables, generation) = Case(name, conversation, setting);
            string where = $"{name}/{conversation}/{setting}";
            if (r.TryGetProperty("error", out var error))
            {
                errors++;
                var e = Record.Exception(() => template.RenderJson(messages, generation, variables));
                if (e is TemplateException te && te.Reason.Contains(error.GetString()!) && te.Line > 0) agree++;
                else failures.Add($"{where}: expected the error \"{error.GetString()}\", got {(e == null ? "no error" : e.Message)}");
                continue;
            }
            string want = r.GetProperty("text").GetString()!;
            try
            {
                string got = template.RenderJson(messages, generation, variables);
                if (got == want) agree++;
                else failures.Add($"{where}: expected {JsonSerializer.Serialize(want)}\n got {JsonSerializer.Serialize(got)}");
            }
            catch (Exception e) { failures.Add($"{where}: {e.Message}"); }
        }
        output.WriteLine($"{file}: {agree}/{total} renders identical ({errors} of them raise_exception errors)");
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(10)));
        Assert.True(total >= 100);
    }

    [TemplateReferenceFact]
    public void RendersIdenticalToPythonJinja2() => AgreeWith("templates-jinja2.json");

    [TemplateReferenceFact]
    public void RendersIdenticalToHuggingFaceJinja() => AgreeWith("templates-hfjinja.json");
}
