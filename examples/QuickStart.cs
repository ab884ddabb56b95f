#!/usr/bin/env dotnet
// QuickStart: the authors' demo notebook flow on the embedded default model (models/default).
// Load a model and a published expert ranking, select the experts to steer, and compare greedy generations
// before and after steering, in both directions. Runs offline in seconds: `dotnet run examples/QuickStart.cs`
// (from anywhere; paths are found from this file's folder). Another model: `dotnet run examples/QuickStart.cs -- MODEL_DIR RANKING.csv`.
#:project ../Experiments/Library/SteerMoE.Research.csproj
#:property PublishAot=false
#:property InvariantGlobalization=true

using SteerMoE.Research;
using SteerMoE.Research.Catalogs;

string here = AppContext.GetData("EntryPointFileDirectoryPath") as string ?? Directory.GetCurrentDirectory();
string modelDir = args.Length > 0 ? args[0] : Path.Combine(here, "..", "models", "default");
// The "published" ranking: every expert's risk difference between counting in digits (behaviour 1) and in words
// (behaviour 2), made by `./steermoe detect` on the model's counting pairs (examples/data/README.md).
string rankingPath = args.Length > 1 ? args[1] : Path.Combine(here, "data", "counting.ranking.csv");

// 1. One context: one seed, and the catalogs everything goes through.
var ml = new SteerMoEContext(seed: 0);

// 2. Load the model (with its tokenizer and chat template) and the expert ranking.
using var generator = ml.Steering.LoadGenerator(modelDir);
var ranking = ml.Steering.LoadRanking(rankingPath, metric: "rd");
Console.WriteLine($"model: {generator.Model.Config.Architecture}, {generator.Shape.LayerCount} layers x {generator.Shape.ExpertCount} experts, top-{generator.Shape.TopK}");
Console.WriteLine($"ranking: {ranking.Rows.Count} experts scored by {ranking.ScoreColumn}");

// 3. The plans: activate the 2 experts most linked to each behaviour and deactivate the 2 most linked to the other
//    (the authors' selection, at most k activations per layer).
var towardDigits = ml.Steering.Plan(ranking, generator.Shape, new PlanOptions { Activate = 2, Deactivate = 2 });
var towardWords = ml.Steering.Plan(ranking, generator.Shape, new PlanOptions { Activate = 2, Deactivate = 2, TowardBehaviour2 = true });
Console.WriteLine($"plan toward digits: {SteeringCatalog.Describe(towardDigits)}");
Console.WriteLine($"plan toward words:  {SteeringCatalog.Describe(towardWords)}");

// 4. Generate (greedy) without steering and with each plan, and print the outputs side by side. The default model
//    answers some prompts in digits and others in words; each plan switches all of them (docs/DEFAULT_MODEL.md §6).
string[] prompts = ["count to 5 .", "please count to 9 .", "can you count to 3 ?"];
var comparison = ml.Steering.Compare(generator, prompts,
[
    new SteeringVariant("unsteered", null),
    new SteeringVariant("toward digits", towardDigits),
    new SteeringVariant("toward words", towardWords),
]);
Console.Write(comparison.ToText());
