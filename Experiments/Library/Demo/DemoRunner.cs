using System.Globalization;
using SteerMoE.Research.Data.Tables;
using SteerMoE.Research.Registry;
using SteerMoE.Research.Running;

namespace SteerMoE.Research.Demo;

/// <summary>
/// The demo (docs/CONTRACTS.md §15): one steering experiment per behaviour spec (detect, rank, plan, steer both
/// directions with the random control beside it, evaluate) into a subfolder of the run folder, then a
/// before/after table (demo.csv) and report.html over all of them.
/// </summary>
public static class DemoRunner
{
    /// <summary>The folder of behaviour specs the demo runs by default, relative to the repository root.</summary>
    public const string DefaultSpecFolder = "Experiments/Library/Demo/Specs";

    /// <summary>The specs (*.yaml) of a folder, sorted; an error when there are none.</summary>
    public static IReadOnlyList<string> Specs(string folder)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{folder}: no such folder of behaviour specs (the embedded default model ships them in {DefaultSpecFolder}).");
        var specs = Directory.EnumerateFiles(folder, "*.yaml").Order(StringComparer.Ordinal).ToArray();
        if (specs.Length == 0) throw new FileNotFoundException($"{folder}: no *.yaml experiment specs in it.");
        return specs;
    }

    /// <summary>Runs (or resumes) every spec into <paramref name="outDir"/>/{spec name}; returns the before/after table, also written as demo.csv, and writes report.html.</summary>
    public static CsvTable Run(SteerMoEContext context, IReadOnlyList<string> specPaths, string outDir, Action<string>? log = null,
        Inference.Models.EngineDevice device = Inference.Models.EngineDevice.Cpu, Action<RunProgress>? progress = null)
    {
        var specs = specPaths.Select(context.Experiments.LoadSpec).ToArray();
        var duplicate = specs.GroupBy(s => s.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate != null) throw new FormatException($"{duplicate.Last().Source}: name: '{duplicate.Key}' is used by two specs; each behaviour needs its own name.");
        Directory.CreateDirectory(outDir);
        var rows = new List<string[]>();
        for (int i = 0; i < specs.Length; i++)
        {
            var spec = specs[i];
            progress?.Invoke(new RunProgress(RunProgress.Behaviours, i, specs.Length, "behaviours", spec.Name));
            var cells = context.Experiments.RunSteering(spec, Path.Combine(outDir, spec.Name), log: log, device: device, progress: progress);
            rows.AddRange(SummaryRows(spec.Name, cells));
        }
        progress?.Invoke(new RunProgress(RunProgress.Behaviours, specs.Length, specs.Length, "behaviours"));
        var table = new CsvTable(SummaryColumns, rows, "demo.csv");
        table.Save(Path.Combine(outDir, "demo.csv"));
        RunReport.Write(outDir, table);
        return table;
    }

    /// <summary>The columns of demo.csv.</summary>
    public static readonly string[] SummaryColumns =
        ["behaviour", "direction", "activate", "deactivate", "strength", "seed", "evaluator", "before", "steered", "random_control", "steered_p", "random_p", "steered_kl", "random_kl",
         "p_behaviour_1_before", "p_behaviour_1_steered", "p_behaviour_1_random", "p_behaviour_2_before", "p_behaviour_2_steered", "p_behaviour_2_random"];

    /// <summary>One row per authors cell and rate evaluator: the baseline rate, the steered rate and the random control of the same counts, and the mean first-token probabilities of each behaviour's answer in the three.</summary>
    public static IEnumerable<string[]> SummaryRows(string behaviour, IReadOnlyList<CellRecord> cells)
    {
        var done = cells.Where(c => c.Status == CellStatus.Done).ToArray();
        foreach (var steered in done.Where(c => c.Cell.Strategy == "authors"))
        {
            var baseline = done.FirstOrDefault(c => c.Cell.IsBaseline && c.Cell.Seed == steered.Cell.Seed);
            var random = done.FirstOrDefault(c => c.Cell == steered.Cell with { Strategy = "random" });
            if (baseline == null) continue;
            foreach (string rate in steered.Metrics.Keys.Where(k => k.EndsWith(".rate")).Order(StringComparer.Ordinal))
            {
                string evaluator = rate[..^".rate".Length];
                yield return
                [
                    behaviour, steered.Cell.Reverse ? "toward behaviour 2" : "toward behaviour 1", I(steered.Cell.Activate), I(steered.Cell.Deactivate),
                    CsvTable.Format(steered.Cell.Strength), I(steered.Cell.Seed), evaluator, M(baseline, rate), M(steered, rate), M(random, rate),
                    M(steered, evaluator + ".mcnemar_p"), M(random, evaluator + ".mcnemar_p"), M(steered, "kl_mean"), M(random, "kl_mean"),
                    M(baseline, P1), M(steered, P1), M(random, P1), M(baseline, P2), M(steered, P2), M(random, P2),
                ];
            }
        }
    }

    private const string P1 = "p_first_token.behaviour_1", P2 = "p_first_token.behaviour_2";

    private static string M(CellRecord? cell, string metric) => cell != null && cell.Metrics.TryGetValue(metric, out double v) ? CsvTable.Format(v) : "";
    private static string I(int v) => v.ToString(CultureInfo.InvariantCulture);
}
