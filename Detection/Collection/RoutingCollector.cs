using System.Diagnostics;
using System.Text;
using SteerMoE.Research.Data.Files;
using SteerMoE.Research.Data.Pairs;
using SteerMoE.Research.Data.RoutingLogs;
using SteerMoE.Research.Detection.Statistics;
using SteerMoE.Research.Inference;
using SteerMoE.Research.Inference.Layers;
using SteerMoE.Research.Inference.Models;
using SteerMoE.Research.Inference.Text;

namespace SteerMoE.Research.Detection.Collection;

/// <summary>
/// Turns a model and a paired dataset into per-(layer, expert) activation counts (docs/CONTRACTS.md §14): each
/// pair's two chats are chat-templated and tokenized, their target spans located (<see cref="TargetLocator"/>),
/// and both sides run through one teacher-forced forward pass, batched with other pairs; the routing observer
/// counts, for every span token and layer, the experts of the model's top-k. The pass streams: memory does not
/// grow with the dataset. Every <see cref="CollectionOptions.CheckpointEvery"/> pairs the counters are written to
/// the run folder's checkpoint.json, from which <see cref="CollectionOptions.Resume"/> continues.
/// </summary>
public static class RoutingCollector
{
    /// <summary>The checkpoint file of a run folder.</summary>
    public static string CheckpointPath(string runDirectory) => Path.Combine(runDirectory, CollectionCheckpoint.FileName);

    /// <summary>
    /// The dataset's rows with their 0-based index and 1-based line number, streamed; a malformed line throws a
    /// <see cref="FormatException"/> naming the file, the line and the field.
    /// </summary>
    public static IEnumerable<(int Index, int Line, PairedExample Pair)> ReadPairs(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file (expected a paired-dataset JSONL).", path);
        return Lines(path);

        static IEnumerable<(int, int, PairedExample)> Lines(string path)
        {
            int number = 0, index = 0;
            foreach (string line in File.ReadLines(path, Encoding.UTF8))
            {
                number++;
                if (string.IsNullOrWhiteSpace(line)) continue;
                yield return (index++, number, PairedDataset.ParseLine(line, $"{path}: line {number}"));
            }
        }
    }

