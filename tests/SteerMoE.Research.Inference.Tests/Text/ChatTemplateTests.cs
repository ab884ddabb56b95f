using SteerMoE.Research.Inference.Text;
using SteerMoE.Research.Inference.Text.Jinja;
using SteerMoE.Research.Tests;

namespace SteerMoE.Research.Inference.Tests.Text;

/// <summary>Template behaviour checked against jinja2's known output, and errors that say where.</summary>
public sealed class ChatTemplateTests
{
    private static string Render(string template, params ChatMessage[] messages) =>
        new ChatTemplate(template, "t.jinja", new Dictionary<string, string?> { ["eos_token"] = "</s>" }).Render(messages, addGenerationPrompt: true);

    [Fact]
    public void TrimAndLstripBlocksAsTransformersConfiguresThem()
    {
        // Expected values from jinja2 3.1 with trim_blocks=True, lstrip_blocks=True.
        Assert.Equal("a\nb\n", Render("{% for m in ['a', 'b'] %}\n    {% if true %}\n{{ m }}\n    {% endif %}\n{% endfor %}\n"));
        Assert.Equal("x  y", Render("x {%- if true %}  {% endif -%} y"));
        Assert.Equal("  a", Render("  {%+ if true %}a{% endif %}"));
        Assert.Equal("[user:hi]</s>", Render("{% for m in messages %}[{{ m.role }}:{{ m.content }}]{% endfor %}{{ eos_token }}", new ChatMessage("user", "hi")));
    }

    [Fact]
    public void SyntaxErrorsSayWhere()
    {
        var missing = Assert.Throws<TemplateException>(() => new ChatTemplate("line one\n{% if x %}\nno end", "chat.jinja"));
        Assert.Contains("chat.jinja", missing.Message);
        Assert.Contains("missing {% endif %}", missing.Message);
        Assert.Equal((2, 1), (missing.Line, missing.Column));

        var stray = Assert.Throws<TemplateException>(() => new ChatTemplate("ok\n  {% endfor %}", "chat.jinja"));
        Assert.Equal((2, 6), (stray.Line, stray.Column)); // at the word endfor

        var badToken = Assert.Throws<TemplateException>(() => new ChatTemplate("{{ 'a' + }}", "chat.jinja"));
        Assert.Equal(1, badToken.Line);
        Assert.Contains("expected a value", badToken.Message);

        var unknown = Assert.Throws<TemplateException>(() => new ChatTemplate("{% while true %}{% endwhile %}", "chat.jinja"));
        Assert.Contains("unsupported statement {% while %}", unknown.Message);
    }

    [Fact]
    public void RuntimeErrorsSayWhere()
    {
        var filter = Assert.Throws<TemplateException>(() => Render("\n\n   {{ messages | frobnicate }}"));
        Assert.Equal((3, 16), (filter.Line, filter.Column));
        Assert.Contains("no filter named 'frobnicate'", filter.Message);

        var raised = Assert.Throws<TemplateException>(() => Render("{% if messages | length > 0 %}\n{{ raise_exception('roles must alternate') }}{% endif %}", new ChatMessage("user", "x")));
        Assert.Equal("roles must alternate", raised.Reason);
        Assert.Equal(2, raised.Line);

        var undefinedAttribute = Assert.Throws<TemplateException>(() => Render("{{ missing.content }}"));
        Assert.Contains("'missing' is undefined", undefinedAttribute.Message);
        Assert.Equal((1, 11), (undefinedAttribute.Line, undefinedAttribute.Column));
    }

    [Fact]
    public void LoadsFromTokenizerConfigAndChatTemplateFile()
    {
        string dir = RepoPaths.TempDir("chat-template");
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"),
            """{"bos_token": {"content": "<s>", "lstrip": false}, "eos_token": "</s>", "chat_template": "{{ bos_token }}{% for m in messages %}<|{{ m.role }}|>{{ m.content }}{{ eos_token }}{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}"}""");
        var t = ChatTemplate.Load(dir);
        Assert.Equal("<s><|user|>hi</s><|assistant|>", t.Render([new ChatMessage("user", "hi")], addGenerationPrompt: true));

        File.WriteAllText(Path.Combine(dir, "chat_template.jinja"), "{{ messages[0].content | upper }}{{ extra }}\n");
        var vars = new Dictionary<string, object?> { ["extra"] = false };
        Assert.Equal("HIFalse", ChatTemplate.Load(dir).Render([new ChatMessage("user", "hi")], false, vars));

        File.Delete(Path.Combine(dir, "chat_template.jinja"));
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), """{"eos_token": "</s>"}""");
        var none = Assert.Throws<FormatException>(() => ChatTemplate.Load(dir));
        Assert.Contains("chat_template", none.Message);
    }
}
