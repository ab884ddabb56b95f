using SteerMoE.Research.Inference.Cuda.Blas;
using SteerMoE.Research.Inference.Cuda.Driver;
using SteerMoE.Research.Inference.Cuda.Kernels;
using SteerMoE.Research.Inference.Kernels;
using SteerMoE.Research.Inference.Layers;
using SteerMoE.Research.Inference.Models;
using SteerMoE.Research.Inference.Routing;

namespace SteerMoE.Research.Inference.Cuda.Model;

/// <summary>
/// A <see cref="MoeModel"/> run on the GPU. It is built from the CPU model's layer graph (the architecture's one
/// description), whose weights it copies to device memory in their stored dtype, and it has the CPU model's API:
/// <see cref="Forward"/> with the same <see cref="ForwardOptions"/> (precision, rewrite and observer hooks, logits)
/// and <see cref="Generate"/>. docs/CONTRACTS.md §16 says what each precision computes and how the hooks are called.
/// Not thread-safe: one pass at a time.
/// </summary>
public sealed unsafe class CudaModel : IMoeEngine
{
    private const int NormThreads = 256, AttentionThreads = 128, SortThreads = 256;
    private readonly MoeModel _cpu;
    private readonly DeviceMatrix _embedding;
    private readonly DeviceLayer[] _layers;
    private readonly DeviceNorm _finalNorm;
    private readonly DeviceLinear _lmHead;
    private readonly CudaStream _stream;
    private readonly CuBlas _blas;
    private readonly CudaKernels _kernels;
    private readonly Workspace _ws = new();
    private bool _ownsCpu;   // Load(directory): the CPU model is this engine's, disposed with it

    private CudaModel(MoeModel cpu)
    {
        if (cpu.ExpertArithmetic != ExpertArithmetic.Fp32)   // before any GPU memory is taken
            throw new NotSupportedException($"{cpu.Directory}: --expert-arithmetic {cpu.ExpertArithmetic.Name()}: the CUDA backend computes experts in fp32 only; use --device cpu.");
        var c = cpu.Config;
        if (c.EmbeddingMultiplier != 1 || c.ResidualMultiplier != 1 || c.LogitsScaling != 1 || c.AttentionMultiplier is not null)
            throw new NotSupportedException($"{cpu.Directory}: {c.Architecture}'s embedding / residual / attention / logits multipliers have no GPU path yet; use --device cpu.");
        _cpu = cpu;
        var device = CudaDevice.Current;
        device.MakeCurrent();
        _kernels = CudaKernels.Instance;
        _stream = CudaStream.Create();
        _blas = CuBlas.Create(_stream);
        _blas.Stream = _stream.Raw;
        long before = device.MemoryInfo().Free;
        _embedding = WeightUpload.Matrix(cpu.Embedding, "embedding");
        _layers = new DeviceLayer[cpu.Layers.Count];
        for (int l = 0; l < _layers.Length; l++) _layers[l] = WeightUpload.Layer(cpu.Layers[l], l);
        _finalNorm = WeightUpload.Norm(cpu.FinalNorm, "final norm");
        _lmHead = cpu.LmHead.Weight.Data == cpu.Embedding.Data && cpu.LmHead.Bias is null
            ? new DeviceLinear(_embedding, null) : WeightUpload.Linear(cpu.LmHead, "lm_head");
        CudaDriver.Check(CudaDriver.Functions.cuCtxSynchronize(), "cuCtxSynchronize(after the weight upload)");
        WeightBytes = before - device.MemoryInfo().Free;
        Description = $"{device.Name} (sm_{device.ComputeCapability.Major}{device.ComputeCapability.Minor}); {_kernels.Description}; {_blas.Description}";
    }

    /// <summary>Copies a loaded CPU model to the GPU (the CPU model must stay open while this one is used).</summary>
    public static CudaModel Load(MoeModel cpu) => new(cpu);

