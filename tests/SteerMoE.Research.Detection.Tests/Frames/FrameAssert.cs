using Microsoft.Data.Analysis;
using SteerMoE.Research.Tests;

namespace SteerMoE.Research.Detection.Tests.Frames;

/// <summary>Cell-by-cell equality of frames (doubles bit for bit, NaN equal to NaN, nulls equal to nulls).</summary>
public static class FrameAssert
{
    public static void Equal(DataFrame expected, DataFrame actual)
    {
        Assert.Equal(expected.Columns.Select(c => c.Name), actual.Columns.Select(c => c.Name));
        Assert.Equal(expected.Columns.Select(c => c.DataType), actual.Columns.Select(c => c.DataType));
        Assert.Equal(expected.Rows.Count, actual.Rows.Count);
        foreach (var column in expected.Columns)
            for (long r = 0; r < expected.Rows.Count; r++)
                Assert.True(Same(column[r], actual.Columns[column.Name][r]),
                    $"column '{column.Name}', row {r}: expected {column[r] ?? "null"}, found {actual.Columns[column.Name][r] ?? "null"}");
    }

    public static bool Same(object? a, object? b) => (a, b) switch
    {
        (null, null) => true,
        (double x, double y) => BitConverter.DoubleToInt64Bits(x) == BitConverter.DoubleToInt64Bits(y) || (double.IsNaN(x) && double.IsNaN(y)),
        _ => Equals(a, b),
    };

    /// <summary>A column's values as doubles (null as NaN).</summary>
    public static double[] Doubles(DataFrame frame, string column) => frame.Columns[column].Cast<object?>().Select(v => v is null ? double.NaN : Convert.ToDouble(v)).ToArray();

    /// <summary>A column's values as 64-bit integers (the column must have no null).</summary>
    public static long[] Longs(DataFrame frame, string column) => frame.Columns[column].Cast<object?>().Select(v => Convert.ToInt64(v!)).ToArray();
}

/// <summary>
/// The two count tables released by the paper's authors (OLMoE-1B-7B-0125-Instruct, faithfulness and safety), read in place
/// from the shared data folder beside the checkout (noncommercial research license: never copied into the project).
/// A test that needs them is skipped, saying so, when they are absent.
/// </summary>
public static class ReleasedTables
{
    public static string Folder => Path.GetFullPath(Path.Combine(RepoPaths.Root, "..", "shared", "data", "steermoe-released"));
    public static string Faithfulness => Path.Combine(Folder, "allenai__OLMoE-1B-7B-0125-Instruct.faithfulness.csv");
    public static string Safety => Path.Combine(Folder, "allenai__OLMoE-1B-7B-0125-Instruct.safety.csv");
    public static IEnumerable<object[]> Both => [[Faithfulness], [Safety]];

    // The tables come with the workspace (../shared/data, beside the clone), not with the repository: a clone elsewhere
    // skips these tests and says so.
    public static string? SkipUnlessPresent() =>
        File.Exists(Faithfulness) && File.Exists(Safety) ? null
        : $"the authors' released count tables are not at {Folder} (the workspace's shared/data beside the clone)";
}

/// <summary>A theory over both released tables; skipped when they are absent.</summary>
public sealed class ReleasedTablesTheoryAttribute : TheoryAttribute
{
    public ReleasedTablesTheoryAttribute() => Skip = ReleasedTables.SkipUnlessPresent();
}

/// <summary>A fact that needs the released tables; skipped when they are absent.</summary>
public sealed class ReleasedTablesFactAttribute : FactAttribute
{
    public ReleasedTablesFactAttribute() => Skip = ReleasedTables.SkipUnlessPresent();
}
