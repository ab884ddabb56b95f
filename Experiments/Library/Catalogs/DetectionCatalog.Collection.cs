using System.Text.Json;
using System.Text.Json.Nodes;
using SteerMoE.Research.Data.Counts;
using SteerMoE.Research.Data.Files;
using SteerMoE.Research.Data.Pairs;
using SteerMoE.Research.Detection.Collection;
using SteerMoE.Research.Detection.Pairs;
using SteerMoE.Research.Detection.Probe;
using SteerMoE.Research.Detection.Ranking;
using SteerMoE.Research.Inference;
using SteerMoE.Research.Inference.Models;
using SteerMoE.Research.Running;

namespace SteerMoE.Research.Catalogs;

/// <summary>What <see cref="DetectionCatalog.Collect"/> wrote.</summary>
/// <param name="Result">The collection result (counts, hashes, token totals).</param>
/// <param name="RunDirectory">The run folder.</param>
/// <param name="Files">Files written into it (empty when the run stopped before the end).</param>
public sealed record DetectionRun(CollectionResult Result, string RunDirectory, IReadOnlyList<string> Files)
{
    /// <summary>The pooled counts as a count table.</summary>
    public CountTable Counts => Result.Counts.ToCountTable(Path.Combine(RunDirectory, DetectionCatalog.CountsFileName));
}

// Collection (issue 4): detect runs. Kept in its own file to stay apart from the statistics methods.
public sealed partial class DetectionCatalog
{
    /// <summary>counts.csv of a run folder.</summary>
    public const string CountsFileName = "counts.csv";
    /// <summary>ranking.csv of a run folder.</summary>
    public const string RankingFileName = "ranking.csv";
    /// <summary>run.json of a run folder.</summary>
    public const string RunFileName = "run.json";

