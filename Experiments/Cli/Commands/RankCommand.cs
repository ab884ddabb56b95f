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
        var command = new Command("rank", "Compute RD, odds ratios, relative risk, intervals, Fisher p and BH q per expert and write them ranked by a metric.") { counts, metric, output };
        command.SetAction(result =>
        {
            var context = new SteerMoEContext();
            string outPath = CommandRunner.Required(result, output);
            var ranking = context.Detection.RankFile(CommandRunner.Required(result, counts), CommandRunner.Required(result, metric), outPath);
            var best = ranking.Experts[0];
            Console.WriteLine($"{outPath}: {ranking.Experts.Count} experts ranked by {ranking.Metric.Id} ({ranking.Metric.Column}); first: layer {best.Counts.Layer}, expert {best.Counts.Expert}, {ranking.Metric.Column} = {ranking.Metric.Score(best):G6}");
            return 0;
        });
        return command;
    }
}
