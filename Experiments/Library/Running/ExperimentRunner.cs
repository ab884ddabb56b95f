using System.Diagnostics;
using System.Globalization;
using SteerMoE.Research.Data.Files;
using SteerMoE.Research.Data.Tables;
using SteerMoE.Research.Detection.Sharding;
using SteerMoE.Research.Registry;
using SteerMoE.Research.Specs;

namespace SteerMoE.Research.Running;

/// <summary>What a cell produced: named metrics and the paths (relative to the run folder) of its artifacts.</summary>
public sealed record CellResult(IReadOnlyDictionary<string, double> Metrics, IReadOnlyDictionary<string, string> Artifacts);

/// <summary>A run in progress: its spec, folder, context and registry.</summary>
public sealed record ExperimentRun(ExperimentSpec Spec, string Directory, SteerMoEContext Context, RunRegistry Registry);

/// <summary>
/// Does the model work of an experiment. <see cref="Prepare"/> runs once per invocation before any cell
/// (detection, rankings; it must reuse what an earlier interrupted invocation already wrote),
/// <see cref="Validate"/> checks every cell before any cell runs (e.g. a grid asking for more experts than
/// have that sign), <see cref="Execute"/> runs one cell.
/// </summary>
public interface IExperimentExecutor
{
    /// <summary>Work shared by all cells; idempotent across resumed invocations.</summary>
    void Prepare(ExperimentRun run);
    /// <summary>Throws a FormatException/ArgumentException naming the cell when it cannot be run.</summary>
    void Validate(ExperimentCell cell, ExperimentRun run);
    /// <summary>Runs one cell.</summary>
    CellResult Execute(ExperimentCell cell, ExperimentRun run);
}

/// <summary>
/// Runs every cell of a spec that the run folder's registry does not already hold as done, recording each
/// in the registry as it finishes and rewriting results.csv after every cell, so that a run killed at any
/// point resumes where it stopped and loses nothing.
/// </summary>
public static class ExperimentRunner
{
    /// <summary>
    /// Runs (or resumes) the experiment into <paramref name="runDirectory"/>; returns the registry's cells.
    /// <paramref name="log"/> gets one line as each cell starts; the cells done so far go to <paramref name="progress"/>
    /// when given, else to the log with the time left. With <paramref name="slice"/> (`--cells I/N`) only that contiguous
    /// slice of the cells (in <see cref="ExperimentCell.Enumerate"/> order) runs, recorded in its own registry
    /// RUN/cells.shards/I-of-N (a SQLite file per process: slices may run at once on several machines over a shared
    /// folder); <see cref="MergeCells"/> gathers them into RUN/registry.sqlite.
    /// </summary>
    public static IReadOnlyList<CellRecord> Run(SteerMoEContext context, ExperimentSpec spec, string runDirectory,
        IExperimentExecutor executor, Action<string>? log = null, Action<RunProgress>? progress = null, Shard? slice = null)
    {
        var cells = ExperimentCell.Enumerate(spec);
        string registryDirectory = slice is { } s ? CellShardDirectory(runDirectory, s) : runDirectory;
        using var registry = RunRegistry.Open(registryDirectory);
        registry.Begin(spec, cells, HashInputs(spec), CodeCommit());
        var run = new ExperimentRun(spec, runDirectory, context, registry);
        executor.Prepare(run);
        foreach (var cell in cells) executor.Validate(cell, run);

        var mine = SliceKeys(cells, slice);
        var done = registry.Cells().Where(c => c.Status == CellStatus.Done).Select(c => c.Key).ToHashSet();
        done.IntersectWith(mine);
        log?.Invoke(slice is { } part ? $"{spec.Name}: cells {part} of {cells.Count}: {mine.Count} cells, {done.Count} already done" : $"{spec.Name}: {cells.Count} cells, {done.Count} already done");
        int todo = mine.Count - done.Count, started = 0;
        var clock = Stopwatch.StartNew();
        progress?.Invoke(new RunProgress(RunProgress.Cells, 0, todo, "cells", spec.Name));
        foreach (var cell in cells)
        {
            if (done.Contains(cell.Key) || !mine.Contains(cell.Key)) continue;
            started++;
            log?.Invoke($"cell {started}/{todo}: {cell.Key}");
            registry.MarkRunning(cell.Key);
            try
            {
                var result = executor.Execute(cell, run);
                registry.MarkDone(cell.Key, result.Metrics, result.Artifacts);
            }
            catch (Exception e)
            {
                registry.MarkFailed(cell.Key, e.Message);
                WriteResults(registry, registryDirectory);
                throw;
            }
            WriteResults(registry, registryDirectory);
            progress?.Invoke(new RunProgress(RunProgress.Cells, started, todo, "cells", spec.Name));
            double elapsed = clock.Elapsed.TotalSeconds, eta = elapsed / started * (todo - started);
            if (progress is null) log?.Invoke(string.Create(CultureInfo.InvariantCulture, $"done {started}/{todo} ({100.0 * started / todo:F0}%), {elapsed:F0} s elapsed, about {eta:F0} s to go: {cell.Key}"));
        }
        WriteResults(registry, registryDirectory);
        return registry.Cells();
    }