    /// <summary>
    /// Loads the model folder <paramref name="directory"/> on the CPU (memory-mapped) and copies it to the GPU; the
    /// CPU model is owned by the returned engine and closed with it. Throws <see cref="Native.CudaException"/>
    /// (no driver or GPU) before the model is read. <paramref name="options"/>: how the CPU model is loaded (the CUDA
    /// backend takes fp32 experts only).
    /// </summary>
    public static CudaModel Load(string directory, LoadOptions? options = null)
    {
        _ = CudaDevice.Current;
        var cpu = MoeModel.Load(directory, options);
        try { return new CudaModel(cpu) { _ownsCpu = true }; }
        catch { cpu.Dispose(); throw; }
    }

    /// <summary>The model folder (the CPU model's).</summary>
    public string Directory => _cpu.Directory;

    /// <summary>The model's config.</summary>
    public ModelConfig Config => _cpu.Config;
    /// <summary>Device, NVRTC and cuBLAS versions.</summary>
    public string Description { get; }
    /// <summary>Device memory taken by the weights (free memory before and after the upload).</summary>
    public long WeightBytes { get; }
    /// <summary>Why the grouped expert GEMM is not used (cuBLAS refused it), or null while it is (or was never tried).</summary>
    public static string? GroupedGemmRefusal { get; private set; }
    /// <summary>Device memory held by the scratch buffers.</summary>
    public long WorkspaceBytes => _ws.DeviceBytes;

    /// <summary>An empty device KV cache for <paramref name="sequences"/> batch rows.</summary>
    public CudaKvCache CreateCache(int sequences) => new(Config.LayerCount, sequences, Config.KeyValueHeadCount * Config.HeadDim);

    IKvCache IMoeEngine.CreateCache(int sequences) => CreateCache(sequences);

    ForwardResult IMoeEngine.Forward(IReadOnlyList<IReadOnlyList<int>> sequences, ForwardOptions? options, IKvCache? cache) => cache switch
    {
        null => Forward(sequences, options),
        CudaKvCache device => Forward(sequences, options, device),
        _ => throw new ArgumentException($"Forward: the CUDA engine was given a {cache.GetType().Name}; it takes only a CudaKvCache made by its CreateCache."),
    };

    // ---- launches and copies on the model's stream ----

    private void Elements(string kernel, long count, params KernelArg[] args) => _kernels.LaunchElements(kernel, _stream, count, args);

    private void Upload<T>(ulong destination, ReadOnlySpan<T> values, string what) where T : unmanaged
    {
        if (values.Length == 0) return;
        fixed (T* p = values)
            CudaDriver.Check(CudaDriver.Functions.cuMemcpyHtoDAsync(destination, p, (nuint)(values.Length * sizeof(T)), _stream.Raw), $"cuMemcpyHtoDAsync({what})");
    }

    private void DownloadAsync(void* destination, ulong source, long bytes, string what)
    {
        if (bytes == 0) return;
        CudaDriver.Check(CudaDriver.Functions.cuMemcpyDtoHAsync(destination, source, (nuint)bytes, _stream.Raw), $"cuMemcpyDtoHAsync({what})");
    }

    private void Norm(DeviceNorm norm, ulong x, ulong y, long elements)
    {
        long rows = elements / norm.Dim;
        if (norm.Bias is { } b) _kernels.Launch("layer_norm", _stream, rows, NormThreads, x, y, norm.Weight, b, norm.Dim, norm.Eps);
        else _kernels.Launch("rms_norm", _stream, rows, NormThreads, x, y, norm.Weight, norm.Dim, norm.Eps);
    }