    /// <summary>
    /// Counts <paramref name="pairsPath"/> through <paramref name="model"/>, checkpointing into
    /// <paramref name="runDirectory"/>. Every row is parsed, templated and located before the first forward pass, so
    /// a bad row fails fast. Returns a result that is not <see cref="CollectionResult.Completed"/> after a stop or a
    /// cancellation (the checkpoint then holds everything counted).
    /// </summary>
    public static CollectionResult Collect(IMoeEngine model, string pairsPath, string runDirectory, CollectionOptions? options = null)
    {
        options ??= new CollectionOptions();
        if (options.Batch < 1) throw new ArgumentException($"--batch: expected a number of pairs >= 1, got {options.Batch}.");
        if (options.CheckpointEvery < 1) throw new ArgumentException($"checkpoint interval: expected >= 1 pairs, got {options.CheckpointEvery}.");
        if (options.StopAfterPairs is < 0) throw new ArgumentException($"stop after: expected >= 0 pairs, got {options.StopAfterPairs}.");
        if (!File.Exists(pairsPath)) throw new FileNotFoundException($"{pairsPath}: no such file (expected a paired-dataset JSONL).", pairsPath);
        var config = model.Config;
        if (config.ExpertCount <= 0) throw new InvalidDataException($"{config.Source}: the model has no experts; detection needs an MoE model.");

        string tokenizerPath = options.Tokenizer ?? model.Directory;
        var tokenizer = Tokenizer.Load(tokenizerPath);
        string templatePath = options.ChatTemplate ?? Path.GetDirectoryName(Path.GetFullPath(tokenizer.Source))!;
        var template = ChatTemplate.Load(templatePath);
        var encoder = new PairEncoder(tokenizer, template, options.Variables, config.VocabSize);
        var loadedArithmetic = (model as MoeModel)?.ExpertArithmetic ?? Inference.Layers.ExpertArithmetic.Fp32;   // the CUDA backend: fp32 only
        if (loadedArithmetic != options.ExpertArithmetic)
            throw new ArgumentException($"detect: the options ask for {options.ExpertArithmetic.Name()} experts but the model was loaded with {loadedArithmetic.Name()} experts.");
        string precision = options.Precision.Name() + (options.ExpertArithmetic == Inference.Layers.ExpertArithmetic.Fp32 ? "" : $"+{options.ExpertArithmetic.Name()}-experts");
        var inputs = new CollectionInputs(CollectionInputs.HashModel(model.Directory), FileHash.Sha256(tokenizer.Source),
            FileHash.Sha256(Encoding.UTF8.GetBytes(template.Text)), FileHash.Sha256(pairsPath),
            precision, CollectionInputs.VariablesJson(options.Variables));
        // A shard's checkpoint must not be resumed as another shard (or as the whole dataset).
        string fingerprint = options.Shard is { } shard ? FileHash.Sha256(Encoding.UTF8.GetBytes($"{inputs.Fingerprint()}\nshard={shard}")) : inputs.Fingerprint();

        // Validation pass: every row must parse and have both targets before any expensive work.
        long datasetPairs = 0;
        var pairTokens = new List<int>();
        foreach (var (index, line, pair) in ReadPairs(pairsPath))
        {
            var encoded = encoder.Encode(pair, index, line, $"{pairsPath}: line {line}");
            datasetPairs++;
            pairTokens.Add(encoded.Side1.Ids.Length + encoded.Side2.Ids.Length);
        }
        if (datasetPairs == 0) throw new FormatException($"{pairsPath}: the file holds no pairs.");
        // The pairs this run counts: [first, first + pairsTotal) of the dataset; `done` counts from first.
        var (first, end) = options.Shard?.Range(datasetPairs) ?? (0, datasetPairs);
        long pairsTotal = end - first, tokensTotal = 0;
        for (long p = first; p < end; p++) tokensTotal += pairTokens[(int)p];

        var counts = new ActivationCounts(config.LayerCount, config.ExpertCount);
        var pairedT = new PairedTTest(config.LayerCount, config.ExpertCount);
        Directory.CreateDirectory(runDirectory);
        string checkpointPath = CheckpointPath(runDirectory);
        long done = 0, promptTokens = 0, logRows = 0, matchedPairs = 0;
        bool resumed = false;
        if (File.Exists(checkpointPath))
        {
            if (!options.Resume)
                throw new ArgumentException($"{runDirectory}: holds an unfinished detection run ({CollectionCheckpoint.FileName}); pass --resume to continue it, or choose another --out.");
            string saved;
            (done, saved, promptTokens, logRows, matchedPairs, var state) = CollectionCheckpoint.Load(checkpointPath, counts);
            pairedT = new PairedTTest(state);
            if (saved != fingerprint)
                throw new ArgumentException($"{checkpointPath}: the checkpoint was made with other inputs or settings (model, tokenizer, template, dataset, precision, --var or --shard differ); resume with the same ones, or choose another --out.");
            if (done > pairsTotal) throw new InvalidDataException($"{checkpointPath}: pairs_done = {done}, but the {(options.Shard is { } s ? $"shard {s}" : "dataset")} has {pairsTotal} pairs.");
            resumed = true;
        }

        RoutingLogWriter? log = null;
        if (options.RoutingLog != null)
            log = RoutingLogWriter.Open(options.RoutingLog, config.LayerCount, config.ExpertCount, config.TopK,
                new Dictionary<string, string> { ["model"] = model.Directory, ["dataset"] = pairsPath, ["dataset_sha256"] = inputs.Dataset, ["precision"] = inputs.Precision },
                resumed ? logRows : null);
        else if (resumed && logRows > 0)
            throw new ArgumentException($"{checkpointPath}: the run being resumed wrote a routing log; resume it with --routing-log.");

        PairCountsFile.Writer pairLog;
        try { pairLog = new PairCountsFile.Writer(runDirectory, config.LayerCount, config.ExpertCount, resumed ? done : null); }
        catch { log?.Dispose(); throw; }

        var clock = Stopwatch.StartNew();
        long sessionTokens = 0, lastCheckpoint = done;
        long stopAt = Math.Min(pairsTotal, options.StopAfterPairs ?? long.MaxValue);
        var forward = new ForwardOptions { Precision = options.Precision };
        try
        {
            var batch = new List<EncodedPair>(options.Batch);
            void Save() => new CollectionCheckpoint(done, fingerprint, inputs, counts, promptTokens, log?.Rows ?? 0, matchedPairs, pairedT.ExportState()).Save(checkpointPath);
            void Run()
            {
                int forwarded = RunBatch(model, batch, counts, pairedT, ref matchedPairs, forward, log, pairLog, config.TopK);
                done += batch.Count; promptTokens += forwarded; sessionTokens += forwarded;
                batch.Clear();
                if (done - lastCheckpoint >= options.CheckpointEvery || done == stopAt)
                {
                    log?.Flush(); pairLog.Flush();
                    Save();
                    lastCheckpoint = done;
                }
                options.Progress?.Invoke(new CollectionProgress(done, pairsTotal, promptTokens, tokensTotal, sessionTokens, clock.Elapsed));
            }

            foreach (var (index, line, pair) in ReadPairs(pairsPath))
            {
                if (index < first + done) continue;
                if (index >= first + stopAt || options.Cancellation.IsCancellationRequested) break;
                // The pair's global index: a shard's routing-log rows concatenate to the one-process log.
                batch.Add(encoder.Encode(pair, index, line, $"{pairsPath}: line {line}"));
                if (batch.Count == options.Batch || index + 1 == first + stopAt) Run();
            }
            if (batch.Count > 0 && !options.Cancellation.IsCancellationRequested) Run();
            batch.Clear();
            if (done != lastCheckpoint || !File.Exists(checkpointPath)) { log?.Flush(); pairLog.Flush(); Save(); }
        }
        finally { log?.Dispose(); pairLog.Dispose(); }

        return new CollectionResult(counts, inputs, done == pairsTotal, done, pairsTotal, promptTokens, tokensTotal, log?.Rows ?? 0, clock.Elapsed, sessionTokens)
            { PairedT = pairedT, MatchedPairs = matchedPairs, DatasetPairs = datasetPairs, FirstPair = first, Shard = options.Shard };
    }

