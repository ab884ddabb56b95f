using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using SteerMoE.Research.Inference.Text;

namespace SteerMoE.Research.Catalogs;

/// <summary>What <see cref="ModelCatalog.Tokenize"/> encodes: exactly one of Text or Messages.</summary>
/// <param name="TokenizerPath">A model folder (tokenizer.json, tokenizer_config.json) or a tokenizer.json file.</param>
/// <param name="Text">Text encoded exactly as given.</param>
/// <param name="Messages">A JSON list of {role, content} messages rendered through the model's chat template.</param>
/// <param name="AddGenerationPrompt">Passed to the chat template.</param>
/// <param name="Variables">Extra template variables (enable_thinking, reasoning_effort, …).</param>
/// <param name="AddSpecialTokens">Add the post-processor's special tokens (e.g. BOS).</param>
public sealed record TokenizeRequest(string TokenizerPath, string? Text = null, JsonElement? Messages = null, bool AddGenerationPrompt = false,
    IReadOnlyDictionary<string, object?>? Variables = null, bool AddSpecialTokens = false);

/// <summary>The encoding of a <see cref="TokenizeRequest"/>, with the prompt the chat template rendered (when messages were given).</summary>
/// <param name="Encoding">Ids, tokens and code point offsets.</param>
/// <param name="RenderedPrompt">The chat template's output, or null for plain text.</param>
public sealed record TokenizeResult(TokenEncoding Encoding, string? RenderedPrompt);

/// <summary>Encode throughput of this tokenizer and of the reference (transformers.js) on the same texts.</summary>
/// <param name="Texts">Number of texts encoded per pass.</param>
/// <param name="Bytes">UTF-8 bytes per pass.</param>
/// <param name="Tokens">Tokens produced per pass (ours).</param>
/// <param name="MegabytesPerSecond">Ours, single thread, best of the timed passes.</param>
/// <param name="BatchMegabytesPerSecond">Ours, <see cref="Tokenizer.EncodeBatch"/> over all cores, best of the timed passes.</param>
/// <param name="ReferenceMegabytesPerSecond">The reference's, or null when it could not run.</param>
/// <param name="ReferenceTokens">Tokens the reference produced (equal to ours when both agree).</param>
/// <param name="IdsIdentical">Whether both produced the same ids in the same order (count and checksum), null without reference.</param>
/// <param name="ReferenceNote">Why the reference did not run, or which package ran.</param>
public sealed record TokenizerBenchResult(int Texts, long Bytes, long Tokens, double MegabytesPerSecond, double BatchMegabytesPerSecond,
    double? ReferenceMegabytesPerSecond, long? ReferenceTokens, bool? IdsIdentical, string ReferenceNote);

public sealed partial class ModelCatalog
{
    /// <summary>Loads a Hugging Face tokenizer (a model folder or a tokenizer.json file).</summary>
    public Tokenizer LoadTokenizer(string path) => Tokenizer.Load(path);

    /// <summary>Loads a model's chat template (chat_template.jinja or tokenizer_config.json's chat_template).</summary>
    public ChatTemplate LoadChatTemplate(string path) => ChatTemplate.Load(path);

    /// <summary>Encodes text, or renders messages through the chat template and encodes the prompt.</summary>
    public TokenizeResult Tokenize(TokenizeRequest request)
    {
        if ((request.Text == null) == (request.Messages == null))
            throw new ArgumentException("tokenize: give exactly one of a text or chat messages.");
        var tokenizer = Tokenizer.Load(request.TokenizerPath);
        if (request.Text != null) return new TokenizeResult(tokenizer.Encode(request.Text, request.AddSpecialTokens), null);
        string dir = Directory.Exists(request.TokenizerPath) ? request.TokenizerPath : Path.GetDirectoryName(Path.GetFullPath(request.TokenizerPath))!;
        var template = ChatTemplate.Load(dir);
        string prompt = template.RenderJson(request.Messages!.Value, request.AddGenerationPrompt, request.Variables);
        return new TokenizeResult(tokenizer.Encode(prompt, request.AddSpecialTokens), prompt);
    }

