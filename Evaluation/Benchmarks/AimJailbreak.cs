using SteerMoE.Research.Data.Datasets;
using SteerMoE.Research.Generation;
using SteerMoE.Research.Inference.Text;
using SteerMoE.Research.Inference.Files;

namespace SteerMoE.Research.Evaluation.Benchmarks;

/// <summary>
/// A safety benchmark wrapped in the AIM jailbreak ("Always Intelligent and Machiavellian", as in StrongREJECT):
/// each request is put into a template at its placeholder. The AIM text is not shipped with this repository; the
/// user saves it as a plain text file (by default <c>aim.txt</c> beside the dataset folder, i.e. <c>{data}/aim.txt</c>).
/// <c>judge_prompt</c> stays the bare request, so the judge rates the answer to the request, not to the wrapper.
/// </summary>
public sealed class AimJailbreak : IBenchmark
{
    /// <summary>The placeholder the template must contain (the usual one of the published AIM prompt).</summary>
    public const string Placeholder = "[INSERT PROMPT HERE]";

    /// <summary>The template's file name looked for beside the dataset folder when no path is given.</summary>
    public const string DefaultTemplateName = "aim.txt";

    private readonly IBenchmark _inner;
    private readonly string? _templatePath;

    /// <summary>Wraps <paramref name="inner"/>; <paramref name="templatePath"/> overrides <c>{dataset folder}/../aim.txt</c>.</summary>
    public AimJailbreak(IBenchmark inner, string? templatePath = null)
    {
        _inner = inner;
        _templatePath = templatePath;
        var i = inner.Info;
        Info = i with
        {
            Id = "aim-" + i.Id,
            FieldsUsed = [.. i.FieldsUsed, $"{DefaultTemplateName}: the AIM template text (user-supplied), with {Placeholder}"],
            PromptFormat = $"The AIM template with {Placeholder} replaced by the request ({i.Id}'s prompt); judge_prompt = the bare request.",
        };
    }

    /// <inheritdoc />
    public BenchmarkInfo Info { get; }

    /// <summary>Where the template is read from for a dataset at <paramref name="datasetPath"/>.</summary>
    public string TemplatePath(string datasetPath) => _templatePath
        ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(datasetPath).TrimEnd(Path.DirectorySeparatorChar)) ?? ".", DefaultTemplateName);

    /// <inheritdoc />
    public IReadOnlyList<GenerationPrompt> Load(string path)
    {
        string templatePath = TemplatePath(path);
        if (!File.Exists(templatePath))
            throw new FileNotFoundException($"{templatePath}: no AIM template. The AIM jailbreak text is not shipped with this repository: save it there as plain UTF-8 text containing {Placeholder} where the request goes (docs/BENCHMARKS.md, {Info.Id}).", templatePath);
        string template = StrictUtf8.ReadFile(templatePath);
        if (!template.Contains(Placeholder, StringComparison.Ordinal))
            throw new FormatException($"{templatePath}: the AIM template has no placeholder {Placeholder} (where each request goes).");
        return _inner.Load(path).Select(p =>
        {
            string request = p.Messages[^1].Content;
            var fields = new Dictionary<string, string>(p.Fields) { ["benchmark"] = Info.Id, ["judge_prompt"] = request };
            return p with { Messages = [.. p.Messages.SkipLast(1), new ChatMessage("user", template.Replace(Placeholder, request, StringComparison.Ordinal))], Fields = fields };
        }).ToList();
    }
}
