using System.CommandLine;
using System.Globalization;

namespace SteerMoE.Research.Cli.Commands;

/// <summary>`steermoe compare --counts COUNTS.csv --metrics rd,log-or[,...] [--top 10,50,100] [--out FILE.csv]`: how the metrics' rankings agree.</summary>
internal static class CompareCommand
{
    public static Command Create()
    {
        var counts = new Option<string>("--counts") { Description = "a CSV with columns layer, expert, a1, d1, a2, d2 (others ignored)", Required = true };
        var metrics = new Option<string>("--metrics") { Description = "comma-separated metric ids, at least two (rd, log-or, log-or-raw, log-rr, fisher, probe: needs --pair-counts)", Required = true };
        var top = new Option<string>("--top") { Description = "comma-separated N of the top-N overlaps", DefaultValueFactory = _ => "10,50,100" };
        var output = new Option<string>("--out") { Description = "also write the agreement table as CSV (atomically)" };
        var pairCounts = new Option<string?>("--pair-counts") { Description = "pair_counts.npy of the detect run that wrote --counts (pair_tokens.npy beside it): for the probe metric" };
        var seed = new Option<int>("--seed") { Description = "the context seed (the probe's folds)", DefaultValueFactory = _ => 0 };
        var command = new Command("compare", "Agreement of the expert rankings by several metrics: Spearman, Kendall tau-b, top-N Jaccard, the N at which they part.") { counts, metrics, top, output, pairCounts, seed };
        var probeFlags = new ProbeFlags();
        probeFlags.AddTo(command);
        command.SetAction(result =>
        {
            var context = new SteerMoEContext(result.GetValue(seed));
            var table = context.Data.LoadCounts(CommandRunner.Required(result, counts));
            string ids = CommandRunner.Required(result, metrics);
            var topN = ParseTop(CommandRunner.Required(result, top));
            var comparison = result.GetValue(pairCounts) is { } pairsPath
                ? context.Detection.CompareMetrics(table, ids, topN, Detection.Collection.PairCountsFile.Load(pairsPath), probeFlags.Options(result), pairsPath)
                : context.Detection.CompareMetrics(table, ids, topN);
            var csv = comparison.ToCsv();
            Console.WriteLine($"{table.Source}: {comparison.ExpertCount} experts");
            if (comparison.Probe is { } probe) Console.WriteLine(ProbeFlags.Describe(probe));
            var widths = csv.Columns.Select((c, i) => Math.Max(c.Length, csv.Rows.Max(r => Shorten(r[i]).Length))).ToArray();
            Console.WriteLine(string.Join("  ", csv.Columns.Select((c, i) => c.PadRight(widths[i]))));
            foreach (var row in csv.Rows) Console.WriteLine(string.Join("  ", row.Select((c, i) => Shorten(c).PadRight(widths[i]))));
            if (result.GetValue(output) is { } path) { csv.Save(path); Console.WriteLine($"{path}: written"); }
            return 0;
        });
        return command;
    }

    private static IReadOnlyList<int> ParseTop(string text) =>
        text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(s =>
            int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ? n
            : throw new ArgumentException($"--top: '{s}' is not a positive integer (expected e.g. 10,50,100).")).ToList();

    // Printed numbers to 4 decimals; the CSV keeps them round-trip.
    private static string Shorten(string cell) =>
        double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && cell.Contains('.')
            ? v.ToString("F4", CultureInfo.InvariantCulture) : cell;
}
