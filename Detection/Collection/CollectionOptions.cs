using SteerMoE.Research.Inference;
using SteerMoE.Research.Inference.Models;

namespace SteerMoE.Research.Detection.Collection;

/// <summary>Settings of a detection collection run (docs/CONTRACTS.md §14).</summary>
public sealed record CollectionOptions
{
    /// <summary>Pairs per forward pass (2 × Batch sequences of any lengths, no padding). Counts do not depend on it.</summary>
    public int Batch { get; init; } = 8;
    /// <summary>Numeric mode of the forward pass; exact by default (detection counts).</summary>
    public Precision Precision { get; init; } = Precision.Exact;
    /// <summary>
    /// How gpt-oss experts compute (`--expert-arithmetic`, <see cref="LoadOptions.ExpertArithmetic"/>): the catalog loads
    /// the model with it, the collector checks the model it is given was loaded so, and a non-fp32 value is recorded
    /// with the precision ("exact+bf16-experts") in the checkpoint's inputs and run.json.
    /// </summary>
    public Inference.Layers.ExpertArithmetic ExpertArithmetic { get; init; } = Inference.Layers.ExpertArithmetic.Fp32;
    /// <summary>
    /// Where the catalog's detect loads the model (`--device`): CPU, or CUDA (exact: the CPU's counts; fast: the GPU's
    /// own top-k). Not part of the checkpoint's inputs: an exact run may resume on the other device.
    /// </summary>
    public EngineDevice Device { get; init; } = EngineDevice.Cpu;
    /// <summary>Extra chat-template variables (enable_thinking, reasoning_effort…), as `--var NAME=VALUE`.</summary>
    public IReadOnlyDictionary<string, object?> Variables { get; init; } = new Dictionary<string, object?>();
    /// <summary>Continue from the run folder's checkpoint (an error when its inputs or settings differ).</summary>
    public bool Resume { get; init; }
    /// <summary>Count again into a run folder that holds a finished run (without it, such a folder is refused).</summary>
    public bool Overwrite { get; init; }
    /// <summary>A folder to write the per-token routing log to (.npy arrays + routing_log.json), or null.</summary>
    public string? RoutingLog { get; init; }
    /// <summary>tokenizer.json or the folder holding it; null: the model folder.</summary>
    public string? Tokenizer { get; init; }
    /// <summary>Chat template source (folder, tokenizer_config.json or .jinja file); null: the tokenizer's folder.</summary>
    public string? ChatTemplate { get; init; }
    /// <summary>Write a checkpoint after at least this many pairs since the last one.</summary>
    public int CheckpointEvery { get; init; } = 64;
    /// <summary>Stop (with a checkpoint, result not completed) once this many pairs are done in total; null: run to the end.</summary>
    public int? StopAfterPairs { get; init; }
    /// <summary>
    /// Count only this shard's contiguous slice of the pairs (`--shard I/N`, docs/CONTRACTS.md §14); null: every pair.
    /// The shard is part of the checkpoint's fingerprint; <see cref="StopAfterPairs"/> counts the shard's pairs.
    /// </summary>
    public Sharding.Shard? Shard { get; init; }
    /// <summary>Called after every forward pass.</summary>
    public Action<CollectionProgress>? Progress { get; init; }
    /// <summary>Stops between forward passes, writing a checkpoint first (result not completed).</summary>
    public CancellationToken Cancellation { get; init; }
}

/// <summary>Where a collection run stands.</summary>
/// <param name="PairsDone">Pairs counted so far (including those of a resumed checkpoint).</param>
/// <param name="PairsTotal">Pairs to count: the dataset's, or the shard's.</param>
/// <param name="TokensDone">Prompt tokens forwarded so far (both sides).</param>
/// <param name="TokensTotal">Prompt tokens of the whole dataset (both sides).</param>
/// <param name="TokensThisSession">Prompt tokens forwarded by this process (for the rate).</param>
/// <param name="Elapsed">Time since this process started collecting.</param>
public sealed record CollectionProgress(long PairsDone, long PairsTotal, long TokensDone, long TokensTotal, long TokensThisSession, TimeSpan Elapsed)
{
    /// <summary>Forwarded prompt tokens per second in this process.</summary>
    public double TokensPerSecond => Elapsed.TotalSeconds > 0 ? TokensThisSession / Elapsed.TotalSeconds : 0;

    /// <summary>Share of the prompt tokens forwarded so far, 0 to 100.</summary>
    public double Percent => TokensTotal > 0 ? 100.0 * TokensDone / TokensTotal : 100;

    /// <summary>Time left at this process's rate; null before any token was forwarded in it.</summary>
    public TimeSpan? Remaining => TokensPerSecond > 0 ? TimeSpan.FromSeconds((TokensTotal - TokensDone) / TokensPerSecond) : null;
}

/// <summary>What a collection run produced.</summary>
public sealed class CollectionResult
{
    internal CollectionResult(ActivationCounts counts, CollectionInputs inputs, bool completed, long pairsDone, long pairsTotal,
        long promptTokens, long promptTokensTotal, long routingLogRows, TimeSpan elapsed, long tokensThisSession)
    {
        Counts = counts; Inputs = inputs; Completed = completed; PairsDone = pairsDone; PairsTotal = pairsTotal;
        PromptTokens = promptTokens; PromptTokensTotal = promptTokensTotal; RoutingLogRows = routingLogRows; Elapsed = elapsed; TokensThisSession = tokensThisSession;
    }

    /// <summary>The pooled counts (of the pairs done so far when not completed).</summary>
    public ActivationCounts Counts { get; }
    /// <summary>Hashes of the inputs.</summary>
    public CollectionInputs Inputs { get; }
    /// <summary>Whether every pair was counted (false after a stop or cancellation; resume to finish).</summary>
    public bool Completed { get; }
    /// <summary>Pairs counted.</summary>
    public long PairsDone { get; }
    /// <summary>Pairs this run counts: the dataset's, or its shard's.</summary>
    public long PairsTotal { get; }
    /// <summary>Pairs in the whole dataset (= <see cref="PairsTotal"/> without a shard).</summary>
    public long DatasetPairs { get; internal init; }
    /// <summary>The 0-based index of the run's first pair in the dataset (0 without a shard).</summary>
    public long FirstPair { get; internal init; }
    /// <summary>The shard counted, or null.</summary>
    public Sharding.Shard? Shard { get; internal init; }
    /// <summary>Prompt tokens forwarded (both sides, all runs of a resumed collection).</summary>
    public long PromptTokens { get; }
    /// <summary>Prompt tokens of the whole dataset.</summary>
    public long PromptTokensTotal { get; }
    /// <summary>Rows of the routing log (0 without one).</summary>
    public long RoutingLogRows { get; }
    /// <summary>Time spent in this process.</summary>
    public TimeSpan Elapsed { get; }
    /// <summary>Prompt tokens forwarded in this process.</summary>
    public long TokensThisSession { get; }
    /// <summary>
    /// The authors' paired t-statistic accumulated over the span tokens of the pairs whose two spans hold the same
    /// token ids (<see cref="EncodedPair.SpansMatch"/>); empty (count 0) when no pair matched.
    /// </summary>
    public SteerMoE.Research.Detection.Statistics.PairedTTest PairedT { get; internal init; } = null!;
    /// <summary>Pairs that fed <see cref="PairedT"/> (the others, PairsDone − MatchedPairs, have spans that differ).</summary>
    public long MatchedPairs { get; internal init; }
}