    /// <summary>
    /// y [t, W.Rows] fp32 = x · Wᵀ where x [t, W.Cols] is already in the precision's input format: fp32 for exact,
    /// bf16 for fast. exact widens BF16 weights to an fp32 scratch copy (exact) for cublasSgemm; fast rounds F32
    /// weights to bf16 for cublasGemmEx.
    /// </summary>
    private void GemmPrepared(ulong x, in DeviceMatrix w, ulong y, int t, Precision precision)
    {
        if (t == 0) return;
        if (precision == Precision.Exact)
        {
            ulong weights = w.Pointer;
            if (w.Type == DType.BF16)
            {
                weights = _ws.Device("widened weights", w.Elements * 4);
                Elements("widen_bf16", w.Elements, w.Pointer, weights, w.Elements);
            }
            _blas.LinearF32(x, weights, y, t, w.Rows, w.Cols);
        }
        else
        {
            ulong weights = w.Pointer;
            if (w.Type == DType.F32)
            {
                weights = _ws.Device("rounded weights", w.Elements * 2);
                Elements("round_bf16", w.Elements, w.Pointer, weights, w.Elements);
            }
            _blas.LinearBf16(x, weights, y, t, w.Rows, w.Cols);
        }
    }

    /// <summary>y [t, Out] = x [t, In] fp32 · Wᵀ (+ bias).</summary>
    private void Linear(DeviceLinear linear, ulong x, ulong y, int t, Precision precision)
    {
        var w = linear.Weight;
        ulong input = x;
        if (precision == Precision.Fast)
        {
            input = _ws.Device("rounded input", (long)t * w.Cols * 2);
            Elements("round_bf16", (long)t * w.Cols, x, input, (long)t * w.Cols);
        }
        GemmPrepared(input, w, y, t, precision);
        if (linear.Bias is { } b) Elements("add_bias", (long)t * w.Rows, y, b, t, w.Rows);
    }

    // ---- the forward pass ----

    /// <summary>
    /// Runs new tokens through the model, as <see cref="MoeModel.Forward"/>: <paramref name="sequences"/>[b] are the new ids
    /// of batch row b, continuing <paramref name="cache"/> (a fresh one when null). Observers get each layer's routing
    /// (copied to pinned host memory during the pass) after the pass, in layer order.
    /// </summary>
    public ForwardResult Forward(IReadOnlyList<IReadOnlyList<int>> sequences, ForwardOptions? options = null, CudaKvCache? cache = null)
    {
        options ??= new ForwardOptions();
        CudaDevice.Current.MakeCurrent();
        bool ownCache = cache is null;
        cache ??= CreateCache(sequences.Count);
        try { return Run(sequences, options, cache); }
        finally { if (ownCache) cache.Dispose(); }
    }

