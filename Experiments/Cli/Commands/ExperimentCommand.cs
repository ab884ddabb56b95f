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
        var model = new Option<string?>("--model") { Description = "the model folder (fills the spec's model field)" };
        var data = new Option<string?>("--data") { Description = "the data folder the spec's pairs and benchmarks are read from (fills its data field)" };
        var judge = new Option<string[]>("--judge") { Description = "a judge model folder, ID=DIR (e.g. llama-guard=models/Llama-Guard-3-1B); repeatable", AllowMultipleArgumentsPerToken = false };
        var activate = new Option<int?>("--activate") { Description = "experts to activate in every cell (replaces the spec's or the paper's count)" };
        var deactivate = new Option<int?>("--deactivate") { Description = "experts to deactivate in every cell (replaces the spec's or the paper's count)" };
        var forceNew = new Option<bool>("--force-new") { Description = "when --out holds a run, write to a new folder beside it (--out-2, -3, ...) instead of resuming" };
        var run = new Command("run", "Run (or resume) every cell of a spec: detect, rank, plan, generate, evaluate; with benchmarks, write the paper's table.")
            { spec, output, neutral, seed, device, model, data, judge, activate, deactivate, forceNew };
        run.SetAction(result =>
        {
            var engine = GpuCheckCommand.ParseEngine(result.GetValue(device)!, "experiment run");   // no GPU: exit 2 before any work
            var context = new SteerMoEContext(result.GetValue(seed));
            var judges = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (string j in result.GetValue(judge) ?? [])
            {
                int eq = j.IndexOf('=');
                if (eq <= 0 || eq == j.Length - 1) throw new FormatException($"--judge: '{j}': expected ID=DIR (e.g. llama-guard=models/Llama-Guard-3-1B).");
                judges[j[..eq]] = j[(eq + 1)..];
            }
            foreach (var (name, value) in new[] { ("--activate", result.GetValue(activate)), ("--deactivate", result.GetValue(deactivate)) })
                if (value < 0) throw new FormatException($"{name}: {value}: expected a whole number ≥ 0.");
            var loaded = context.Experiments.LoadSpec(result.GetValue(spec)!)
                .WithOverrides(result.GetValue(model), result.GetValue(data), judges, result.GetValue(activate), result.GetValue(deactivate));
            string dir = CommandRunner.Required(result, output);
            if (result.GetValue(forceNew))
            {
                string fresh = Running.ExperimentRunner.FreshRunDirectory(dir);
                if (fresh != dir) Console.WriteLine($"{dir} holds a run; --force-new: writing to {fresh}");
                dir = fresh;
            }
            var cells = ProgressReporter.Run("experiment", "cells", progress =>
                context.Experiments.RunSteering(loaded, dir, result.GetValue(neutral), progress.Log, engine, progress.Report));
            Console.WriteLine($"{dir}: {cells.Count(c => c.Status == CellStatus.Done)} of {cells.Count} cells done; results in {Path.Combine(dir, "results.csv")}");
            string table = Path.Combine(dir, Reports.PaperTable.MarkdownFile);
            if (loaded.Benchmarks.Count > 0 && File.Exists(table)) Console.Write(File.ReadAllText(table));
            return 0;
        });
        return new Command("experiment", "Steering experiments from a YAML spec.") { run };
    }
}
