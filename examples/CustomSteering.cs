#!/usr/bin/env dotnet
// CustomSteering: the authors' tutorial flow on the embedded default model (models/default).
// Build a one-pair dataset ("count to 10 ." answered in digits vs in words), count the routing of both answers
// (saving every token's routing), rank the experts by risk difference, and steer both ways.
// Runs offline in seconds: `dotnet run examples/CustomSteering.cs [-- RUN_DIR [MODEL_DIR]]`
// (RUN_DIR defaults to a new temporary folder).
#:project ../Experiments/Library/SteerMoE.Research.csproj
#:property PublishAot=false
#:property InvariantGlobalization=true

using SteerMoE.Research;
using SteerMoE.Research.Catalogs;
using SteerMoE.Research.Detection.Collection;

string here = AppContext.GetData("EntryPointFileDirectoryPath") as string ?? Directory.GetCurrentDirectory();
string runDir = args.Length > 0 ? args[0] : Directory.CreateTempSubdirectory("steermoe-custom-steering-").FullName;
string modelDir = args.Length > 1 ? args[1] : Path.Combine(here, "..", "models", "default");
Directory.CreateDirectory(runDir);

var ml = new SteerMoEContext(seed: 0);

// 1. The dataset: one prompt, two answers. Side 1 (behaviour 1) counts in digits, side 2 in words; the answers
//    are the target spans whose routing is counted. The default model's vocabulary is lower-case words and digits.
var pair = ml.Data.AnswerPair("count to 10 .", "1 2 3 4 5 6 7 8 9 10", "one two three four five six seven eight nine ten");
string pairsPath = Path.Combine(runDir, "count-to-ten.pairs.jsonl");
ml.Data.WritePairs(pairsPath, [pair]);
Console.WriteLine($"dataset: 1 pair: \"{pair.Messages0[0].Content}\" -> \"{pair.Target0}\" vs \"{pair.Target1}\"");

// 2. Routing: run both chats through the model, count per (layer, expert) how often it is routed a target
//    token, and save every token's router logits and top-k (the routing log).
var run = ml.Detection.Collect(modelDir, pairsPath, runDir, new CollectionOptions { RoutingLog = Path.Combine(runDir, "routing-log") });
Console.WriteLine($"routing: {run.Result.Counts.Tokens1} target tokens in digits, {run.Result.Counts.Tokens2} in words; saved {string.Join(", ", run.Files)} and routing-log/");

// 3. Detection: rank the experts by risk difference RD = a1/N1 - a2/N2 (positive: routed more for digits).
var ranking = ml.Detection.Rank(run.Counts, "rd");
Console.WriteLine("top experts by |risk difference| (layer, expert, rd, a1/N1, a2/N2):");
foreach (var e in ranking.Experts.Take(6))
    Console.WriteLine($"  L{e.Counts.Layer}E{e.Counts.Expert}  rd={e.RiskDifference,7:+0.000;-0.000}  {e.Counts.A1}/{e.Counts.N1}  {e.Counts.A2}/{e.Counts.N2}");

// 4. Steering both ways: activate the 2 experts most linked to each side and deactivate the 2 most linked to the
//    other (at most k activations per layer).
using var generator = ml.Steering.LoadGenerator(modelDir);
var rows = ml.Steering.RankingFrom(ranking, "rd");
var towardDigits = ml.Steering.Plan(rows, generator.Shape, new PlanOptions { Activate = 2, Deactivate = 2 });
var towardWords = ml.Steering.Plan(rows, generator.Shape, new PlanOptions { Activate = 2, Deactivate = 2, TowardBehaviour2 = true });
Console.WriteLine($"plan toward digits: {SteeringCatalog.Describe(towardDigits)}");
Console.WriteLine($"plan toward words:  {SteeringCatalog.Describe(towardWords)}");
towardDigits.Save(Path.Combine(runDir, "toward-digits.plan.json"));
towardWords.Save(Path.Combine(runDir, "toward-words.plan.json"));

// 5. Compare greedy generations.
string[] prompts = ["count to 10 .", "please count to 9 .", "can you count to 3 ?"];
var comparison = ml.Steering.Compare(generator, prompts,
[
    new SteeringVariant("unsteered", null),
    new SteeringVariant("toward digits", towardDigits),
    new SteeringVariant("toward words", towardWords),
]);
Console.Write(comparison.ToText());
