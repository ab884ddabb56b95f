using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using SteerMoE.Research.Data.Datasets;
using SteerMoE.Research.Generation;
using SteerMoE.Research.Inference.Text;

namespace SteerMoE.Research.Evaluation.Benchmarks;

/// <summary>What every loader shares: reading the rows, building a prompt with the §17 fields, lettered options.</summary>
public static class BenchmarkPrompts
{
    /// <summary>The option labels the multiple-choice prompts use, by position.</summary>
    public static string Label(int index) => ((char)('A' + index)).ToString();

    /// <summary>The rows of a benchmark's local copy; none at all is an error naming the dataset to download.</summary>
    public static IReadOnlyList<DatasetRow> Rows(BenchmarkInfo info, string path)
    {
        var rows = DatasetFiles.Read(path);
        return rows.Count > 0 ? rows
            : throw new FormatException($"{path}: no rows; expected {info.DatasetId} ({info.Split} split), docs/BENCHMARKS.md#{info.Id}.");
    }

    /// <summary>A user prompt for one row, with <c>benchmark</c> and the given fields; its id is <c>file:row</c>.</summary>
    public static GenerationPrompt Create(BenchmarkInfo info, DatasetRow row, string text, params (string Name, string Value)[] fields)
    {
        var all = new Dictionary<string, string>(StringComparer.Ordinal) { ["benchmark"] = info.Id };
        foreach (var (name, value) in fields) all[name] = value;
        return new GenerationPrompt($"{Path.GetFileName(row.File)}:{row.Number}", [new ChatMessage("user", text)], all);
    }

    private static readonly JsonSerializerOptions ListOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A list field's text: a JSON array of strings, non-ASCII unescaped.</summary>
    public static string JsonList(IEnumerable<string> items) => JsonSerializer.Serialize(items.ToArray(), ListOptions);

    /// <summary>The options one a line, <c>A. text</c>, labelled by position.</summary>
    public static string Options(IReadOnlyList<string> texts)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < texts.Count; i++) sb.Append(Label(i)).Append(". ").Append(texts[i]).Append('\n');
        return sb.ToString();
    }

    /// <summary>The multiple-choice fields: <c>choices</c>, <c>choice_labels</c> (A, B, ... by position) and <c>answer_label</c>.</summary>
    public static (string, string)[] ChoiceFields(IReadOnlyList<string> texts, int answerIndex) =>
    [
        ("choices", JsonList(texts)),
        ("choice_labels", JsonList(texts.Select((_, i) => Label(i)))),
        ("answer_label", Label(answerIndex)),
    ];
}