    /// <summary>One forward pass over the batch's 2·B sequences; returns the number of prompt tokens forwarded.</summary>
    internal static int RunBatch(IMoeEngine model, List<EncodedPair> batch, ActivationCounts counts, PairedTTest pairedT, ref long matchedPairs,
        ForwardOptions forward, RoutingLogWriter? log, PairCountsFile.Writer pairLog, int topK)
    {
        var sequences = new List<IReadOnlyList<int>>(batch.Count * 2);
        foreach (var p in batch) { sequences.Add(p.Side1.Ids); sequences.Add(p.Side2.Ids); }
        var observer = new SpanCountingObserver(counts, batch, topK, keepRouting: log != null);
        model.Forward(sequences, forward with { Observer = observer });
        int tokens = 0;
        var spanTokens = new int[batch.Count * 2];   // [B, 2]
        for (int i = 0; i < batch.Count; i++)
        {
            var p = batch[i];
            counts.Tokens1 += p.Side1.SpanLength; counts.Tokens2 += p.Side2.SpanLength;
            spanTokens[2 * i] = p.Side1.SpanLength; spanTokens[2 * i + 1] = p.Side2.SpanLength;
            tokens += p.Side1.Ids.Length + p.Side2.Ids.Length;
            if (!p.SpansMatch) continue;
            // Pairs in file order, tokens in order: the t state does not depend on the batch size.
            pairedT.AddPair(observer.SpanProbabilities(2 * i, p.Side1.SpanLength), observer.SpanProbabilities(2 * i + 1, p.Side2.SpanLength));
            matchedPairs++;
        }
        pairLog.Append(observer.PerSequence, spanTokens);
        if (log != null)
        {
            var rows = new RoutingLogToken[tokens];
            int r = 0;
            foreach (var p in batch)
                foreach (var (side, s) in new[] { (1, p.Side1), (2, p.Side2) })
                    for (int t = 0; t < s.Ids.Length; t++)
                        rows[r++] = new RoutingLogToken(s.Ids[t], p.Index, side, t, t >= s.SpanStart && t < s.SpanEnd);
            log.Append(observer.RouterLogits, observer.TopKIndex, rows);
        }
        return tokens;
    }
}
