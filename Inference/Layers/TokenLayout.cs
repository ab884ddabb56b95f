namespace SteerMoE.Research.Inference.Layers;

/// <summary>
/// Where the rows of one forward block come from: row i is token <c>Position[i]</c> of batch row
/// <c>Sequence[i]</c>. The rows of one sequence are contiguous and in increasing position.
/// </summary>
public sealed class TokenLayout
{
    /// <summary>Builds the layout of new tokens appended after <paramref name="pastLengths"/> cached tokens per sequence.</summary>
    public TokenLayout(IReadOnlyList<int> newLengths, IReadOnlyList<int> pastLengths)
    {
        int n = newLengths.Sum();
        Sequence = new int[n]; Position = new int[n];
        int r = 0;
        for (int s = 0; s < newLengths.Count; s++)
            for (int i = 0; i < newLengths[s]; i++) { Sequence[r] = s; Position[r] = pastLengths[s] + i; r++; }
        MaxLength = n == 0 ? 0 : Position.Max() + 1;
        var last = new List<(int, int)>();
        int end = 0;
        for (int s = 0; s < newLengths.Count; s++) { end += newLengths[s]; if (newLengths[s] > 0) last.Add((s, end - 1)); }
        LastRows = last;
    }

    /// <summary>[N] batch row of each token.</summary>
    public int[] Sequence { get; }
    /// <summary>[N] position of each token in its row.</summary>
    public int[] Position { get; }
    /// <summary>Number of rows (tokens) in the block.</summary>
    public int Count => Sequence.Length;
    /// <summary>Largest position + 1 (the sequence length the rope sees).</summary>
    public int MaxLength { get; }
    /// <summary>The row of each sequence's last new token, for the sequences with new tokens (whose next-token logits a pass returns).</summary>
    public IReadOnlyList<(int Sequence, int Row)> LastRows { get; }
}

/// <summary>
/// Keys and values of every layer for every sequence of a batch, grown as tokens are appended
/// (fp32, [length, kvHeads · headDim] per sequence and layer).
/// </summary>
public sealed class KvCache : Models.IKvCache
{
    private readonly float[][][] _keys, _values;   // [layer][sequence] → [capacity, width]
    private readonly int[] _lengths;                // [sequence] tokens cached

    /// <summary>An empty cache for <paramref name="sequences"/> rows: <paramref name="width"/> floats of keys per token
    /// and layer, and as many of values unless <paramref name="valueWidth"/> says otherwise (0: no values, MLA).</summary>
    public KvCache(int layers, int sequences, int width, int? valueWidth = null)
    {
        Width = width; ValueWidth = valueWidth ?? width;
        _keys = new float[layers][][]; _values = new float[layers][][];
        for (int l = 0; l < layers; l++)
        {
            _keys[l] = new float[sequences][]; _values[l] = new float[sequences][];
            for (int s = 0; s < sequences; s++) { _keys[l][s] = Array.Empty<float>(); _values[l][s] = Array.Empty<float>(); }
        }
        _lengths = new int[sequences];
    }

    /// <summary>Key floats per cached token (kvHeads · headDim; MLA: kv_lora_rank + qk_rope_head_dim).</summary>
    public int Width { get; }
    /// <summary>Value floats per cached token (kvHeads · headDim; MLA: 0, the values come from the latent).</summary>
    public int ValueWidth { get; }
    /// <summary>Number of sequences.</summary>
    public int SequenceCount => _lengths.Length;
    /// <summary>Tokens cached for each sequence.</summary>
    public IReadOnlyList<int> Lengths => _lengths;
    /// <summary>Bytes held by keys and values.</summary>
    public long ByteCount => (_keys.Sum(l => l.Sum(s => (long)s.Length)) + _values.Sum(l => l.Sum(s => (long)s.Length))) * sizeof(float);

    /// <summary>Makes room for <paramref name="length"/> tokens of sequence <paramref name="sequence"/> in layer <paramref name="layer"/>.</summary>
    internal void Reserve(int layer, int sequence, int length)
    {
        if (_keys[layer][sequence].Length >= length * Width) return;
        int capacity = Math.Max(length, Math.Max(16, _keys[layer][sequence].Length / Width * 2));
        Array.Resize(ref _keys[layer][sequence], capacity * Width);
        Array.Resize(ref _values[layer][sequence], capacity * ValueWidth);
    }

    /// <summary>Keys of a sequence in a layer: [capacity, Width].</summary>
    internal float[] Keys(int layer, int sequence) => _keys[layer][sequence];
    /// <summary>Values of a sequence in a layer: [capacity, Width].</summary>
    internal float[] Values(int layer, int sequence) => _values[layer][sequence];

    /// <summary>Records that a forward block appended <paramref name="added"/> tokens per sequence.</summary>
    internal void Advance(IReadOnlyList<int> added)
    {
        for (int s = 0; s < added.Count; s++) _lengths[s] += added[s];
    }

    /// <summary>Nothing to free (managed arrays); there so that engine-neutral code can dispose any <see cref="Models.IKvCache"/>.</summary>
    public void Dispose() { }
}