    private ForwardResult Run(IReadOnlyList<IReadOnlyList<int>> sequences, ForwardOptions options, CudaKvCache cache)
    {
        if (cache.SequenceCount != sequences.Count) throw new ArgumentException($"Forward: the cache holds {cache.SequenceCount} sequences, the batch has {sequences.Count}.");
        var c = Config;
        var precision = options.Precision;
        var lengths = sequences.Select(s => s.Count).ToArray();
        var layout = new TokenLayout(lengths, cache.Lengths);
        int n = layout.Count, hidden = c.HiddenSize, vocab = c.VocabSize;
        var ids = new int[n];
        int row = 0;
        foreach (var seq in sequences)
            foreach (int id in seq)
            {
                if ((uint)id >= (uint)vocab) throw new ArgumentException($"Forward: token id {id} is outside the vocabulary 0..{vocab - 1}.");
                ids[row++] = id;
            }
        int needed = 0;
        for (int s = 0; s < lengths.Length; s++) needed = Math.Max(needed, cache.Lengths[s] + lengths[s]);
        cache.Reserve(needed, _stream);
        var captures = options.Observer is not null ? new List<(int Layer, int Experts, int K)>() : null;

        if (n > 0)
        {
            ulong dIds = _ws.Device("ids", n * 4L), dSeq = _ws.Device("sequence", n * 4L), dPos = _ws.Device("position", n * 4L);
            Upload<int>(dIds, ids, "token ids");
            Upload<int>(dSeq, layout.Sequence, "row sequences");
            Upload<int>(dPos, layout.Position, "row positions");
            // rope tables [n, D/2] from the CPU's RotaryEmbedding (all layers share the config's rope)
            var rotary = _layers[0].Attention.Source.Rotary!;   // upload refused layers without one
            int half = rotary.HeadDim / 2;
            var cos = new float[n * half]; var sin = new float[n * half];
            for (int r = 0; r < n; r++) rotary.CosSin(layout.Position[r], layout.MaxLength, cos.AsSpan(r * half, half), sin.AsSpan(r * half, half));
            ulong dCos = _ws.Device("rope cos", cos.Length * 4L), dSin = _ws.Device("rope sin", sin.Length * 4L);
            Upload<float>(dCos, cos, "rope cos table");
            Upload<float>(dSin, sin, "rope sin table");

            ulong x = _ws.Device("residual", (long)n * hidden * 4), normed = _ws.Device("normed", (long)n * hidden * 4), block = _ws.Device("block", (long)n * hidden * 4);
            if (_embedding.Type == DType.BF16) Elements("embed_bf16", (long)n * hidden, dIds, _embedding.Pointer, x, n, hidden);
            else Elements("embed_f32", (long)n * hidden, dIds, _embedding.Pointer, x, n, hidden);
            for (int l = 0; l < _layers.Length; l++)
            {
                var layer = _layers[l];
                Norm(layer.AttentionNorm, x, normed, (long)n * hidden);
                Attention(layer.Attention, l, normed, block, layout, dSeq, dPos, dCos, dSin, cache, precision);
                Elements("add_inplace", (long)n * hidden, x, block, (long)n * hidden);
                Norm(layer.MoeNorm, x, normed, (long)n * hidden);
                Moe(layer.Moe, l, normed, block, n, options, captures);
                Elements("add_inplace", (long)n * hidden, x, block, (long)n * hidden);
            }
            Norm(_finalNorm, x, normed, (long)n * hidden);
        }
        cache.Advance(lengths);

        float[]? logits = null;
        var last = new float[sequences.Count * vocab];   // [B, V]
        var lastRows = layout.LastRows;
        ulong normedRows = n > 0 ? _ws.Device("normed", (long)n * hidden * 4) : 0;
        if (options.ReturnLogits && n > 0)
        {
            logits = new float[(long)n * vocab];
            ulong dLogits = _ws.Device("logits", (long)n * vocab * 4);
            Linear(_lmHead, normedRows, dLogits, n, precision);
            fixed (float* p = logits) DownloadAsync(p, dLogits, (long)n * vocab * 4, "logits");
        }
        else if (lastRows.Count > 0)
        {
            ulong dRows = _ws.Device("last rows", lastRows.Count * 4L), gathered = _ws.Device("last hidden", (long)lastRows.Count * hidden * 4);
            Upload<int>(dRows, lastRows.Select(r => r.Row).ToArray(), "last rows");
            Elements("gather_rows", (long)lastRows.Count * hidden, normedRows, dRows, gathered, lastRows.Count, hidden);
            ulong dLogits = _ws.Device("logits", (long)lastRows.Count * vocab * 4);
            Linear(_lmHead, gathered, dLogits, lastRows.Count, precision);
            var output = new float[lastRows.Count * vocab];
            fixed (float* p = output) DownloadAsync(p, dLogits, (long)output.Length * 4, "last logits");
            _stream.Synchronize();
            for (int i = 0; i < lastRows.Count; i++) output.AsSpan(i * vocab, vocab).CopyTo(last.AsSpan(lastRows[i].Sequence * vocab));
        }
        _stream.Synchronize();
        if (logits is not null)
            foreach (var (s, r) in lastRows) logits.AsSpan(r * vocab, vocab).CopyTo(last.AsSpan(s * vocab));
        if (captures is not null) Deliver(options.Observer!, captures, layout);
        return new ForwardResult(logits, last, layout, vocab);
    }

