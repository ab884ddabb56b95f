using SteerMoE.Research.Data.Tables;
using SteerMoE.Research.Registry;
using SteerMoE.Research.Running;
using SteerMoE.Research.Specs;
using SteerMoE.Research.Tests;

namespace SteerMoE.Research.Experiments.Tests;

public class ExperimentRunnerTests
{
    /// <summary>Computes a metric that is a known function of the cell, counts its calls, and can fail on one cell.</summary>
    private sealed class ArithmeticExecutor(string? failOn = null) : IExperimentExecutor
    {
        public List<string> Executed { get; } = [];
        public int Prepared { get; private set; }
        public void Prepare(ExperimentRun run) => Prepared++;
        public void Validate(ExperimentCell cell, ExperimentRun run)
        {
            if (cell.Activate > 50) throw new ArgumentException($"cell {cell.Key}: asks for {cell.Activate} experts to activate, the ranking has 50 with that sign.");
        }
        public CellResult Execute(ExperimentCell cell, ExperimentRun run)
        {
            if (cell.Key == failOn) throw new InvalidOperationException("interrupted");
            Executed.Add(cell.Key);
            string artifact = $"cells/{Executed.Count}.txt";
            AtomicWrite(Path.Combine(run.Directory, artifact), cell.Key);
            return new CellResult(new Dictionary<string, double> { ["score"] = cell.Activate * 10 + cell.Deactivate + (cell.Reverse ? 0.5 : 0) },
                new Dictionary<string, string> { ["note"] = artifact });
        }
        private static void AtomicWrite(string path, string text) => SteerMoE.Research.Data.Files.AtomicFile.WriteAllText(path, text);
    }

    private static ExperimentSpec Spec(string activate = "[1, 2]") => ExperimentSpec.Parse(
        $"name: t\nmodel: none\npairs: none.jsonl\nstrategies: [authors]\ngrid:\n  activate: {activate}\n  deactivate: [0, 3]\n  reverse: [false, true]\n", "spec.yaml");

    [Fact]
    public void ProgressCountsTheCellsLeftAndTheLogNamesEachCell()
    {
        string dir = RepoPaths.TempDir("runner-progress");
        var spec = Spec();
        var cells = ExperimentCell.Enumerate(spec);
        var first = new ArithmeticExecutor(failOn: cells[3].Key);
        Assert.Throws<InvalidOperationException>(() => ExperimentRunner.Run(new SteerMoEContext(), spec, dir, first));

        // Resumed with 3 of 9 done: 0/6 before the first cell, then one report per finished cell; the log names each cell as
        // it starts and, with a progress callback, prints no lines of time left.
        var log = new List<string>();
        var progress = new List<RunProgress>();
        ExperimentRunner.Run(new SteerMoEContext(), spec, dir, new ArithmeticExecutor(), log.Add, progress.Add);
        Assert.Equal(Enumerable.Range(0, 7).Select(k => new RunProgress(RunProgress.Cells, k, 6, "cells", "t")), progress);
        Assert.Equal(["t: 9 cells, 3 already done", .. cells.Skip(3).Select((c, i) => $"cell {i + 1}/6: {c.Key}")], log);

        // Without one, the log gets the count and the time left after each cell.
        string other = RepoPaths.TempDir("runner-progress-log");
        var lines = new List<string>();
        ExperimentRunner.Run(new SteerMoEContext(), spec, other, new ArithmeticExecutor(), lines.Add);
        Assert.Equal(9, lines.Count(l => l.StartsWith("done ", StringComparison.Ordinal) && l.Contains(" s to go: ")));
        Assert.Contains(lines, l => l.StartsWith("done 9/9 (100%), ", StringComparison.Ordinal));
    }

    [Fact]
    public void InterruptedRunResumesWithoutRecomputingFinishedCells()
    {
        string dir = RepoPaths.TempDir("runner");
        var spec = Spec();
        var cells = ExperimentCell.Enumerate(spec);
        Assert.Equal(1 + 2 * 2 * 2, cells.Count);

        var first = new ArithmeticExecutor(failOn: cells[4].Key);
        Assert.Throws<InvalidOperationException>(() => ExperimentRunner.Run(new SteerMoEContext(), spec, dir, first));
        Assert.Equal(4, first.Executed.Count);

        using (var reg = RunRegistry.Open(dir)) // a process killed mid-cell leaves it "Running"
            reg.MarkRunning(cells[5].Key);

        var second = new ArithmeticExecutor();
        var records = ExperimentRunner.Run(new SteerMoEContext(), spec, dir, second);
        Assert.Equal(cells.Skip(4).Select(c => c.Key), second.Executed); // only the unfinished ones
        Assert.All(records, r => Assert.Equal(CellStatus.Done, r.Status));

        var results = CsvTable.Load(Path.Combine(dir, "results.csv"));
        Assert.Equal(cells.Count, results.Rows.Count);
        int score = results.ColumnIndex("score"), key = results.ColumnIndex("key");
        var byKey = Enumerable.Range(0, results.Rows.Count).ToDictionary(r => results.Text(r, key), r => results.Double(r, score));
        Assert.Equal(23.5, byKey["metric=rd/strategy=authors/activate=2/deactivate=3/reverse=true/strength=1/seed=0"]);
        Assert.Equal(0, byKey[cells[0].Key]);

        var third = new ArithmeticExecutor();
        ExperimentRunner.Run(new SteerMoEContext(), spec, dir, third);
        Assert.Empty(third.Executed);
    }

