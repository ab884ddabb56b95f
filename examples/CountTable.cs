#!/usr/bin/env dotnet
// CountTable: everything that needs only a routing-count table (no model): rank the experts by two metrics,
// compare the two rankings, select plans, and draw the figures.
// `dotnet run examples/CountTable.cs [-- COUNTS.csv [OUT_DIR]]`; the default table is the default model's
// counting counts (examples/data/counting.counts.csv, made by `./steermoe detect`), OUT_DIR a new temporary folder.
#:project ../Experiments/Library/SteerMoE.Research.csproj
#:property PublishAot=false
#:property InvariantGlobalization=true

using SteerMoE.Research;
using SteerMoE.Research.Catalogs;
using SteerMoE.Research.Steering.Plans;

string here = AppContext.GetData("EntryPointFileDirectoryPath") as string ?? Directory.GetCurrentDirectory();
string countsPath = args.Length > 0 ? args[0] : Path.Combine(here, "data", "counting.counts.csv");
string outDir = args.Length > 1 ? args[1] : Directory.CreateTempSubdirectory("steermoe-count-table-").FullName;

var ml = new SteerMoEContext(seed: 0);

// 1. The table: per (layer, expert), a1/d1 = target tokens of side 1 (digits) routed / not routed to it, a2/d2 for side 2 (words).
var counts = ml.Data.LoadCounts(countsPath);
Console.WriteLine($"counts: {counts.LayerCount} layers x {counts.ExpertCount} experts, N1 = {counts.N1}, N2 = {counts.N2} target tokens");

// 2. Rank by risk difference and by the log odds ratio (0.5-corrected); both signed: + = linked to digits.
foreach (string metric in new[] { "rd", "log-or" })
{
    var ranking = ml.Detection.Rank(counts, metric);
    Console.WriteLine($"top 5 by {metric}: " + string.Join("  ", ranking.Experts.Take(5).Select(e => $"L{e.Counts.Layer}E{e.Counts.Expert}({ranking.Metric.Score(e):+0.000;-0.000})")));
}

// 3. How much do the two metrics agree?
var comparison = ml.Detection.CompareMetrics(counts, "rd,log-or", [4, 8]);
foreach (var p in comparison.Pairs)
    Console.WriteLine($"{p.A.Id} vs {p.B.Id}: Spearman {p.Agreement.Spearman:0.000}, Kendall tau-b {p.Agreement.KendallTauB:0.000}, " +
        string.Join(", ", p.Agreement.TopNJaccard.OrderBy(kv => kv.Key).Select(kv => $"top-{kv.Key} Jaccard {kv.Value:0.000}")));

// 4. Plans from the RD ranking: 2 experts on and 2 off toward each behaviour, at most 2 (the model's k) on per layer.
var rows = ml.Steering.RankingFrom(ml.Detection.Rank(counts, "rd"), "rd");
var shape = new ModelShape(counts.LayerCount, counts.ExpertCount, TopK: 2);
var towardDigits = ml.Steering.Plan(rows, shape, new PlanOptions { Activate = 2, Deactivate = 2 });
var towardWords = ml.Steering.Plan(rows, shape, new PlanOptions { Activate = 2, Deactivate = 2, TowardBehaviour2 = true });
Console.WriteLine($"plan toward digits: {SteeringCatalog.Describe(towardDigits)}");
Console.WriteLine($"plan toward words:  {SteeringCatalog.Describe(towardWords)}");
towardDigits.Save(Path.Combine(outDir, "toward-digits.plan.json"));

// 5. Figures: the RD heatmap with the plan marked, RD vs log odds ratio, the layers of the top experts.
var figures = ml.Plots.WriteFigures([ml.Plots.Input("counting", counts)], ml.Plots.PlanCells(towardDigits.Mask), outDir, png: false, topN: 8);
Console.WriteLine("figures: " + string.Join(", ", figures.Select(Path.GetFileName)));
