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
    public void TemplatesThatWouldNotEndOrExhaustMemoryAreRefused()
    {
        // Each of these ran without end, allocated without bound or overflowed the stack before the limits.
        TemplateException Refused(string template) => Assert.Throws<TemplateException>(() => Render(template, new ChatMessage("user", "x")));

        var huge = Refused("{% for i in range(10**12) %}{% endfor %}");
        Assert.Contains("range(): 1000000000000 items", huge.Message);
        Assert.Contains("'x' * 10**12", Refused("{{ 'x' * 10**12 }}").Message.Replace("string * 1000000000000", "'x' * 10**12"));
        Assert.Contains("more than 8,000,000 items", Refused("{{ [1, 2] * 10**9 }}").Message);
        // Doubling a string 40 times: each value is checked, not only the output.
        Assert.Contains("longer than 8,000,000", Refused("{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}").Message);
        Assert.Contains("output would be longer", Refused("{% for i in range(5000000) %}xx{% endfor %}").Message);
        Assert.Contains("more than 5,000,000 steps", Refused("{% for i in range(3000000) %}{% for j in range(2) %}{% endfor %}{% endfor %}").Message);
        var recursion = Refused("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}");
        Assert.Contains("more than 100 macro calls active at once", recursion.Message);
        Assert.Equal(1, recursion.Line);
        Assert.Contains("nested more than 100 levels", Assert.Throws<TemplateException>(() => new ChatTemplate("{{ " + new string('(', 5000) + "1" + new string(')', 5000) + " }}", "t.jinja")).Message);
        Assert.Contains("nested more than 100 levels", Assert.Throws<TemplateException>(() => new ChatTemplate("{{ " + string.Concat(Enumerable.Repeat("not ", 5000)) + "1 }}", "t.jinja")).Message);
        Assert.Contains("nested more than 100 levels", Assert.Throws<TemplateException>(() => new ChatTemplate(string.Concat(Enumerable.Repeat("{% if 1 %}", 500)) + string.Concat(Enumerable.Repeat("{% endif %}", 500)), "t.jinja")).Message);
        // A list nested 200,000 deep by a loop: printing it would overflow the stack.
        Assert.Contains("nested too deeply", Refused("{% set ns = namespace(l=[]) %}{% for i in range(200000) %}{% set ns.l = [ns.l] %}{% endfor %}{{ ns.l }}").Message);

        // Within the limits, the same constructs still work (jinja2's values).
        Assert.Equal("0,3,6,9", Render("{{ range(0, 10, 3) | join(',') }}"));
        Assert.Equal("3,2,1", Render("{{ range(3, 0, -1) | join(',') }}"));
        Assert.Equal("", Render("{{ range(9223372036854775806, 9223372036854775807, 10) | join(',') | replace('9223372036854775806', '') }}"));
        Assert.Equal("ababab", Render("{{ 'ab' * 3 }}"));
    }

    [Fact]
    public void FuzzFindingsAreTemplateErrors()
    {
        // Each escaped as a .NET exception before (tools/fuzz/regressions/chat-template).
        Assert.Contains("{% break %} outside a for loop", Assert.Throws<TemplateException>(() => new ChatTemplate("a{% break %}", "t.jinja")).Message);
        Assert.Contains("{% continue %} outside a for loop", Assert.Throws<TemplateException>(() => new ChatTemplate("{% for i in [1] %}{% macro m() %}{% continue %}{% endmacro %}{% endfor %}", "t.jinja")).Message);
        Assert.Equal("1", Render("{% for i in [1, 2] %}{% if i == 2 %}{% break %}{% endif %}{{ i }}{% endfor %}"));
        Assert.StartsWith("t.jinja: line 1, column ", Assert.Throws<TemplateException>(() => Render("{{ [1, 'a'] | sort }}")).Message);
        Assert.Contains("invalid \\u escape", Assert.Throws<TemplateException>(() => new ChatTemplate("{{ '\\uZZZZ' }}", "t.jinja")).Message);
        Assert.Contains("does not fit in 64 bits", Assert.Throws<TemplateException>(() => new ChatTemplate("{{ 99999999999999999999 }}", "t.jinja")).Message);
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
