using System.Text;

namespace SteerMoE.Research.Evaluation.Benchmarks;

/// <summary>
/// The facts of every benchmark as a Markdown table, written from <see cref="BenchmarkInfo"/> so that
/// docs/BENCHMARKS.md cannot drift from the code (a test compares the two).
/// </summary>
public static class BenchmarkTable
{
    /// <summary>One row per benchmark: id, goal, dataset, split, default path, fields, prompt, scorer.</summary>
    public static string Markdown(IEnumerable<IBenchmark> benchmarks)
    {
        var sb = new StringBuilder();
        sb.Append("| id | goal | dataset | split | default path under `{data}` | fields used | prompt | scorer |\n");
        sb.Append("|---|---|---|---|---|---|---|---|\n");
        foreach (var info in benchmarks.Select(b => b.Info))
            sb.Append($"| `{info.Id}` | {info.Goal} | `{info.DatasetId}` | {info.Split} | `{info.DefaultPath}` | ")
              .Append(string.Join("; ", info.FieldsUsed.Select(f => $"`{f}`")))
              .Append($" | {Cell(info.PromptFormat)} | `{info.Scorer}` |\n");
        return sb.ToString();
    }

    // A pipe would end the cell early.
    private static string Cell(string text) => text.Replace("|", "\\|").Replace("\n", " ");
}