    private void Attention(DeviceAttention a, int layer, ulong x, ulong y, TokenLayout layout, ulong dSeq, ulong dPos, ulong dCos, ulong dSin, CudaKvCache cache, Precision precision)
    {
        var src = a.Source;
        int n = layout.Count, qWidth = src.Heads * src.HeadDim, kvWidth = src.KvHeads * src.HeadDim;
        ulong q = _ws.Device("q", (long)n * qWidth * 4), k = _ws.Device("k", (long)n * kvWidth * 4), v = _ws.Device("v", (long)n * kvWidth * 4);
        Linear(a.Q, x, q, n, precision);
        Linear(a.K, x, k, n, precision);
        Linear(a.V, x, v, n, precision);
        if (a.QNorm is { } qn) Norm(qn, q, q, (long)n * qWidth);
        if (a.KNorm is { } kn) Norm(kn, k, k, (long)n * kvWidth);
        Elements("rope", (long)n * src.Heads * (src.HeadDim / 2), q, dCos, dSin, n, src.Heads, src.HeadDim);
        Elements("rope", (long)n * src.KvHeads * (src.HeadDim / 2), k, dCos, dSin, n, src.KvHeads, src.HeadDim);
        Elements("kv_append", (long)n * kvWidth, k, v, cache.Keys(layer), cache.Values(layer), dSeq, dPos, n, kvWidth, cache.Capacity);
        int stride = src.SlidingWindow > 0 ? Math.Min(src.SlidingWindow, layout.MaxLength) : layout.MaxLength;
        ulong scores = _ws.Device("attention scores", (long)n * src.Heads * stride * 4);
        ulong context = _ws.Device("attention context", (long)n * qWidth * 4);
        _kernels.Launch("attention", _stream, (long)n * src.Heads, AttentionThreads, q, cache.Keys(layer), cache.Values(layer), context, scores, dSeq, dPos,
            a.Sinks is { } s ? s.Pointer : 0UL, src.Heads, src.KvHeads, src.HeadDim, cache.Capacity, src.SlidingWindow, stride, 1f / MathF.Sqrt(src.HeadDim));
        Linear(a.O, context, y, n, precision);
    }

