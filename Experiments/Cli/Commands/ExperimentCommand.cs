using System.CommandLine;
using SteerMoE.Research.Registry;

namespace SteerMoE.Research.Cli.Commands;

/// <summary>`steermoe experiment run SPEC.yaml --out RUN_DIR`: runs or resumes a steering experiment.</summary>
internal static class ExperimentCommand
{
    public static Command Create()
    {
        var spec = new Argument<string>("spec") { Description = "the experiment spec (YAML)" };
        var output = new Option<string>("--out") { Description = "the run folder (registry.sqlite, results.csv, ...); rerun into it to resume", Required = true };
        var neutral = new Option<string?>("--neutral") { Description = "a text file (one text a line) for the side-effect measures; default: the evaluation prompts" };
        var seed = new Option<int>("--seed") { Description = "the context seed", DefaultValueFactory = _ => 0 };
        var device = GpuCheckCommand.DeviceOption();
        var run = new Command("run", "Run (or resume) every cell of a spec: detect, rank, plan, generate, evaluate.") { spec, output, neutral, seed, device };
        run.SetAction(result =>
        {
            var engine = GpuCheckCommand.ParseEngine(result.GetValue(device)!, "experiment run");   // no GPU: exit 2 before any work
            var context = new SteerMoEContext(result.GetValue(seed));
            var loaded = context.Experiments.LoadSpec(result.GetValue(spec)!);
            string dir = CommandRunner.Required(result, output);
            var cells = context.Experiments.RunSteering(loaded, dir, result.GetValue(neutral), Console.WriteLine, engine);
            Console.WriteLine($"{dir}: {cells.Count(c => c.Status == CellStatus.Done)} of {cells.Count} cells done; results in {Path.Combine(dir, "results.csv")}");
            return 0;
        });
        return new Command("experiment", "Steering experiments from a YAML spec.") { run };
    }
}
