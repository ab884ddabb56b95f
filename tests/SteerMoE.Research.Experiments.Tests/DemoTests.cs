using SteerMoE.Research.Data.Tables;
using SteerMoE.Research.Tests;

namespace SteerMoE.Research.Experiments.Tests;

/// <summary>One demo run shared by the tests of <see cref="DemoTests"/>.</summary>
public sealed class DemoRun
{
    public DemoRun()
    {
        Directory = RepoPaths.TempDir("demo");
        string specs = Path.Combine(Directory, "specs");
        System.IO.Directory.CreateDirectory(specs);
        string spec = SteeringExperimentTests.WriteSpec(specs, "{activate: [1], deactivate: [2], reverse: [false, true]}", "strategies: [authors, random]\n");
        File.WriteAllText(spec, File.ReadAllText(spec).Replace("name: tiny", "name: digits-vs-words"));
        Output = Path.Combine(Directory, "out");
        Result = Cli.RunWithEveryProgressLine("demo", "--specs", specs, "--out", Output);
    }

    public string Directory { get; }
    public string Output { get; }
    public Cli.Result Result { get; }
}

public class DemoTests(DemoRun demo) : IClassFixture<DemoRun>
{
    [Fact]
    public void DemoProgressCountsBehavioursDetectionPairsCellsAndPrompts()
    {
        // One behaviour, 12 detection pairs (holdout 0.5 of 24), 5 cells; stdout names each cell as it starts.
        string err = "\n" + demo.Result.Stderr;
        string[] inOrder =
        [
            "\nbehaviours: 0/1 behaviours (0%), digits-vs-words, ", "\ndetection: 12/12 pairs (100%), ", "\ncells: 0/5 cells (0%), digits-vs-words, ",
            "\ngeneration: 12/12 prompts (100%), baseline, ", "\ncells: 5/5 cells (100%), digits-vs-words, ", "\nbehaviours: 1/1 behaviours (100%), ",
        ];
        var at = inOrder.Select(line => err.IndexOf(line, StringComparison.Ordinal)).ToArray();
        Assert.True(at.All(i => i >= 0) && at.SequenceEqual(at.Order()), $"expected in order: {string.Join(" | ", inOrder)}\n{demo.Result.Stderr}");
        Assert.Equal(4, System.Text.RegularExpressions.Regex.Count(err, @"\ngeneration: 12/12 prompts \(100%\), metric=rd/strategy=(authors|random)/"));
        Assert.Contains("cell 5/5: metric=rd/strategy=random/", demo.Result.Stdout);
    }

    [Fact]
    public void DemoRunsEachBehaviourBothWaysBesideTheRandomControlAndWritesTheReport()
    {
        string dir = demo.Directory, output = demo.Output;
        var r = demo.Result;
        Assert.True(r.ExitCode == 0, r.Stderr);
        var table = CsvTable.Load(Path.Combine(output, "demo.csv"));
        // 2 directions x 2 rate evaluators (digits-rate, words-rate); fluency is a mean, not in the table.
        Assert.Equal(4, table.Rows.Count);
        Assert.Equal(["toward behaviour 1", "toward behaviour 2"], table.Rows.Select(x => x[1]).Distinct().Order().ToArray());
        Assert.All(table.Rows, row => Assert.NotEqual("", row[table.ColumnIndex("random_control")]));
        Assert.Contains("digits-vs-words", r.Stdout);
        Assert.True(File.Exists(Path.Combine(output, "digits-vs-words", "registry.sqlite")));

        string report = Path.Combine(output, "report.html");
        string html = File.ReadAllText(report);
        Assert.Contains("<img src=\"data:image/png;base64,", html); // figures embedded as PNGs
        Assert.Contains("token-shading", html);
        Assert.Contains("random_<wbr>control", html);   // headers may break after "_"

        File.Delete(report);
        r = Cli.Run("report", output);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(html, File.ReadAllText(report));

        r = Cli.Run("report", Path.Combine(dir, "specs"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("registry.sqlite", r.Stderr);
    }

    /// <summary>
    /// report.html as a browser lays it out (headless Chromium, a 1280-pixel window): no table or figure reaches past
    /// the window (tables too wide are split in parts), and every number with a fraction shows at most 4 significant digits.
    /// </summary>
    [ChromiumFact]
    public void TheReportFitsA1280PixelWindowWithFourDigitNumbers()
    {
        Assert.True(demo.Result.ExitCode == 0, demo.Result.Stderr);
        string report = Path.Combine(demo.Output, "report.html");
        Chromium.Screenshot(report, Path.Combine(demo.Directory, "report.png"), 1280, 2400);
        Assert.True(new FileInfo(Path.Combine(demo.Directory, "report.png")).Length > 10_000);
        using var layout = Chromium.Measure(report, 1280);
        var root = layout.RootElement;
        int viewport = root.GetProperty("viewport").GetInt32();
        Assert.Equal(1280, viewport);
        Assert.True(root.GetProperty("page").GetInt32() <= viewport, $"the page scrolls sideways: {root.GetProperty("page")} px wide");
        var tables = root.GetProperty("tables").EnumerateArray().Select(t => t.GetInt32()).ToArray();
        Assert.True(tables.Length >= 3, $"{tables.Length} tables");
        Assert.All(tables, right => Assert.True(right <= viewport, $"a table ends at {right} px, past the {viewport}-pixel window"));
        Assert.All(root.GetProperty("images").EnumerateArray(), i => Assert.True(i.GetInt32() <= viewport, $"a figure ends at {i} px"));
        var fractions = root.GetProperty("cells").EnumerateArray().Select(c => c.GetString()!)
            .Where(c => System.Text.RegularExpressions.Regex.IsMatch(c, @"^-?\d+\.\d+(E[-+]\d+)?$")).ToArray();
        Assert.True(fractions.Length > 50, $"{fractions.Length} numbers with a fraction");
        Assert.All(fractions, c => Assert.True(SignificantDigits(c) <= 4, $"'{c}' shows {SignificantDigits(c)} significant digits"));
    }

    private static int SignificantDigits(string number) =>
        number.Split('E')[0].TrimStart('-').Replace(".", "").TrimStart('0').Length;
}