    private void Moe(DeviceMoe moe, int layer, ulong x, ulong y, int n, ForwardOptions options, List<(int, int, int)>? captures)
    {
        var experts = moe.Experts;
        int e = experts.Count, k = moe.TopK, hidden = experts.Hidden, pairs = n * k;
        ulong logits = _ws.Device("router logits", (long)n * e * 4);
        Linear(moe.Router, x, logits, n, options.Precision);
        byte* capture = null;
        if (captures is not null)
        {
            capture = (byte*)_ws.Pinned($"routing capture {layer}", (long)n * e * 4 + (long)pairs * 8);
            DownloadAsync(capture, logits, (long)n * e * 4, "router logits capture");
            captures.Add((layer, e, k));
        }
        ulong scores = logits;
        if (options.Rewrite is { } rewrite)
        {
            scores = _ws.Device("router scores", (long)n * e * 4);
            CudaDriver.Check(CudaDriver.Functions.cuMemcpyDtoDAsync(scores, logits, (nuint)((long)n * e * 4), _stream.Raw), "cuMemcpyDtoDAsync(router scores)");
            Rewrite(rewrite, layer, scores, n, e);
        }
        ulong index = _ws.Device("routing index", pairs * 4L), weight = _ws.Device("routing weight", pairs * 4L);
        switch (moe.Routing)
        {
            case RoutingKind.SoftmaxTopK: Elements("route_softmax_topk", n, scores, index, weight, n, e, k, moe.Renormalize ? 1 : 0); break;
            case RoutingKind.TopKSoftmax: Elements("route_topk_softmax", n, scores, index, weight, n, e, k); break;
            default: Elements("route_sparsemixer", n, scores, index, weight, n, e, moe.JitterEps); break;
        }
        if (capture is not null)
        {
            DownloadAsync(capture + (long)n * e * 4, index, pairs * 4L, "routing index capture");
            DownloadAsync(capture + (long)n * e * 4 + pairs * 4L, weight, pairs * 4L, "routing weight capture");
        }

        // sort the (token, choice) pairs by expert; the GEMM sizes need the counts on the host
        ulong counts = _ws.Device("expert counts", e * 4L);
        _kernels.Launch("expert_count", _stream, e, SortThreads, index, pairs, counts);
        int* hostCounts = (int*)_ws.Pinned("expert counts", e * 4L);
        DownloadAsync(hostCounts, counts, e * 4L, "expert counts");
        ulong sortedRow = _ws.Device("sorted row", pairs * 4L), sortedWeight = _ws.Device("sorted weight", pairs * 4L),
              sortedExpert = _ws.Device("sorted expert", pairs * 4L), slotOf = _ws.Device("slot of pair", pairs * 4L);
        _kernels.Launch("expert_place", _stream, e, SortThreads, index, weight, pairs, k, counts, sortedRow, sortedWeight, sortedExpert, slotOf);
        var gathered = Gather(x, sortedRow, pairs, hidden, options.Precision, "expert input");
        _stream.Synchronize();
        var groupRows = new int[e];
        for (int i = 0; i < e; i++) groupRows[i] = hostCounts[i];

        ulong expertOut = RunExperts(experts, gathered, groupRows, pairs, sortedExpert, options.Precision, "routed");
        Elements("expert_combine", (long)n * hidden, expertOut, index, weight, slotOf, y, n, k, hidden);
        if (moe.Shared is { } shared)
        {
            var all = Enumerable.Range(0, n).ToArray();
            ulong dAll = _ws.Device("shared rows", n * 4L);
            Upload<int>(dAll, all, "shared expert rows");
            ulong sharedInput = Gather(x, dAll, n, hidden, options.Precision, "shared input");
            ulong sharedOut = RunExperts(shared, sharedInput, [n], n, 0, options.Precision, "shared");
            ulong gate = _ws.Device("shared gate", n * 4L);
            Linear(moe.SharedGate!, x, gate, n, options.Precision);
            Elements("shared_expert_add", (long)n * hidden, y, sharedOut, gate, n, hidden);
        }
    }

    /// <summary>rows of x [source[i]] → [m, cols] in the precision's GEMM input format.</summary>
    private ulong Gather(ulong x, ulong source, int m, int cols, Precision precision, string name)
    {
        if (precision == Precision.Fast)
        {
            ulong outBf16 = _ws.Device(name, (long)m * cols * 2);
            Elements("gather_rows_bf16", (long)m * cols, x, source, outBf16, m, cols);
            return outBf16;
        }
        ulong output = _ws.Device(name, (long)m * cols * 4);
        Elements("gather_rows", (long)m * cols, x, source, output, m, cols);
        return output;
    }

    /// <summary>
    /// The experts over rows sorted by expert (<paramref name="groupRows"/>[e] rows each, in expert order): returns
    /// their outputs [rows, H] fp32 in the same order.
    /// </summary>
    private ulong RunExperts(DeviceExperts experts, ulong input, int[] groupRows, int rows, ulong rowExpert, Precision precision, string name)
    {
        int hidden = experts.Hidden, inter = experts.Intermediate;
        int firstWidth = experts.Kind == ExpertKind.SwiGlu ? inter : 2 * inter;
        ulong first = _ws.Device(name + " first", (long)rows * firstWidth * 4);
        ulong act = _ws.Device(name + " activation", (long)rows * inter * 4);
        ulong output = _ws.Device(name + " output", (long)rows * hidden * 4);
        GroupedGemm(experts.First, input, hidden, first, groupRows, precision);
        if (experts.Kind == ExpertKind.SwiGlu)
        {
            ulong up = _ws.Device(name + " up", (long)rows * inter * 4);
            GroupedGemm(experts.Up!, input, hidden, up, groupRows, precision);
            Elements("swiglu", (long)rows * inter, first, up, act, (long)rows * inter);
        }
        else
            Elements("clamped_swiglu", (long)rows * inter, first, experts.FirstBias!, rowExpert, act, rows, inter, ClampedSwiGluExperts.Alpha, ClampedSwiGluExperts.Limit);
        ulong downInput = act;
        if (precision == Precision.Fast)
        {
            downInput = _ws.Device(name + " activation bf16", (long)rows * inter * 2);
            Elements("round_bf16", (long)rows * inter, act, downInput, (long)rows * inter);
        }
        GroupedGemm(experts.Down, downInput, inter, output, groupRows, precision);
        if (experts.DownBias is { } db) Elements("add_expert_bias", (long)rows * hidden, output, db, rowExpert, rows, hidden);
        return output;
    }