    [Fact]
    public void InvalidCellFailsBeforeAnyCellRuns()
    {
        string dir = RepoPaths.TempDir("runner-invalid");
        var ex = new ArithmeticExecutor();
        var e = Assert.Throws<ArgumentException>(() => ExperimentRunner.Run(new SteerMoEContext(), Spec("[1, 60]"), dir, ex));
        Assert.Contains("asks for 60 experts", e.Message);
        Assert.Empty(ex.Executed);
    }

    [Fact]
    public void ADifferentSpecInTheSameFolderIsRefused()
    {
        string dir = RepoPaths.TempDir("runner-spec");
        ExperimentRunner.Run(new SteerMoEContext(), Spec(), dir, new ArithmeticExecutor());
        var e = Assert.Throws<InvalidDataException>(() => ExperimentRunner.Run(new SteerMoEContext(), Spec("[1]"), dir, new ArithmeticExecutor()));
        Assert.Contains("holds a different spec", e.Message);
    }
}

public class ExperimentResumeChecksTests
{
    private sealed class NullExecutor(int maxActivate = 100) : IExperimentExecutor
    {
        public int Executed { get; private set; }
        public void Prepare(ExperimentRun run) { }
        public void Validate(ExperimentCell cell, ExperimentRun run)
        {
            if (cell.Activate > maxActivate) throw new ArgumentException($"cell {cell.Key}: too many experts.");
        }
        public CellResult Execute(ExperimentCell cell, ExperimentRun run)
        {
            Executed++;
            return new CellResult(new Dictionary<string, double> { ["x"] = cell.Activate }, new Dictionary<string, string>());
        }
    }

    private static ExperimentSpec Spec(string pairs, string activate = "[1]") =>
        ExperimentSpec.Parse($"name: t\nmodel: none\npairs: {pairs}\nstrategies: [authors]\ngrid:\n  activate: {activate}\n", "spec.yaml");

    [Fact]
    public void AResumeAfterAnInputChangedIsRefusedNamingTheFile()
    {
        string dir = RepoPaths.TempDir("runner-inputs");
        string pairs = Path.Combine(dir, "p.jsonl");
        File.WriteAllText(pairs, "one\n");
        string run = Path.Combine(dir, "run");
        ExperimentRunner.Run(new SteerMoEContext(), Spec(pairs), run, new NullExecutor());
        File.WriteAllText(pairs, "two\n");
        var e = Assert.Throws<InvalidDataException>(() => ExperimentRunner.Run(new SteerMoEContext(), Spec(pairs), run, new NullExecutor()));
        Assert.Contains("inputs changed since the run began: pairs (sha256 ", e.Message);
        Assert.Contains("--force-new", e.Message);
        // --force-new's folder is beside it, and the old run is untouched.
        string fresh = ExperimentRunner.FreshRunDirectory(run);
        Assert.Equal(run + "-2", fresh);
        var executor = new NullExecutor();
        ExperimentRunner.Run(new SteerMoEContext(), Spec(pairs), fresh, executor);
        Assert.Equal(2, executor.Executed);
        Assert.Equal(run + "-3", ExperimentRunner.FreshRunDirectory(run));
        Assert.Equal(2, CsvTable.Load(Path.Combine(run, "results.csv")).Rows.Count);
    }

    [Fact]
    public void ASpecCorrectedAfterFailingValidationRunsInTheSameFolder()
    {
        string dir = RepoPaths.TempDir("runner-corrected");
        File.WriteAllText(Path.Combine(dir, "p.jsonl"), "x\n");
        string pairs = Path.Combine(dir, "p.jsonl");
        Assert.Throws<ArgumentException>(() => ExperimentRunner.Run(new SteerMoEContext(), Spec(pairs, "[1, 500]"), dir, new NullExecutor()));
        var executor = new NullExecutor();
        var cells = ExperimentRunner.Run(new SteerMoEContext(), Spec(pairs, "[1, 50]"), dir, executor);
        Assert.Equal(3, executor.Executed);
        Assert.All(cells, c => Assert.Equal(CellStatus.Done, c.Status));
    }
}
