using System.CommandLine;
using SteerMoE.Research.Detection.Sharding;
using SteerMoE.Research.Registry;
using SteerMoE.Research.Specs;

namespace SteerMoE.Research.Cli.Commands;

/// <summary>
/// `steermoe experiment run SPEC.yaml --out RUN_DIR`: runs or resumes a steering experiment; `experiment detect` and
/// `experiment merge`: its detection in shards and its cells in slices, for a cluster (docs/CONTRACTS.md §13).
/// </summary>
internal static class ExperimentCommand
{
    // The arguments every experiment subcommand reads the spec with: the spec and its run folder, the context seed, the
    // device and the values that fill or replace the spec's fields.
    private sealed class SpecArguments
    {
        public readonly Argument<string> Spec = new("spec") { Description = "the experiment spec (YAML)" };
        public readonly Option<string> Output = new("--out") { Description = "the run folder (registry.sqlite, results.csv, ...); rerun into it to resume", Required = true };
        public readonly Option<int> Seed = new("--seed") { Description = "the context seed", DefaultValueFactory = _ => 0 };
        public readonly Option<string> Device = GpuCheckCommand.DeviceOption();
        public readonly Option<string?> Model = new("--model") { Description = "the model folder (fills the spec's model field)" };
        public readonly Option<string?> Data = new("--data") { Description = "the data folder the spec's pairs and benchmarks are read from (fills its data field)" };
        public readonly Option<string[]> Judge = new("--judge") { Description = "a judge model folder, ID=DIR (e.g. llama-guard=models/Llama-Guard-3-1B); repeatable", AllowMultipleArgumentsPerToken = false };
        public readonly Option<int?> Activate = new("--activate") { Description = "experts to activate in every cell (replaces the spec's or the paper's count)" };
        public readonly Option<int?> Deactivate = new("--deactivate") { Description = "experts to deactivate in every cell (replaces the spec's or the paper's count)" };

        public void AddTo(Command command)
        {
            command.Add(Spec);
            foreach (Option o in new Option[] { Output, Seed, Device, Model, Data, Judge, Activate, Deactivate }) command.Add(o);
        }

        public ExperimentSpec Load(ParseResult result, SteerMoEContext context)
        {
            var judges = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (string j in result.GetValue(Judge) ?? [])
            {
                int eq = j.IndexOf('=');
                if (eq <= 0 || eq == j.Length - 1) throw new FormatException($"--judge: '{j}': expected ID=DIR (e.g. llama-guard=models/Llama-Guard-3-1B).");
                judges[j[..eq]] = j[(eq + 1)..];
            }
            foreach (var (name, value) in new[] { ("--activate", result.GetValue(Activate)), ("--deactivate", result.GetValue(Deactivate)) })
                if (value < 0) throw new FormatException($"{name}: {value}: expected a whole number ≥ 0.");
            return context.Experiments.LoadSpec(result.GetValue(Spec)!)
                .WithOverrides(result.GetValue(Model), result.GetValue(Data), judges, result.GetValue(Activate), result.GetValue(Deactivate));
        }
    }

    public static Command Create()
    {
        var args = new SpecArguments();
        var neutral = new Option<string?>("--neutral") { Description = "a text file (one text a line) for the side-effect measures; default: the evaluation prompts" };
        var forceNew = new Option<bool>("--force-new") { Description = "when --out holds a run, write to a new folder beside it (--out-2, -3, ...) instead of resuming" };
        var cells = new Option<string?>("--cells") { Description = "I/N: run only slice I (1-based) of N contiguous slices of the cells, recorded in RUN/cells.shards/I-of-N (the run's detection must be done: experiment detect); gather them with experiment merge" };
        var run = new Command("run", "Run (or resume) every cell of a spec: detect, rank, plan, generate, evaluate; with benchmarks, write the paper's table.")
            { neutral, forceNew, cells };
        args.AddTo(run);
        run.SetAction(result =>
        {
            var engine = GpuCheckCommand.ParseEngine(result.GetValue(args.Device)!, "experiment run");   // no GPU: exit 2 before any work
            var slice = result.GetValue(cells) is { } text ? Shard.Parse(text, "--cells") : (Shard?)null;
            if (slice != null && result.GetValue(forceNew))
                throw new ArgumentException("--force-new: not with --cells (every slice must write into the same run folder).");
            var context = new SteerMoEContext(result.GetValue(args.Seed));
            var loaded = args.Load(result, context);
            string dir = CommandRunner.Required(result, args.Output);
            if (result.GetValue(forceNew))
            {
                string fresh = Running.ExperimentRunner.FreshRunDirectory(dir);
                if (fresh != dir) Console.WriteLine($"{dir} holds a run; --force-new: writing to {fresh}");
                dir = fresh;
            }
            var records = ProgressReporter.Run("experiment", "cells", progress =>
                context.Experiments.RunSteering(loaded, dir, slice, result.GetValue(neutral), progress.Log, engine, progress.Report));
            if (slice is { } s)
            {
                string folder = Running.ExperimentRunner.CellShardDirectory(dir, s);
                Console.WriteLine($"{dir}: cells {s} done; results in {Path.Combine(folder, "results.csv")} (gather every slice with experiment merge)");
                return 0;
            }
            Console.WriteLine($"{dir}: {records.Count(c => c.Status == CellStatus.Done)} of {records.Count} cells done; results in {Path.Combine(dir, "results.csv")}");
            string table = Path.Combine(dir, Reports.PaperTable.MarkdownFile);
            if (loaded.Benchmarks.Count > 0 && File.Exists(table)) Console.Write(File.ReadAllText(table));
            return 0;
        });
        return new Command("experiment", "Steering experiments from a YAML spec.") { run, DetectCommand(), MergeCommand() };
    }

