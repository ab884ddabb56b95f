using System.CommandLine;
using System.Globalization;
using SteerMoE.Research.Catalogs;
using SteerMoE.Research.Detection.Collection;
using SteerMoE.Research.Detection.Pairs;
using SteerMoE.Research.Detection.Sharding;
using SteerMoE.Research.Inference;

namespace SteerMoE.Research.Cli.Commands;

/// <summary>`steermoe detect`: counts expert activations on the target spans of a paired dataset (docs/CONTRACTS.md §14).</summary>
internal static class DetectCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "a Hugging Face model folder (config.json, *.safetensors, tokenizer.json, chat template)", Required = true };
        var pairs = new Option<string>("--pairs") { Description = "a paired-dataset JSONL (messages_0, messages_1, messages_0_target, messages_1_target)", Required = true };
        var output = new Option<string>("--out") { Description = "the run folder: counts.csv, run.json (and checkpoint.json while unfinished)", Required = true };
        var batch = new Option<int>("--batch") { Description = "pairs per forward pass (2 sequences each); counts do not depend on it", DefaultValueFactory = _ => 8 };
        var resume = new Option<bool>("--resume") { Description = "continue the unfinished run in --out from its checkpoint (a fresh --out starts; what a requeued cluster task runs)" };
        var overwrite = new Option<bool>("--overwrite") { Description = "count again into an --out that holds a finished run (replacing it)" };
        var precision = new Option<string>("--precision") { Description = "exact | fast", DefaultValueFactory = _ => "exact" };
        var variables = new Option<string[]>("--var") { Description = "NAME=VALUE chat-template variable (repeatable); JSON values (true, 3, \"x\") are typed", AllowMultipleArgumentsPerToken = false };
        var routingLog = new Option<bool>("--routing-log") { Description = "also write every token's router logits and top-k as .npy arrays into RUN_DIR/routing-log" };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "tokenizer.json or its folder (with the chat template) when not in --model" };
        var every = new Option<int>("--checkpoint-every") { Description = "write checkpoint.json after this many pairs", DefaultValueFactory = _ => 64 };
        var metric = new Option<string>("--metric") { Description = "the metric ranking.csv is ordered by (rd, log-or, …; probe also writes probe.csv and probe.json)", DefaultValueFactory = _ => "rd" };
        var maxPairs = new Option<int?>("--max-pairs") { Description = "stop after this many pairs in total (checkpointed; finish with --resume)" };
        var shard = new Option<string?>("--shard") { Description = "I/N: count only shard I (1-based) of N contiguous slices of the pairs, a partial run for `detect merge` (pair p, 0-based, of P is in shard floor(p·N/P) + 1)" };
        var pairFlags = new PairInferenceFlags();
        var arithmetic = TraceCommand.ExpertArithmeticOption();
        var device = GpuCheckCommand.DeviceOption();
        var command = new Command("detect", "Count, per (layer, expert), how often the experts fire on the target spans of each side of a paired dataset.")
            { model, pairs, output, batch, resume, overwrite, precision, arithmetic, variables, routingLog, tokenizer, every, maxPairs, metric, device, shard, MergeCommand() };
        pairFlags.AddTo(command);
        command.SetAction(result =>
        {
            var engine = GpuCheckCommand.ParseEngine(result.GetValue(device)!, "detect");   // no GPU: exit 2 before any work
            var context = new SteerMoEContext(result.GetValue(pairFlags.Seed));
            var pairInference = pairFlags.Options(result);
            var slice = result.GetValue(shard) is { } text ? Shard.Parse(text) : (Shard?)null;
            string runDir = CommandRunner.Required(result, output);
            using var cancel = new CancellationTokenSource();
            ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cancel.Cancel(); };
            Console.CancelKeyPress += onCancel;
            // SIGTERM (Slurm's requeue or preemption, a time limit) stops like Ctrl+C: a checkpoint at the end of the batch.
            using var onTerm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; cancel.Cancel(); });
            var options = new CollectionOptions
            {
                Batch = result.GetValue(batch), Resume = result.GetValue(resume), Overwrite = result.GetValue(overwrite),
                Precision = PrecisionNames.Parse(result.GetValue(precision)!), Device = engine,
                ExpertArithmetic = TraceCommand.LoadOptions(result, arithmetic).ExpertArithmetic,
                Variables = DetectionCatalog.ParseTemplateVariables(result.GetValue(variables) ?? []),
                RoutingLog = result.GetValue(routingLog) ? Path.Combine(runDir, "routing-log") : null,
                Tokenizer = result.GetValue(tokenizer), CheckpointEvery = result.GetValue(every), StopAfterPairs = result.GetValue(maxPairs),
                Cancellation = cancel.Token, Shard = slice,
            };
            try
            {
                var run = ProgressReporter.Run("detect", "pairs", progress =>
                    context.Detection.Collect(CommandRunner.Required(result, model), CommandRunner.Required(result, pairs), runDir, options with
                    {
                        Progress = p => progress.Report(p.PairsDone, p.PairsTotal,
                            string.Create(CultureInfo.InvariantCulture, $", {p.TokensDone}/{p.TokensTotal} tokens, {p.TokensPerSecond:F0} tok/s"), p.Remaining),
                    }, result.GetValue(metric)!, pairInference));
                var r = run.Result;
                if (!r.Completed)
                {
                    Console.WriteLine($"{runDir}: stopped after {r.PairsDone} of {r.PairsTotal} pairs; checkpoint written, continue with --resume.");
                    return cancel.IsCancellationRequested ? 130 : 0;
                }
                string which = r.Shard is not { } sh ? "" : r.PairsTotal == 0 ? $"shard {sh}: none of the {r.DatasetPairs} pairs (more shards than pairs), "
                    : $"shard {sh}: pairs {r.FirstPair}-{r.FirstPair + r.PairsTotal - 1} of {r.DatasetPairs}, ";
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{runDir}: {which}{r.PairsTotal} pairs, N1 = {r.Counts.Tokens1}, N2 = {r.Counts.Tokens2} counted tokens, {r.PromptTokens} prompt tokens, paired t over {r.MatchedPairs} pairs with matching spans; wrote {string.Join(", ", run.Files)}" +
                    $" ({r.TokensThisSession / Math.Max(r.Elapsed.TotalSeconds, 1e-9):F0} tok/s in this process)"));
                return 0;
            }
            finally { Console.CancelKeyPress -= onCancel; }
        });
        return command;
    }

    // `detect merge RUN... --out DIR`: the shards of one run into the run folder one process would have written.
    private static Command MergeCommand()
    {
        var shards = new Argument<string[]>("shards") { Description = "the run folders of the shards (detect --shard I/N), all N of them, in any order", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--out") { Description = "the merged run folder (written to a temporary folder, then renamed)", Required = true };
        var overwrite = new Option<bool>("--overwrite") { Description = "replace an existing --out" };
        var command = new Command("merge", "Merge detection shards: check they cover the dataset once with the same inputs, add the counts, merge the paired-t states, concatenate the pair files and rank.")
            { shards, output, overwrite };
        command.SetAction(result =>
        {
            var context = new SteerMoEContext();
            var merged = context.Detection.Merge(result.GetValue(shards)!, CommandRunner.Required(result, output), result.GetValue(overwrite));
            var c = merged.Combined;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{merged.RunDirectory}: merged {merged.Shards.Count} shards, {merged.Shards[^1].EndPair} pairs, N1 = {c.Counts.Tokens1}, N2 = {c.Counts.Tokens2} counted tokens, paired t over {c.MatchedPairs} pairs with matching spans; wrote {string.Join(", ", merged.Files)}"));
            return 0;
        });
        return command;
    }
}
