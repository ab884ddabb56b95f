using System.CommandLine;

namespace SteerMoE.Research.Cli.Commands;

/// <summary>`steermoe rank --counts COUNTS.csv [--metric ID] --out RANKING.csv`: every statistic per expert, ranked.</summary>
internal static class RankCommand
{
    public static Command Create()
    {
        var counts = new Option<string>("--counts") { Description = "a CSV with columns layer, expert, a1, d1, a2, d2 (others ignored)", Required = true };
        var metric = new Option<string>("--metric") { Description = "metric to rank by (magnitude): rd, log-or, log-or-raw, log-rr, fisher", DefaultValueFactory = _ => "rd" };
        var output = new Option<string>("--out") { Description = "ranking.csv to write (atomically)", Required = true };
        var pairCounts = new Option<string?>("--pair-counts") { Description = "pair_counts.npy of the detect run (pair_tokens.npy beside it): fills the pair-level columns (permutation p, bootstrap RD interval, top-N stability)" };
        var pairedT = new Option<string?>("--paired-t") { Description = "paired_t.json of the detect run: fills paired_t, paired_t_df, paired_t_p (needs --pair-counts)" };
        var command = new Command("rank", "Compute RD, odds ratios, relative risk, intervals, Fisher p and BH q per expert (and, with --pair-counts, pair-level inference) and write them ranked by a metric.")
            { counts, metric, output, pairCounts, pairedT };
        var pairFlags = new PairInferenceFlags();
        pairFlags.AddTo(command);
        command.SetAction(result =>
        {
            var context = new SteerMoEContext(result.GetValue(pairFlags.Seed));
            string outPath = CommandRunner.Required(result, output);
            string? pairs = result.GetValue(pairCounts);
            if (pairs == null && result.GetValue(pairedT) != null) throw new ArgumentException("--paired-t: needs --pair-counts (the pair-level columns are computed together).");
            var ranking = pairs == null
                ? context.Detection.RankFile(CommandRunner.Required(result, counts), CommandRunner.Required(result, metric), outPath)
                : context.Detection.RankFile(CommandRunner.Required(result, counts), CommandRunner.Required(result, metric), outPath, pairs,
                    pairFlags.Options(result), result.GetValue(pairedT));
            var best = ranking.Experts[0];
            Console.WriteLine($"{outPath}: {ranking.Experts.Count} experts ranked by {ranking.Metric.Id} ({ranking.Metric.Column}); first: layer {best.Counts.Layer}, expert {best.Counts.Expert}, {ranking.Metric.Column} = {ranking.Metric.Score(best):G6}");
            return 0;
        });
        return command;
    }
}
