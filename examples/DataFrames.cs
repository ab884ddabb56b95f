#!/usr/bin/env dotnet
// DataFrames: a routing-count table analysed as Microsoft.Data.Analysis DataFrames: the counts and the ranking as
// typed frames, aggregates grouped by layer, the top experts per layer, and the overlap of four metrics' top-N sets
// grouped by metric. The same CSV files pandas reads (pd.read_csv) load here with their columns typed and checked.
// `dotnet run examples/DataFrames.cs [-- COUNTS.csv]`; the default table is the default model's counting counts
// (examples/data/counting.counts.csv); the authors' released tables (layer, expert, a1, d1, a2, d2, ...) read as they are.
#:project ../Experiments/Library/SteerMoE.Research.csproj
#:property PublishAot=false
#:property InvariantGlobalization=true

using System.Globalization;
using SteerMoE.Research;
using SteerMoE.Research.Detection.Frames;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
string here = AppContext.GetData("EntryPointFileDirectoryPath") as string ?? Directory.GetCurrentDirectory();
string countsPath = args.Length > 0 ? args[0] : Path.Combine(here, "data", "counting.counts.csv");

var ml = new SteerMoEContext(seed: 0);

// 1. The counts as a frame: one row per (layer, expert); layer and expert are int, the counts long.
var counts = ml.Detection.LoadCountsFrame(countsPath);
Console.WriteLine($"counts frame: {counts.Rows.Count} rows; " + string.Join(", ", counts.Columns.Select(c => $"{c.Name} {c.DataType.Name}")));

// 2. Every statistic of every expert, ranked by risk difference (ranking.csv's 28 columns), best first.
var ranking = ml.Detection.RankFrame(counts.ToCountTable(countsPath), "rd");
Console.WriteLine($"ranking frame: {ranking.Rows.Count} rows x {ranking.Columns.Count} columns; top 3 by |rd|:");
foreach (var row in ranking.Head(3).Rows)
    Console.WriteLine($"  rank {row["rank"]}: L{row["layer"]}E{row["expert"]}  rd {(double)row["risk_diff"]:+0.000;-0.000}  log-or {(double)row["log_odds_ratio"]:+0.000;-0.000}  log10 Fisher p {(double)row["fisher_log10_p"]:0.0}");

// 3. Grouped by layer: each token is routed to k experts per layer, so a layer's a1 sums to k * N1.
var byLayer = RankingAnalysis.ByLayer(ranking, "risk_diff");
long n1 = (long)counts.Columns["a1"][0] + (long)counts.Columns["d1"][0];
Console.WriteLine($"by layer (experts, a1 / N1 = k, mean and max |rd|):");
foreach (var row in byLayer.Rows)
    Console.WriteLine($"  layer {row["layer"]}: {row["experts"]} experts, k = {(long)row["a1"] / (double)n1:0.###}, mean {(double)row["risk_diff_mean_abs"]:0.000}, max {(double)row["risk_diff_max_abs"]:0.000}");

// 4. Where the 10 most positive and the 10 most negative experts by rd sit.
var perLayer = RankingAnalysis.TopPerLayer(ranking, "risk_diff", 10);
Console.WriteLine("top 10 by rd per layer (+/-): " + string.Join("  ", perLayer.Rows.Select(r => $"L{r["layer"]} {r["positive"]}/{r["negative"]}")));

// 5. Grouped by metric: how much the top-N sets of the metrics overlap (the numbers of `steermoe compare`).
var overlap = RankingAnalysis.TopNOverlap(ranking, ["rd", "log-or", "fisher"], [10, 100]);
foreach (var row in overlap.Rows)
    Console.WriteLine($"top-{row["n"]} {row["metric_a"]} vs {row["metric_b"]}: {row["shared"]} shared, Jaccard {(double)row["jaccard"]:0.000}");