    // `experiment detect SPEC --out RUN --shard I/N | --merge-shards N`: the run's detection, in shards, before its cells.
    private static Command DetectCommand()
    {
        var args = new SpecArguments();
        var shard = new Option<string?>("--shard") { Description = "I/N: count shard I (1-based) of N of the spec's detection pairs into RUN/detection.shards/I-of-N (resumes its checkpoint)" };
        var merge = new Option<int?>("--merge-shards") { Description = "N: merge the N finished shards into RUN/detection, where the cells find it" };
        var command = new Command("detect", "The spec's detection in shards (for a cluster): count one shard, or merge all of them into the run folder.") { shard, merge };
        args.AddTo(command);
        command.SetAction(result =>
        {
            var engine = GpuCheckCommand.ParseEngine(result.GetValue(args.Device)!, "experiment detect");
            string? text = result.GetValue(shard);
            int? shards = result.GetValue(merge);
            if ((text == null) == (shards == null)) throw new ArgumentException("experiment detect: give either --shard I/N (count one shard) or --merge-shards N (merge them), not both or neither.");
            var context = new SteerMoEContext(result.GetValue(args.Seed));
            var spec = args.Load(result, context);
            string dir = CommandRunner.Required(result, args.Output);
            if (text != null)
            {
                var slice = Shard.Parse(text);
                using var cancel = new CancellationTokenSource();
                ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cancel.Cancel(); };
                Console.CancelKeyPress += onCancel;
                // SIGTERM (Slurm's requeue or preemption, a time limit) stops like Ctrl+C, as in detect: a checkpoint at the end of the batch.
                using var onTerm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; cancel.Cancel(); });
                try
                {
                    var run = ProgressReporter.Run("experiment", "pairs", progress =>
                        context.Experiments.DetectShard(spec, dir, slice, engine, progress.Report, cancel.Token));
                    var r = run.Result;
                    string pairs = r.PairsTotal == 0 ? "no pairs (more shards than pairs)" : $"pairs {r.FirstPair} to {r.FirstPair + r.PairsTotal - 1}";
                    Console.WriteLine($"{run.RunDirectory}: shard {r.Shard}: {pairs} of {r.DatasetPairs}{(r.Completed ? "" : $", stopped after {r.PairsDone} of {r.PairsTotal} pairs with a checkpoint (run it again to resume)")}");
                    return !r.Completed && cancel.IsCancellationRequested ? 130 : 0;
                }
                finally { Console.CancelKeyPress -= onCancel; }
            }
            var merged = context.Experiments.MergeDetectionShards(spec, dir, shards!.Value);
            Console.WriteLine($"{merged.RunDirectory}: merged {merged.Shards.Count} detection shards ({merged.Shards[^1].EndPair} pairs); the cells reuse it");
            return 0;
        });
        return command;
    }

    // `experiment merge SPEC --out RUN`: the slices of the cells into the run's registry and results.csv.
    private static Command MergeCommand()
    {
        var args = new SpecArguments();
        var command = new Command("merge", "Gather the slices of the cells (experiment run --cells I/N) into RUN/registry.sqlite and results.csv (and the paper's table).");
        args.AddTo(command);
        command.SetAction(result =>
        {
            var context = new SteerMoEContext(result.GetValue(args.Seed));
            var spec = args.Load(result, context);
            string dir = CommandRunner.Required(result, args.Output);
            var records = context.Experiments.MergeCells(spec, dir);
            Console.WriteLine($"{dir}: {records.Count(c => c.Status == CellStatus.Done)} of {records.Count} cells done; results in {Path.Combine(dir, "results.csv")}");
            string table = Path.Combine(dir, Reports.PaperTable.MarkdownFile);
            if (spec.Benchmarks.Count > 0 && File.Exists(table)) Console.Write(File.ReadAllText(table));
            return 0;
        });
        return command;
    }
}
