using SteerMoE.Research.Data.Counts;
using SteerMoE.Research.Data.Pairs;
using SteerMoE.Research.Data.RoutingLogs;
using SteerMoE.Research.Detection.Ranking;
using SteerMoE.Research.Specs;
using SteerMoE.Research.Inference.Checkpoints;
using SteerMoE.Research.Inference.Models;
using SteerMoE.Research.Inference.Text;
using ChatMessage = SteerMoE.Research.Inference.Text.ChatMessage;
using SteerMoE.Research.Steering.Plans;

namespace SteerMoE.Research.Fuzz;

/// <summary>
/// One fuzz target: a reader of one input format, fed the fuzzer's bytes as that file. <see cref="Run"/> returns
/// normally when the input was read or refused with the project's own format error (see <see cref="IsFormatError"/>);
/// anything else escapes and is a finding.
/// </summary>
/// <param name="Name">The id on the command line (tools/fuzz/run.sh TARGET), also the corpus folder's name.</param>
/// <param name="FileName">The name the input is written under in the work folder (errors must name that file).</param>
/// <param name="Read">Reads the file at the given path the way the project reads that format, and uses the result.</param>
public sealed record FuzzTarget(string Name, string FileName, Action<string> Read)
{
    /// <summary>
    /// Writes <paramref name="input"/> as this target's file in <paramref name="workDir"/> and reads it. Returns null when
    /// it was read, the error's message when it was refused with a format error; other exceptions escape.
    /// </summary>
    public string? Run(ReadOnlySpan<byte> input, string workDir)
    {
        string path = Path.Combine(workDir, FileName);
        File.WriteAllBytes(path, input.ToArray());
        try { Read(path); return null; }
        catch (Exception e) when (IsFormatError(e, path)) { return e.Message; }
    }

    /// <summary>
    /// The one allowed outcome on bad input: a format error of the project (FormatException and its subclasses such as
    /// TemplateException, InvalidDataException, FileNotFoundException, or a plain ArgumentException / NotSupportedException
    /// thrown by our own checks) whose message names the file. .NET's own exceptions (ArgumentOutOfRange, IndexOutOfRange,
    /// NullReference, InvalidOperation, Overflow, KeyNotFound, JsonException…) or a message without the file are findings.
    /// </summary>
    public static bool IsFormatError(Exception e, string path) =>
        (e is FormatException or InvalidDataException or FileNotFoundException
         || e.GetType() == typeof(ArgumentException) || e.GetType() == typeof(NotSupportedException))
        && e.Message.Contains(path, StringComparison.Ordinal);
}

/// <summary>Every format the project reads from users' files, one target each (docs/RELIABILITY.md lists them).</summary>
public static class FuzzTargets
{
    /// <summary>The name of the shard a fuzzed model.safetensors.index.json can point at (written by <see cref="PrepareWorkDir"/>).</summary>
    public const string ShardName = "model-00001-of-00001.safetensors";

    /// <summary>A fixed conversation for the chat-template targets (alternating user/assistant, as strict templates demand).</summary>
    private static readonly ChatMessage[] Conversation = [new("user", "Count to 3."), new("assistant", "1 2 3"), new("user", "Again, in words.")];

    /// <summary>The same with a system message first (templates branch on it).</summary>
    private static readonly ChatMessage[] WithSystem = [new("system", "Be brief."), .. Conversation];

    private static readonly Dictionary<string, object?> TemplateVariables = new()
    {
        ["enable_thinking"] = false, ["reasoning_effort"] = "low", ["tools"] = null, ["date_string"] = "07 Dec 2026",
    };

    /// <summary>The targets, in the order of docs/RELIABILITY.md.</summary>
    public static readonly IReadOnlyList<FuzzTarget> All =
    [
        new("safetensors", "model.safetensors", path =>
        {
            using var file = SafetensorsFile.Open(path);
            long sum = 0;
            foreach (var t in file.Tensors.Values) foreach (byte b in file.Bytes(t)) sum += b; // every tensor's bytes are inside the file
            GC.KeepAlive(sum);
        }),
        new("safetensors-index", "model.safetensors.index.json", path =>
        {
            using var checkpoint = Checkpoint.Open(Path.GetDirectoryName(path)!);
        }),
        new("config", "config.json", path => ModelConfig.Load(Path.GetDirectoryName(path)!)),
        new("tokenizer", "tokenizer.json", path =>
        {
            var tokenizer = Tokenizer.Load(path);
            foreach (string text in new[] { "Hello, world! 123", "  ünïcödé\n\ttabs <|user|> x", "", "日本語のテキスト 🙂" })
                tokenizer.Decode(tokenizer.Encode(text, addSpecialTokens: true).Ids);
        }),
        new("chat-template", "chat_template.jinja", path =>
        {
            var template = ChatTemplate.Load(Path.GetDirectoryName(path)!); // a model folder's chat_template.jinja (specials from its tokenizer_config.json)
            template.Render(Conversation, addGenerationPrompt: true, TemplateVariables);
            template.Render(WithSystem, addGenerationPrompt: false, TemplateVariables);
        }),
        new("tokenizer-config", "tokenizer_config.json", path =>
        {
            var template = ChatTemplate.Load(path); // the chat_template field (a string or named templates) and the special tokens
            template.Render(Conversation, addGenerationPrompt: false, TemplateVariables);
        }),
        new("pairs", "pairs.jsonl", path => PairedDataset.Read(path).ToList()),
        new("spec", "spec.yaml", path => ExperimentSpec.Load(path)),
        new("plan", "PLAN.json", path => SteeringPlan.Load(path)),
        new("counts", "counts.csv", path =>
        {
            var table = CountTable.Load(path);
            foreach (var metric in DetectionMetric.All.Where(m => !m.NeedsPairCounts)) Detection.Ranking.ExpertRanking.Rank(table, metric);
        }),
        new("npy", "pair_counts.npy", path => NpyArray.Load(path)),
    ];

    /// <summary>The target with this name; an error listing the names otherwise.</summary>
    public static FuzzTarget Get(string name) =>
        All.FirstOrDefault(t => t.Name == name)
        ?? throw new ArgumentException($"unknown fuzz target '{name}'; targets: {string.Join(", ", All.Select(t => t.Name))}.");

    private static int _workDirs;

    /// <summary>
    /// Creates a private work folder (on /dev/shm when there is one: every execution writes its input there) holding
    /// the fixed shard that index inputs can name. Returns its path.
    /// </summary>
    public static string PrepareWorkDir()
    {
        string root = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        string dir = Path.Combine(root, $"steermoe-fuzz-{Environment.ProcessId}-{Interlocked.Increment(ref _workDirs)}");
        Directory.CreateDirectory(dir);
        // Two small tensors "a" (F32 [2]) and "b" (BF16 [1, 2]) for the index target to point at.
        SafetensorsWriter.Write(Path.Combine(dir, ShardName),
        [
            TensorToWrite.Single("a", [1f, 2f], 2),
            new TensorToWrite("b", Inference.Kernels.DType.BF16, [1, 2], new byte[4]),
        ]);
        // Special tokens for the chat-template target (the tokenizer-config target writes its own file over it).
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), """{"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": null}""");
        return dir;
    }
}