    /// <summary>
    /// For each expert g with rows: y[rows of g] = x[rows of g] · W_gᵀ; x in the precision's input format.
    /// fast + BF16 weights + cuBLAS 12.5: one cublasGemmGroupedBatchedEx call; otherwise one GEMM per expert.
    /// </summary>
    private void GroupedGemm(DeviceMatrix[] weights, ulong x, int inFeatures, ulong y, int[] groupRows, Precision precision)
    {
        int outFeatures = weights[0].Rows;
        long xElement = precision == Precision.Fast ? 2 : 4;
        if (precision == Precision.Fast && CuBlas.HasGroupedGemm && GroupedGemmRefusal is null && weights.All(w => w.Type == DType.BF16))
        {
            var xs = new List<ulong>(); var ws = new List<ulong>(); var ys = new List<ulong>(); var ts = new List<int>();
            long offset = 0;
            for (int g = 0; g < weights.Length; g++)
            {
                if (groupRows[g] > 0)
                {
                    xs.Add(x + (ulong)(offset * inFeatures * xElement)); ws.Add(weights[g].Pointer);
                    ys.Add(y + (ulong)(offset * outFeatures * 4)); ts.Add(groupRows[g]);
                }
                offset += groupRows[g];
            }
            ulong pointerScratch = _ws.Device("grouped GEMM pointers", 3L * weights.Length * 8);
            try
            {
                _blas.GroupedLinearBf16(xs.ToArray(), ws.ToArray(), ys.ToArray(), ts.ToArray(), outFeatures, inFeatures, pointerScratch);
                return;
            }
            catch (Native.CudaException e) when (e.StatusName is "CUBLAS_STATUS_NOT_SUPPORTED" or "CUBLAS_STATUS_INVALID_VALUE")
            {
                // this cuBLAS does not take bf16 inputs with fp32 outputs in the grouped GEMM: one GEMM per expert from now on
                GroupedGemmRefusal = e.Message;
            }
        }
        long start = 0;
        for (int g = 0; g < weights.Length; g++)
        {
            if (groupRows[g] > 0)
                GemmPrepared(x + (ulong)(start * inFeatures * xElement), weights[g], y + (ulong)(start * outFeatures * 4), groupRows[g], precision);
            start += groupRows[g];
        }
    }

    private readonly Dictionary<(SteeringRewrite, int), (DeviceBuffer Kind, DeviceBuffer Strength)?> _steering = new();

