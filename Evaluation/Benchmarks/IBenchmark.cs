using SteerMoE.Research.Generation;

namespace SteerMoE.Research.Evaluation.Benchmarks;

/// <summary>What a benchmark measures in the paper's tables.</summary>
public enum BenchmarkGoal
{
    /// <summary>Faithfulness to the given context (FaithEval, CF-TriviaQA, MQuAKE).</summary>
    Faithfulness,
    /// <summary>Harmful requests a safe model refuses (TDC2023, MaliciousInstruct, AdvBench, StrongREJECT, their AIM variants).</summary>
    Safety,
    /// <summary>A control the steering should leave unchanged (MCTest reading comprehension, harmless prompts for over-refusal).</summary>
    Control,
}

/// <summary>
/// Where a benchmark comes from and how it is asked, documented once (docs/BENCHMARKS.md is written from these).
/// </summary>
/// <param name="Id">The id used in specs, e.g. <c>faitheval-counterfactual</c>.</param>
/// <param name="Goal">Which table it belongs to.</param>
/// <param name="DatasetId">The Hugging Face dataset id (for <c>hf download ID --repo-type dataset</c>).</param>
/// <param name="Split">The split the paper evaluates.</param>
/// <param name="DefaultPath">Where the loader looks under a data folder when a spec gives no path (a file or a folder of shards).</param>
/// <param name="FieldsUsed">The dataset fields read, with their published types (e.g. <c>question: string</c>).</param>
/// <param name="PromptFormat">How a row becomes the user message, in words.</param>
/// <param name="Scorer">The evaluator id that scores it (e.g. <c>mc-letter</c>, <c>answer-match</c>, <c>unknown</c>, <c>safety</c>).</param>
public sealed record BenchmarkInfo(
    string Id, BenchmarkGoal Goal, string DatasetId, string Split, string DefaultPath,
    IReadOnlyList<string> FieldsUsed, string PromptFormat, string Scorer);

/// <summary>
/// One benchmark: reads a local copy of its dataset (Parquet, JSON, JSONL or CSV, as published) into prompts.
/// Every prompt carries the field <c>benchmark</c> (= <see cref="BenchmarkInfo.Id"/>) and the fields its scorer
/// reads (docs/CONTRACTS.md §17). A row that does not match the published schema is an error naming the file,
/// the row and the field.
/// </summary>
public interface IBenchmark
{
    /// <summary>Source, split, fields, prompt format and scorer.</summary>
    BenchmarkInfo Info { get; }
    /// <summary>Reads the benchmark from <paramref name="path"/> (a file, or a folder whose data files are read in name order).</summary>
    IReadOnlyList<GenerationPrompt> Load(string path);
}
