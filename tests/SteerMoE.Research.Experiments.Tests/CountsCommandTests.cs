using SteerMoE.Research.Tests;

namespace SteerMoE.Research.Experiments.Tests;

public class CountsCommandTests
{
    [Fact]
    public void PrintsShapeAndTokenTotals()
    {
        string path = Path.Combine(RepoPaths.TempDir("counts-cmd"), "c.csv");
        File.WriteAllText(path, "layer,expert,a1,d1,a2,d2\n0,0,3,7,4,16\n0,1,5,5,0,20\n1,0,1,9,20,0\n");
        var r = Cli.Run("counts", "--counts", path);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("3 rows, layers 0..1, experts 0..1, N1 = 10 tokens (side 1), N2 = 20 tokens (side 2)", r.Stdout);
    }

    [Fact]
    public void BadTableExitsTwoWithOneClearLine()
    {
        string path = Path.Combine(RepoPaths.TempDir("counts-bad"), "c.csv");
        File.WriteAllText(path, "layer,expert,a1,d1,a2,d2\n0,0,3,7,4,16\n0,1,5,6,0,20\n");
        var r = Cli.Run("counts", "--counts", path);
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith("steermoe: error: " + path + ": layer 0, expert 1: a1+d1 = 11", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr); // no stack trace
    }
}