    /// <summary>
    /// The rewrite hook on the GPU: <see cref="SteeringRewrite"/> runs as the steer_rewrite kernel (its per-layer
    /// expert sets uploaded once); any other <see cref="IRouterRewrite"/> gets the scores on the host and back.
    /// </summary>
    private void Rewrite(IRouterRewrite rewrite, int layer, ulong scores, int n, int experts)
    {
        if (rewrite is SteeringRewrite steering)
        {
            if (!_steering.TryGetValue((steering, layer), out var sets))
            {
                var layerSets = steering.Mask.ForLayer(layer);
                if (layerSets is null) sets = null;
                else
                {
                    var kind = new int[experts]; var strength = new double[experts];
                    foreach (var a in layerSets.Activate) { kind[a.Expert] = 1; strength[a.Expert] = a.Strength; }
                    foreach (var d in layerSets.Deactivate) { kind[d.Expert] = 2; strength[d.Expert] = d.Strength; }
                    var dk = DeviceBuffer.Allocate(experts * 4L, "steering kinds"); var ds = DeviceBuffer.Allocate(experts * 8L, "steering strengths");
                    Upload<int>(dk.Pointer, kind, "steering kinds");
                    Upload<double>(ds.Pointer, strength, "steering strengths");
                    sets = (dk, ds);
                }
                _steering[(steering, layer)] = sets;
            }
            if (sets is null && steering.Scope == LogSoftmaxScope.SteeredLayersOnly) return;
            Elements("steer_rewrite", n, scores, n, experts, sets is { } s1 ? s1.Kind.Pointer : 0UL, sets is { } s2 ? s2.Strength.Pointer : 0UL);
            return;
        }
        var host = new float[n * experts];
        fixed (float* p = host) DownloadAsync(p, scores, host.Length * 4L, "router scores for a host rewrite");
        _stream.Synchronize();
        rewrite.Rewrite(layer, host, n, experts);
        Upload<float>(scores, host, "rewritten router scores");
    }

    private void Deliver(IRoutingObserver observer, List<(int Layer, int Experts, int K)> captures, TokenLayout layout)
    {
        int n = layout.Count;
        foreach (var (layer, e, k) in captures)
        {
            byte* capture = (byte*)_ws.Pinned($"routing capture {layer}", (long)n * e * 4 + (long)n * k * 8);
            var logits = new ReadOnlySpan<float>(capture, n * e);
            var index = new ReadOnlySpan<int>(capture + (long)n * e * 4, n * k);
            var weight = new ReadOnlySpan<float>(capture + (long)n * e * 4 + (long)n * k * 4, n * k);
            observer.OnRouting(new RoutingBatch(layer, e, k, logits, index, weight, layout.Sequence, layout.Position));
        }
    }

    /// <summary>As <see cref="MoeModel.Generate"/>, with the KV cache on the GPU: greedy at temperature 0, else seeded sampling.</summary>
    public int[] Generate(IReadOnlyList<int> prompt, GenerationOptions options) => Sampling.Generate(this, prompt, options);

    /// <summary>Frees the device memory (weights, scratch, stream, cuBLAS handle), and the CPU model when <see cref="Load(string, LoadOptions?)"/> loaded it.</summary>
    public void Dispose()
    {
        _ws.Dispose();
        foreach (var s in _steering.Values) { s?.Kind.Dispose(); s?.Strength.Dispose(); }
        _blas.Dispose();
        _stream.Dispose();
        var buffers = new HashSet<DeviceBuffer> { _embedding.Buffer, _lmHead.Weight.Buffer, _finalNorm.Weight };
        foreach (var l in _layers)
        {
            foreach (var lin in new[] { l.Attention.Q, l.Attention.K, l.Attention.V, l.Attention.O, l.Moe.Router, l.Moe.SharedGate })
                if (lin is not null) { buffers.Add(lin.Weight.Buffer); if (lin.Bias is { } b) buffers.Add(b); }
            foreach (var norm in new[] { l.AttentionNorm, l.MoeNorm, l.Attention.QNorm, l.Attention.KNorm })
                if (norm is not null) { buffers.Add(norm.Weight); if (norm.Bias is { } b) buffers.Add(b); }
            if (l.Attention.Sinks is { } s) buffers.Add(s);
            foreach (var ex in new[] { l.Moe.Experts, l.Moe.Shared })
            {
                if (ex is null) continue;
                foreach (var m in ex.First.Concat(ex.Up ?? []).Concat(ex.Down)) buffers.Add(m.Buffer);
                if (ex.FirstBias is { } fb) buffers.Add(fb);
                if (ex.DownBias is { } db) buffers.Add(db);
            }
        }
        if (_finalNorm.Bias is { } fnb) buffers.Add(fnb);
        if (_lmHead.Bias is { } lb) buffers.Add(lb);
        foreach (var b in buffers) b.Dispose();
        if (_ownsCpu) _cpu.Dispose();
    }
}