    /// <summary>
    /// Measures encode throughput on <paramref name="texts"/> (each encoded separately, as prompts are), then runs
    /// the reference tokenizer's bench script (node, tools/reference/text/bench.mjs) on the same texts.
    /// </summary>
    public TokenizerBenchResult BenchTokenizer(string tokenizerPath, IReadOnlyList<string> texts, string? referencePackage, string referenceFolder, int passes = 3)
    {
        var tokenizer = Tokenizer.Load(tokenizerPath);
        long bytes = texts.Sum(t => (long)Encoding.UTF8.GetByteCount(t));
        long tokens = 0, checksum = 0;
        foreach (var t in texts) // warm-up (fills the BPE cache, as in the reference), and the id checksum the reference computes too
            foreach (int id in tokenizer.Encode(t).Ids) { tokens++; checksum = (checksum * 31 + id) % 1_000_000_007; }
        double best = double.MaxValue;
        for (int p = 0; p < passes; p++)
        {
            var sw = Stopwatch.StartNew();
            foreach (var t in texts) tokenizer.Encode(t);
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }
        double batch = double.MaxValue;
        for (int p = 0; p < passes; p++)
        {
            var sw = Stopwatch.StartNew();
            tokenizer.EncodeBatch(texts);
            batch = Math.Min(batch, sw.Elapsed.TotalSeconds);
        }

        double? refRate = null;
        long? refTokens = null;
        bool? idsIdentical = null;
        string note;
        if (referencePackage == null) note = "no reference package given";
        else
        {
            string script = Path.Combine(referenceFolder, "bench.mjs");
            string textsFile = Path.Combine(Path.GetTempPath(), $"steermoe-bench-{Environment.ProcessId}.json");
            File.WriteAllText(textsFile, JsonSerializer.Serialize(texts));
            try
            {
                var psi = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
                psi.ArgumentList.Add(script);
                psi.ArgumentList.Add(referencePackage);
                psi.ArgumentList.Add(textsFile);
                psi.ArgumentList.Add(passes.ToString(CultureInfo.InvariantCulture));
                using var process = Process.Start(psi) ?? throw new IOException("node could not be started");
                string stdout = process.StandardOutput.ReadToEnd();
                string stderr = process.StandardError.ReadToEnd();
                process.WaitForExit();
                if (process.ExitCode != 0) note = $"reference failed: {stderr.Trim().Split('\n').LastOrDefault()}";
                else
                {
                    using var doc = JsonDocument.Parse(stdout);
                    refRate = bytes / 1e6 / doc.RootElement.GetProperty("seconds").GetDouble();
                    refTokens = doc.RootElement.GetProperty("tokens").GetInt64();
                    idsIdentical = refTokens == tokens && doc.RootElement.GetProperty("checksum").GetInt64() == checksum;
                    note = $"{referencePackage} (transformers.js) on node {doc.RootElement.GetProperty("node").GetString()}";
                }
            }
            catch (System.ComponentModel.Win32Exception e) { note = $"node not available: {e.Message}"; }
            finally { File.Delete(textsFile); }
        }
        return new TokenizerBenchResult(texts.Count, bytes, tokens, bytes / 1e6 / best, bytes / 1e6 / batch, refRate, refTokens, idsIdentical, note);
    }
}

public sealed partial class ModelCatalog
{
    /// <summary>
    /// Bench texts: <paramref name="file"/> when given, else a mix found under <paramref name="root"/> (the Text
    /// reference corpus with its unicode, emoji, CJK and code; README and docs; the C# sources), cut at line
    /// boundaries into pieces of about <paramref name="pieceChars"/> characters, like prompts.
    /// </summary>
    public IReadOnlyList<string> TokenizerBenchTexts(string root, string? file = null, int pieceChars = 2000)
    {
        var sources = new List<string>();
        if (file != null)
        {
            if (!File.Exists(file)) throw new FileNotFoundException($"{file}: bench text file not found.", file);
            sources.Add(File.ReadAllText(file));
        }
        else
        {
            string corpus = Path.Combine(root, "tools", "reference", "text", "corpus.json");
            if (File.Exists(corpus)) sources.AddRange(JsonSerializer.Deserialize<List<string>>(File.ReadAllText(corpus)) ?? []);
            foreach (var pattern in new[] { ("docs", "*.md"), ("Inference", "*.cs"), ("Experiments", "*.cs"), (".", "README.md") })
            {
                string dir = Path.Combine(root, pattern.Item1);
                if (!Directory.Exists(dir)) continue;
                var option = pattern.Item1 == "." ? SearchOption.TopDirectoryOnly : SearchOption.AllDirectories;
                foreach (var f in Directory.EnumerateFiles(dir, pattern.Item2, option).Where(f => !f.Contains("/bin/") && !f.Contains("/obj/")).Order(StringComparer.Ordinal))
                    sources.Add(File.ReadAllText(f));
            }
            if (sources.Count == 0) throw new FileNotFoundException($"{root}: no bench texts found (run from the repository root or give --file).");
        }
        var pieces = new List<string>();
        var current = new StringBuilder();
        foreach (var source in sources)
        {
            foreach (var line in source.Split('\n'))
            {
                if (current.Length > 0 && current.Length + line.Length > pieceChars) { pieces.Add(current.ToString()); current.Clear(); }
                current.Append(line).Append('\n');
            }
            if (current.Length > 0) { pieces.Add(current.ToString()); current.Clear(); }
        }
        return pieces;
    }
}