    /// <summary>The registry folder of a slice of the cells: RUN/cells.shards/I-of-N (registry.sqlite, results.csv).</summary>
    public static string CellShardDirectory(string runDirectory, Shard slice) => Path.Combine(runDirectory, "cells.shards", slice.FolderName);

    // The keys of the slice's cells (every cell without a slice).
    private static HashSet<string> SliceKeys(IReadOnlyList<ExperimentCell> cells, Shard? slice)
    {
        var (start, end) = slice?.Range(cells.Count) ?? (0, cells.Count);
        return cells.Skip((int)start).Take((int)(end - start)).Select(c => c.Key).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>
    /// Gathers the slices RUN/cells.shards/I-of-N (all N of them, one N) into RUN/registry.sqlite and writes RUN/results.csv
    /// (docs/CONTRACTS.md §13): every slice must have been run with this spec and these inputs, and each of its cells be done;
    /// errors name the slice and the cell. Cells are copied with their metrics, artifacts and times.
    /// </summary>
    public static IReadOnlyList<CellRecord> MergeCells(ExperimentSpec spec, string runDirectory)
    {
        var cells = ExperimentCell.Enumerate(spec);
        string shardsDir = Path.Combine(runDirectory, "cells.shards");
        var folders = Directory.Exists(shardsDir) ? Directory.GetDirectories(shardsDir).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray() : [];
        if (folders.Length == 0) throw new DirectoryNotFoundException($"{shardsDir}: no slices of the cells (run experiment run SPEC --out {runDirectory} --cells I/N first).");
        var slices = folders.Select(f =>
        {
            var parts = f!.Split("-of-");
            try { return Shard.Parse(parts.Length == 2 ? $"{parts[0]}/{parts[1]}" : f, "--cells"); }
            catch (FormatException) { throw new InvalidDataException($"{Path.Combine(shardsDir, f)}: not a slice folder (expected I-of-N)."); }
        }).ToArray();
        var splits = slices.Select(x => x.Count).Distinct().Order().ToArray();
        if (splits.Length > 1)
            throw new InvalidDataException($"{shardsDir}: holds slices of {string.Join(" and of ", splits)} cells shards; remove the folders of the split that is not wanted.");
        int n = splits[0];
        for (int i = 1; i <= n; i++)
            if (!slices.Contains(new Shard(i, n))) throw new InvalidDataException($"{shardsDir}: missing slice {i}/{n} of the cells.");
        var hashes = HashInputs(spec);
        using var registry = RunRegistry.Open(runDirectory);
        registry.Begin(spec, cells, hashes, CodeCommit());
        foreach (var slice in slices.OrderBy(x => x.Index))
        {
            string dir = CellShardDirectory(runDirectory, slice);
            using var part = RunRegistry.Open(dir);
            part.Begin(spec, cells, hashes, CodeCommit());   // refuses a slice of another spec or of changed inputs
            var recorded = part.Cells().ToDictionary(c => c.Key, StringComparer.Ordinal);
            foreach (string key in SliceKeys(cells, slice))
            {
                var cell = recorded[key];
                if (cell.Status != CellStatus.Done)
                    throw new InvalidDataException($"{part.Path}: cell {key} is {cell.Status.ToString().ToLowerInvariant()}{(cell.Error is { } e ? $" ({e})" : "")}; rerun slice {slice} (experiment run --cells {slice}) before merging.");
                registry.CopyCell(part, key);
            }
        }
        WriteResults(registry, runDirectory);
        return registry.Cells();
    }

    /// <summary>
    /// The run folder <c>--force-new</c> writes to: <paramref name="runDirectory"/> when it holds no run yet, else the first
    /// of <c>{runDirectory}-2</c>, <c>-3</c>, ... that holds none (the existing run is left as it is).
    /// </summary>
    public static string FreshRunDirectory(string runDirectory)
    {
        static bool HasRun(string d) => File.Exists(Path.Combine(d, "registry.sqlite"));
        if (!HasRun(runDirectory)) return runDirectory;
        string trimmed = Path.TrimEndingDirectorySeparator(runDirectory);
        for (int i = 2; ; i++)
            if (!HasRun($"{trimmed}-{i}")) return $"{trimmed}-{i}";
    }

    /// <summary>Writes results.csv (one row per cell: parameters, status, every metric) atomically.</summary>
    public static void WriteResults(RunRegistry registry, string runDirectory)
    {
        var cells = registry.Cells();
        var metricNames = cells.SelectMany(c => c.Metrics.Keys).Distinct().Order(StringComparer.Ordinal).ToArray();
        string[] header = ["key", "metric", "strategy", "activate", "deactivate", "reverse", "strength", "seed", "status", .. metricNames];
        var rows = cells.Select(c => new[]
        {
            c.Key, c.Cell.Metric, c.Cell.Strategy, I(c.Cell.Activate), I(c.Cell.Deactivate), c.Cell.Reverse ? "true" : "false",
            CsvTable.Format(c.Cell.Strength), I(c.Cell.Seed), c.Status.ToString().ToLowerInvariant(),
        }.Concat(metricNames.Select(m => c.Metrics.TryGetValue(m, out double v) ? CsvTable.Format(v) : "")).ToArray()).ToList();
        new CsvTable(header, rows, "results.csv").Save(Path.Combine(runDirectory, "results.csv"));
    }

    private static string I(int v) => v.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// sha256 of the experiment's inputs: the model folder's config, weights, tokenizer and template files, the pairs and
    /// evaluation files, every benchmark file, the AIM template and each judge model's files.
    /// </summary>
    public static Dictionary<string, string> HashInputs(ExperimentSpec spec)
    {
        var hashes = new Dictionary<string, string>(StringComparer.Ordinal);
        void Model(string key, string dir)
        {
            if (Directory.Exists(dir))
                foreach (var (name, hash) in FileHash.HashModelFiles(dir))   // the set detect records; hashed once per process
                    hashes[key + "/" + name] = hash;
        }
        void DataFile(string key, string? path)
        {
            if (path == null) return;
            if (File.Exists(path)) hashes[key] = FileHash.Sha256(path);
            else if (Directory.Exists(path))
                foreach (string file in Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
                    hashes[key + "/" + Path.GetRelativePath(path, file).Replace('\\', '/')] = FileHash.Sha256(file);
        }
        if (spec.Model.Length > 0) Model("model", spec.Resolve(spec.Model));
        if (spec.Pairs.Length > 0) DataFile("pairs", spec.ResolveData(spec.Pairs));
        DataFile("evaluation", spec.Evaluation is null ? null : spec.Resolve(spec.Evaluation));
        foreach (var b in spec.Benchmarks) DataFile("benchmark/" + b.Id, spec.Data is null && b.Path is null ? null : BenchmarkCatalog.PathOf(b, spec));
        DataFile("aim_template", spec.AimTemplate is null ? null : spec.ResolveData(spec.AimTemplate));
        foreach (var (id, dir) in spec.Judges) Model("judge/" + id, spec.Resolve(dir));
        return hashes;
    }

    /// <summary>The git commit of the code that runs (with "+dirty" when the work tree has changes), or null outside a checkout.</summary>
    public static string? CodeCommit()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            if (!Directory.Exists(Path.Combine(dir.FullName, ".git")) && !File.Exists(Path.Combine(dir.FullName, ".git"))) continue;
            string? head = Git(dir.FullName, "rev-parse HEAD");
            if (head == null) return null;
            string? status = Git(dir.FullName, "status --porcelain --untracked-files=no");
            return string.IsNullOrWhiteSpace(status) ? head : head + "+dirty";
        }
        return null;
    }

    private static string? Git(string dir, string args)
    {
        try
        {
            var psi = new ProcessStartInfo("git", $"-C \"{dir}\" {args}") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            using var p = Process.Start(psi)!;
            string output = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit();
            return p.ExitCode == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception) { return null; } // git not installed
    }
}
