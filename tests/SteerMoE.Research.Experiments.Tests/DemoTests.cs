using SteerMoE.Research.Data.Tables;
using SteerMoE.Research.Tests;

namespace SteerMoE.Research.Experiments.Tests;

public class DemoTests
{
    [Fact]
    public void DemoRunsEachBehaviourBothWaysBesideTheRandomControlAndWritesTheReport()
    {
        string dir = RepoPaths.TempDir("demo");
        string specs = Path.Combine(dir, "specs");
        Directory.CreateDirectory(specs);
        string spec = SteeringExperimentTests.WriteSpec(specs, "{activate: [1], deactivate: [2], reverse: [false, true]}", "strategies: [authors, random]\n");
        File.WriteAllText(spec, File.ReadAllText(spec).Replace("name: tiny", "name: digits-vs-words"));
        string output = Path.Combine(dir, "out");
        var r = Cli.Run("demo", "--specs", specs, "--out", output);
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
        Assert.Contains("random_control", html);

        File.Delete(report);
        r = Cli.Run("report", output);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(html, File.ReadAllText(report));

        r = Cli.Run("report", Path.Combine(dir, "specs"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("registry.sqlite", r.Stderr);
    }
}
