using System.CommandLine;
using SteerMoE.Research.Detection.Probe;

namespace SteerMoE.Research.Cli.Commands;

/// <summary>`steermoe rank --counts COUNTS.csv [--metric ID] --out RANKING.csv`: every statistic per expert, ranked.</summary>
internal static class RankCommand
{
    public static Command Create()
    {
        var counts = new Option<string>("--counts") { Description = "a CSV with columns layer, expert, a1, d1, a2, d2 (others ignored)", Required = true };
        var metric = new Option<string>("--metric") { Description = "metric to rank by (magnitude): rd, log-or, log-or-raw, log-rr, fisher, probe (needs --pair-counts)", DefaultValueFactory = _ => "rd" };
        var output = new Option<string>("--out") { Description = "ranking.csv to write (atomically)", Required = true };
        var pairCounts = new Option<string?>("--pair-counts") { Description = "pair_counts.npy of the detect run (pair_tokens.npy beside it): fills the pair-level columns (permutation p, bootstrap RD interval, top-N stability)" };
        var pairedT = new Option<string?>("--paired-t") { Description = "paired_t.json of the detect run: fills paired_t, paired_t_df, paired_t_p (needs --pair-counts)" };
        var command = new Command("rank", "Compute RD, odds ratios, relative risk, intervals, Fisher p and BH q per expert (and, with --pair-counts, pair-level inference) and write them ranked by a metric.")
            { counts, metric, output, pairCounts, pairedT };
        var pairFlags = new PairInferenceFlags();
        pairFlags.AddTo(command);
        var probeFlags = new ProbeFlags();
        probeFlags.AddTo(command);
        command.SetAction(result =>
        {
            var context = new SteerMoEContext(result.GetValue(pairFlags.Seed));
            string outPath = CommandRunner.Required(result, output);
            string? pairs = result.GetValue(pairCounts);
            if (pairs == null && result.GetValue(pairedT) != null) throw new ArgumentException("--paired-t: needs --pair-counts (the pair-level columns are computed together).");
            // The probe (probe_weight, probe.csv, probe.json) is fitted for --metric probe or when a --probe-* flag is given.
            bool probeAsked = new Option[] { probeFlags.Folds, probeFlags.L1, probeFlags.L2 }.Any(o => result.GetResult(o) is { Implicit: false });
            if (pairs == null && probeAsked) throw new ArgumentException("--probe-folds/--probe-l1/--probe-l2: the probe needs --pair-counts RUN_DIR/pair_counts.npy.");
            var ranking = pairs == null
                ? context.Detection.RankFile(CommandRunner.Required(result, counts), CommandRunner.Required(result, metric), outPath)
                : context.Detection.RankFile(CommandRunner.Required(result, counts), CommandRunner.Required(result, metric), outPath, pairs,
                    pairFlags.Options(result), result.GetValue(pairedT), probeAsked || result.GetValue(metric) == "probe" ? probeFlags.Options(result) : null);
            var best = ranking.Experts[0];
            Console.WriteLine($"{outPath}: {ranking.Experts.Count} experts ranked by {ranking.Metric.Id} ({ranking.Metric.Column}); first: layer {best.Counts.Layer}, expert {best.Counts.Expert}, {ranking.Metric.Column} = {ranking.Metric.Score(best):G6}");
            if (ranking.Probe is { } probe)
                Console.WriteLine($"{ProbeFlags.Describe(probe)}; {ProbeResult.CsvName} and {ProbeResult.SummaryName} beside {outPath}");
            return 0;
        });
        return command;
    }
}
