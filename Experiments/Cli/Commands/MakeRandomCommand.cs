using System.CommandLine;
using SteerMoE.Research.Inference.Models;

namespace SteerMoE.Research.Cli.Commands;

/// <summary>`steermoe make-random --like MODEL [--layers L] [--seed S] --out DIR`: a checkpoint of real shapes with random bf16 weights.</summary>
internal static class MakeRandomCommand
{
    public static Command Create()
    {
        var like = new Option<string>("--like") { Description = string.Join("|", RandomCheckpoint.Presets.Keys), Required = true };
        var layers = new Option<int?>("--layers") { Description = "keep only the first L decoder layers" };
        var seed = new Option<int>("--seed") { Description = "random seed (default 0)" };
        var output = new Option<string>("--out") { Description = "output model folder", Required = true };
        var wordTokenizer = new Option<bool>("--word-tokenizer") { Description = "also write a word-level tokenizer over every id (w0, w1, ...; BOS/EOS from config.json) and a plain chat template, so that generation and judges run on the folder" };
        var command = new Command("make-random", "Write a model folder with a released model's shapes and config.json, and random bf16 weights (gpt-oss experts MXFP4).")
            { like, layers, seed, output, wordTokenizer };
        command.SetAction(result =>
        {
            string dir = CommandRunner.Required(result, output);
            var config = ProgressReporter.Run("make-random", "GB",
                progress => new SteerMoEContext(result.GetValue(seed)).Models.MakeRandom(CommandRunner.Required(result, like), dir, result.GetValue(layers),
                    progress: (done, total) => progress.Report(done, total)),
                everySeconds: 3, count: bytes => (bytes / 1e9).ToString("F2", System.Globalization.CultureInfo.InvariantCulture));
            if (result.GetValue(wordTokenizer)) WordTokenizer.Write(dir, config);
            Console.WriteLine($"wrote {dir}: {config.Architecture}, {config.LayerCount} layers, {config.ExpertCount} experts, top-k {config.TopK}"
                + (result.GetValue(wordTokenizer) ? $", a word-level tokenizer over its {config.VocabSize} ids" : ""));
            return 0;
        });
        return command;
    }
}