    /// <summary>
    /// Runs detection collection (docs/CONTRACTS.md §14): counts every pair of <paramref name="pairsPath"/> through
    /// the model in <paramref name="modelDirectory"/>, checkpointing into <paramref name="runDirectory"/>; when every
    /// pair is counted writes counts.csv, ranking.csv (every statistic, ordered by <paramref name="metricId"/>) and
    /// run.json there and removes the checkpoint; pair_counts.npy and pair_tokens.npy (per-pair counts,
    /// <see cref="LoadPairCounts"/>) are streamed as it goes. A stopped or cancelled run leaves its checkpoint
    /// (resume with <see cref="CollectionOptions.Resume"/>). ranking.csv's pair-level columns (§6): the paired t of the
    /// pairs whose spans match, and the permutation test, cluster bootstrap and top-N stability over pairs with
    /// <paramref name="pairInference"/>'s resamples on the context's random streams.
    /// </summary>
    public DetectionRun Collect(string modelDirectory, string pairsPath, string runDirectory, CollectionOptions? options = null, string metricId = "rd",
        PairInferenceOptions? pairInference = null)
    {
        options ??= new CollectionOptions();
        pairInference ??= new PairInferenceOptions();
        pairInference.Validate();
        var metric = DetectionMetric.Get(metricId);   // an unknown id fails before any work
        Data.Files.AtomicFile.EnsureWritableFolder(runDirectory);
        // A finished run is never replaced silently (it may be another dataset's): --overwrite says so.
        if (File.Exists(Path.Combine(runDirectory, RunFileName)) && !File.Exists(RoutingCollector.CheckpointPath(runDirectory)) && !options.Overwrite)
            throw new ArgumentException(options.Resume
                ? $"{runDirectory}: holds a finished detection run ({RunFileName}); there is nothing to resume. Pass --overwrite to count again, or choose another --out."
                : $"{runDirectory}: holds a finished detection run ({RunFileName}); pass --overwrite to replace it, or choose another --out.");
        var otherFields = PairedDataset.OtherFields(pairsPath);
        foreach (var f in otherFields) Console.Error.WriteLine("warning: " + f.Warning(pairsPath));
        using var model = MoeEngine.Load(modelDirectory, options.Device, new LoadOptions { ExpertArithmetic = options.ExpertArithmetic });
        var result = RoutingCollector.Collect(model, pairsPath, runDirectory, options);
        if (!result.Completed) return new DetectionRun(result, runDirectory, []);
        var files = new List<string>();
        // A shard is a partial run (§14): its counts, pair files and paired-t state, no ranking; `detect merge` ranks the whole.
        var pairLevel = WriteResults(runDirectory, result.Counts, result.PairedT, result.MatchedPairs, result.Shard == null ? metric : null, pairInference, files);
        files.Add(RunFileName);
        var run = RunRecord(model, pairsPath, options, result, files, metric.Id, otherFields);
        if (result.Shard is { } shard)
            run["shard"] = new JsonObject
            {
                ["index"] = shard.Index, ["count"] = shard.Count, ["first_pair"] = result.FirstPair,
                ["end_pair"] = result.FirstPair + result.PairsTotal, ["pairs"] = result.PairsTotal,
                ["split"] = "contiguous: pair p (0-based) belongs to shard floor(p·N/P) + 1",
            };
        run["paired_t"] = PairedTRecord(result.MatchedPairs, result.PairsDone, result.PairedT);
        run["pair_inference"] = PairInferenceRecord(pairLevel, pairInference);
        AtomicFile.WriteAllText(Path.Combine(runDirectory, RunFileName), run.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        File.Delete(RoutingCollector.CheckpointPath(runDirectory));
        return new DetectionRun(result, runDirectory, files);
    }

    // counts.csv, ranking.csv (with the probe's files when the metric needs it) and paired_t.json: what a finished run and
    // a merge write alike, so that a merge's files equal one process's. No ranking for a shard (metric null).
    private PairLevelStatistics? WriteResults(string runDirectory, ActivationCounts counts, Detection.Statistics.PairedTTest pairedT, long matchedPairs,
        DetectionMetric? metric, PairInferenceOptions pairInference, List<string> files)
    {
        string countsPath = Path.Combine(runDirectory, CountsFileName);
        var table = counts.ToCountTable(countsPath);
        table.Save(countsPath);
        files.Add(CountsFileName);
        PairLevelStatistics? pairLevel = null;
        if (metric != null)
        {
            // The resampling holds the per-pair table in memory (P × 2 × L × E); --resamples 0 does not load it.
            pairLevel = pairInference.Resamples == 0
                ? new PairLevelStatistics(counts.Layers, counts.Experts, pairedT, null, null, pairInference.StabilityTop)
                : PairLevel(PairCountsFile.Load(runDirectory), pairedT, pairInference);
            // --metric probe: the probe on this run's pair counts (probe.csv, probe.json beside ranking.csv).
            var probe = metric.NeedsPairCounts ? Probe(PairCountsFile.Load(runDirectory)) : null;
            ExpertRanking.Rank(table, metric, probe).WithPairLevel(pairLevel).Save(Path.Combine(runDirectory, RankingFileName));
            files.Add(RankingFileName);
            if (probe != null)
            {
                probe.Save(runDirectory, _context.Seed);
                files.Add(ProbeResult.CsvName);
                files.Add(ProbeResult.SummaryName);
            }
        }
        files.Add(PairCountsFile.CountsName);
        files.Add(PairCountsFile.TokensName);
        PairedTStateFile.Save(Path.Combine(runDirectory, PairedTStateFile.FileName), pairedT.ExportState(), matchedPairs);
        files.Add(PairedTStateFile.FileName);
        return pairLevel;
    }

    private static JsonObject PairedTRecord(long matchedPairs, long pairs, Detection.Statistics.PairedTTest pairedT) => new()
    {
        ["matched_pairs"] = matchedPairs, ["unmatched_pairs"] = pairs - matchedPairs,
        ["tokens"] = pairedT.Count,
        ["definition"] = "pairs whose two target spans hold the same token ids; per (layer, expert) d = softmax(router logits)[expert] on side 1 − on side 2 at span token k; t = mean(d)/(sd(d)/sqrt(n)), df = n − 1, two-sided p (scipy.stats.ttest_rel)",
    };

    /// <summary>
    /// The pair-level columns of <paramref name="pairs"/> (permutation test, cluster bootstrap, top-N stability on the
    /// context's random streams) with the paired t of a run (or null).
    /// </summary>
    public PairLevelStatistics PairLevel(PairCounts pairs, Detection.Statistics.PairedTTest? pairedT, PairInferenceOptions? options = null)
    {
        options ??= new PairInferenceOptions();
        return PairLevelStatistics.Compute(pairs, pairedT, options.Resamples, options.StabilityTop,
            _context.CreateRandom(options.PermutationStream), _context.CreateRandom(options.BootstrapStream));
    }

    private JsonObject PairInferenceRecord(PairLevelStatistics? pairLevel, PairInferenceOptions options) => new()
    {
        ["resamples"] = options.Resamples, ["stability_top"] = options.StabilityTop, ["seed"] = _context.Seed,
        ["permutation_stream"] = options.PermutationStream, ["bootstrap_stream"] = options.BootstrapStream,
        ["permutation_exact"] = pairLevel?.Permutation?.Exact, ["permutations"] = pairLevel?.Permutation?.Permutations,
    };

    /// <summary>The per-pair counts a run streamed (pair_counts.npy, pair_tokens.npy), for the pair-level statistics.</summary>
    public PairCounts LoadPairCounts(string runDirectory) => PairCountsFile.Load(runDirectory);

    /// <summary>
    /// Parses `--var NAME=VALUE` template variables: a VALUE that is JSON (true, false, null, a number, a quoted
    /// string, a list, an object) is passed as that value, any other text as a string.
    /// </summary>
    public static IReadOnlyDictionary<string, object?> ParseTemplateVariables(IEnumerable<string> assignments)
    {
        var variables = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (string a in assignments)
        {
            int eq = a.IndexOf('=');
            if (eq <= 0) throw new ArgumentException($"--var: expected NAME=VALUE, got '{a}'.");
            string name = a[..eq].Trim(), text = a[(eq + 1)..];
            if (name.Length == 0 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
                throw new ArgumentException($"--var: '{name}' is not a template variable name (letters, digits, _).");
            object? value = text;
            try { using var doc = JsonDocument.Parse(text); value = doc.RootElement.Clone(); }
            catch (JsonException) { }
            variables[name] = value;
        }
        return variables;
    }

    private static JsonObject RunRecord(IMoeEngine model, string pairsPath, CollectionOptions options, CollectionResult result, List<string> files, string metricId, IReadOnlyList<IgnoredField> otherFields)
    {
        var c = model.Config;
        var inputs = result.Inputs;
        return new JsonObject
        {
            ["format"] = "steermoe-detect-run/1",
            ["code_commit"] = ExperimentRunner.CodeCommit(),
            ["finished_utc"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ"),
            ["model"] = new JsonObject
            {
                ["directory"] = Path.GetFullPath(model.Directory), ["architecture"] = c.Architecture,
                ["layers"] = c.LayerCount, ["experts"] = c.ExpertCount, ["top_k"] = c.TopK, ["engine"] = model.Description,
                ["files_sha256"] = new JsonObject(inputs.ModelFiles.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value))),
                ["config_warnings"] = new JsonArray(c.Warnings.Select(w => (JsonNode)w).ToArray()),
            },
            ["tokenizer"] = new JsonObject { ["path"] = Path.GetFullPath(options.Tokenizer ?? model.Directory), ["sha256"] = inputs.Tokenizer },
            ["chat_template"] = new JsonObject { ["sha256"] = inputs.ChatTemplate, ["add_generation_prompt"] = false },
            ["dataset"] = new JsonObject { ["path"] = Path.GetFullPath(pairsPath), ["sha256"] = inputs.Dataset, ["pairs"] = result.DatasetPairs,
                ["ignored_fields"] = new JsonObject(otherFields.Select(f => KeyValuePair.Create(f.Name, (JsonNode?)new JsonObject { ["first_line"] = f.FirstLine, ["rows"] = f.Rows }))) },
            ["settings"] = new JsonObject
            {
                ["precision"] = inputs.Precision, ["batch"] = options.Batch, ["metric"] = metricId,
                ["variables"] = JsonNode.Parse(inputs.Variables), ["routing_log"] = options.RoutingLog,
                ["target"] = "last occurrence of the target's token ids (tokenized alone, no special tokens) in the prompt's ids",
            },
            ["tokens"] = new JsonObject
            {
                ["n1"] = result.Counts.Tokens1, ["n2"] = result.Counts.Tokens2,
                ["prompt_tokens"] = result.PromptTokens, ["routing_log_rows"] = result.RoutingLogRows,
            },
            ["last_session"] = new JsonObject
            {
                ["seconds"] = Math.Round(result.Elapsed.TotalSeconds, 3), ["prompt_tokens"] = result.TokensThisSession,
                ["tokens_per_second"] = result.Elapsed.TotalSeconds > 0 ? Math.Round(result.TokensThisSession / result.Elapsed.TotalSeconds, 1) : 0,
            },
            ["files"] = new JsonArray(files.Select(f => (JsonNode)f).ToArray()),
        };
    }
}
