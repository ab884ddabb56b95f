using System.CommandLine;
using System.Globalization;
using SteerMoE.Research.Data.Pairs;

namespace SteerMoE.Research.Cli.Commands;

/// <summary>`steermoe pairs build|check|split`: make, validate and split paired datasets (JSONL).</summary>
internal static class PairsCommand
{
    public static Command Create()
    {
        var command = new Command("pairs", "Build, check and split paired datasets (messages_0 / messages_1 JSONL).");
        command.Subcommands.Add(Build());
        command.Subcommands.Add(Check());
        command.Subcommands.Add(Split());
        return command;
    }

    private static Command Build()
    {
        var from = new Option<string>("--from") { Description = "squad | beavertails | lists", Required = true };
        var input = new Option<string?>("--input") { Description = "squad: the original SQuAD JSON or Hugging Face's rows (Parquet, JSONL, CSV, or a folder); beavertails: BeaverTails rows (Parquet, JSONL, ...)" };
        var refusals = new Option<string?>("--refusals") { Description = "beavertails: a text file, one refusal a line (default: the paper's fixed refusal)" };
        var a = new Option<string?>("--a") { Description = "lists: side 1 (messages_0), one item a line" };
        var b = new Option<string?>("--b") { Description = "lists: side 2 (messages_1), one item a line" };
        var prompt = new Option<string?>("--prompt") { Description = "lists: a user prompt the lines answer (without it, each line is the user message)" };
        var limit = new Option<int?>("--limit") { Description = "stop after this many pairs" };
        var skipUnanswerable = new Option<bool>("--skip-unanswerable") { Description = "squad: leave out SQuAD 2.0's is_impossible questions" };
        var output = new Option<string>("--out") { Description = "PAIRS.jsonl to write (atomically)", Required = true };
        var command = new Command("build", "Build a paired dataset from SQuAD (faithfulness), BeaverTails (safety) or two text lists.")
            { from, input, refusals, a, b, prompt, limit, skipUnanswerable, output };
        command.SetAction(result =>
        {
            var context = new SteerMoEContext();
            string Need(Option<string?> option, string kind) =>
                result.GetValue(option) ?? throw new ArgumentException($"pairs build --from {kind}: {option.Name} is required.");
            string kind = result.GetValue(from)!;
            string path = CommandRunner.Required(result, output);
            var (built, written) = ProgressReporter.Run("pairs build", "rows", progress =>
            {
                var built = kind switch
                {
                    "squad" => context.Data.BuildSquadPairs(Need(input, kind), result.GetValue(limit), result.GetValue(skipUnanswerable), (d, t) => progress.Report(d, t)),
                    "beavertails" => context.Data.BuildBeaverTailsPairs(Need(input, kind), result.GetValue(refusals), result.GetValue(limit), (d, t) => progress.Report(d, t)),
                    "lists" => context.Data.BuildListPairs(Need(a, kind), Need(b, kind), result.GetValue(prompt)),
                    _ => throw new ArgumentException($"--from: '{kind}': expected squad, beavertails or lists."),
                };
                var pairs = (kind == "lists" && result.GetValue(limit) is { } n ? built.Pairs.Take(n) : built.Pairs).ToArray();
                var counted = pairs.Select((pair, i) =>
                {
                    if (i % Data.Pairs.PairBuilders.ProgressEvery == 0) progress.Report(new Running.RunProgress("pairs write", i, pairs.Length, "pairs"));
                    return pair;
                });
                int written = context.Data.WritePairs(path, counted);
                progress.Report(new Running.RunProgress("pairs write", written, pairs.Length, "pairs"));
                return (built, written);
            });
            string skipped = built.Skipped.Count == 0 ? "" : "; skipped: " + string.Join(", ", built.Skipped.Select(s => $"{s.Value} {s.Key}"));
            Console.WriteLine($"{path}: {written} pairs from {built.RowsRead} rows read ({kind}){skipped}");
            return 0;
        });
        return command;
    }

    private static Command Check()
    {
        var file = new Argument<string>("file") { Description = "a paired-dataset JSONL" };
        var command = new Command("check", "Validate a paired dataset (every line and field) and print its counts.") { file };
        command.SetAction(result =>
        {
            string path = result.GetValue(file)!;
            var s = new SteerMoEContext().Data.CheckPairs(path);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{path}: {s.Pairs} pairs; messages per chat: {s.MeanMessages0:0.##} (side 1), {s.MeanMessages1:0.##} (side 2); " +
                $"mean target length: {s.MeanTargetChars0:0.#} chars (side 1), {s.MeanTargetChars1:0.#} chars (side 2); {s.IdenticalTargets} pairs with the same target on both sides"));
            foreach (var f in s.OtherFields)
                Console.Error.WriteLine("warning: " + f.Warning(path));
            return 0;
        });
        return command;
    }

    private static Command Split()
    {
        var pairs = new Option<string>("--pairs") { Description = "the paired dataset to split", Required = true };
        var fraction = new Option<double>("--evaluation-fraction") { Description = "share of pairs held out for evaluation", DefaultValueFactory = _ => 0.2 };
        var seed = new Option<int>("--seed") { Description = "the context seed", DefaultValueFactory = _ => 0 };
        var detectionOut = new Option<string>("--detection-out") { Description = "JSONL of the pairs to detect experts on", Required = true };
        var evaluationOut = new Option<string>("--evaluation-out") { Description = "JSONL of the held-out pairs", Required = true };
        var command = new Command("split", "Split a paired dataset into detection and held-out evaluation parts (seeded, deterministic).")
            { pairs, fraction, seed, detectionOut, evaluationOut };
        command.SetAction(result =>
        {
            var context = new SteerMoEContext(result.GetValue(seed));
            string path = CommandRunner.Required(result, pairs);
            var all = context.Data.ReadPairs(path).ToList();
            var (detection, evaluation) = context.Data.SplitHeldOut(all, result.GetValue(fraction), Path.GetFileName(path));
            context.Data.WritePairs(CommandRunner.Required(result, detectionOut), detection);
            context.Data.WritePairs(CommandRunner.Required(result, evaluationOut), evaluation);
            Console.WriteLine($"{path}: {detection.Count} pairs for detection, {evaluation.Count} held out for evaluation (stream held-out-split/{Path.GetFileName(path)}, seed {context.Seed})");
            return 0;
        });
        return command;
    }
}
