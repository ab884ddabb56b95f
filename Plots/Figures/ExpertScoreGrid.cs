namespace SteerMoE.Research.Plots.Figures;

/// <summary>
/// One score per (layer, expert) of one model or task (a risk difference, a log odds ratio, a count):
/// the plain input of the expert figures. Values [row, expert], one row per layer that has scores (an interleaved
/// model's dense layers have none, so they get no row); <see cref="LayerIndices"/> gives each row's decoder-layer
/// index, which figures show. A (layer, expert) missing from a layer that has rows is NaN.
/// </summary>
public sealed class ExpertScoreGrid
{
    private readonly int[] _layerIndices;

    /// <summary>Wraps a [rows, experts] array; row r is decoder layer <paramref name="layerIndices"/>[r] (default: r).</summary>
    public ExpertScoreGrid(string label, double[,] values, IReadOnlyList<int>? layerIndices = null)
    {
        if (values.GetLength(0) == 0 || values.GetLength(1) == 0)
            throw new ArgumentException($"{label}: no scores ({values.GetLength(0)} layers × {values.GetLength(1)} experts); expected at least one layer and one expert.");
        _layerIndices = layerIndices?.ToArray() ?? Enumerable.Range(0, values.GetLength(0)).ToArray();
        if (_layerIndices.Length != values.GetLength(0) || _layerIndices.Zip(_layerIndices.Skip(1)).Any(p => p.First >= p.Second) || _layerIndices[0] < 0)
            throw new ArgumentException($"{label}: {_layerIndices.Length} layer indices for {values.GetLength(0)} rows; expected one ascending index >= 0 per row.");
        Label = label; Values = values;
    }

    /// <summary>The decoder-layer index of each row, ascending.</summary>
    public IReadOnlyList<int> LayerIndices => _layerIndices;
    /// <summary>Whether rows are layers 0..Layers−1 (no dense layer left out).</summary>
    public bool IsContiguous => _layerIndices[^1] == _layerIndices.Length - 1;
    /// <summary>The row of decoder layer <paramref name="layer"/>, or −1 when it has none (a dense layer).</summary>
    public int RowOf(int layer) => Array.BinarySearch(_layerIndices, layer) is var r && r >= 0 ? r : -1;

    /// <summary>The model or task name shown in legends and titles.</summary>
    public string Label { get; }
    /// <summary>Scores [layer, expert].</summary>
    public double[,] Values { get; }
    /// <summary>Number of rows: the layers that have scores.</summary>
    public int Layers => Values.GetLength(0);
    /// <summary>Number of experts (columns).</summary>
    public int Experts => Values.GetLength(1);

    /// <summary>
    /// Builds a grid from (layer, expert, value) rows: one row per layer that appears (so a dense layer, which has no
    /// rows in counts or rankings, is left out), 1 + the largest expert index columns, cells without a row NaN.
    /// Throws on an empty list, a negative index or a (layer, expert) given twice.
    /// </summary>
    public static ExpertScoreGrid FromRows(string label, IEnumerable<(int Layer, int Expert, double Value)> rows)
    {
        var list = rows.ToList();
        if (list.Count == 0) throw new ArgumentException($"{label}: the table has no rows; expected one row per (layer, expert).");
        foreach (var r in list)
            if (r.Layer < 0 || r.Expert < 0) throw new ArgumentException($"{label}: layer {r.Layer}, expert {r.Expert}: indices must be >= 0.");
        var indices = list.Select(r => r.Layer).Distinct().Order().ToArray();
        int layers = indices.Length, experts = list.Max(r => r.Expert) + 1;
        var values = new double[layers, experts];
        var seen = new bool[layers, experts];
        for (int l = 0; l < layers; l++) for (int e = 0; e < experts; e++) values[l, e] = double.NaN;
        foreach (var (layer, e, v) in list)
        {
            int l = Array.BinarySearch(indices, layer);
            if (seen[l, e]) throw new ArgumentException($"{label}: layer {layer}, expert {e} appears twice.");
            seen[l, e] = true; values[l, e] = v;
        }
        return new ExpertScoreGrid(label, values, indices);
    }

    /// <summary>
    /// How many of the <paramref name="topN"/> highest-ranked experts of the whole model sit in each row (layer).
    /// <paramref name="positive"/>: rank by score descending, keeping scores &gt; 0 only (linked to behaviour 1);
    /// otherwise ascending, keeping scores &lt; 0. Ties are broken by layer, then expert; NaN never ranks.
    /// </summary>
    public int[] TopRankedPerLayer(int topN, bool positive)
    {
        if (topN < 1) throw new ArgumentException($"top-ranked experts: N = {topN}; expected N >= 1.");
        var cells = new List<(int Layer, int Expert, double Value)>();
        for (int l = 0; l < Layers; l++)
            for (int e = 0; e < Experts; e++)
            {
                double v = Values[l, e];
                if (positive ? v > 0 : v < 0) cells.Add((l, e, v));
            }
        var ranked = (positive ? cells.OrderByDescending(c => c.Value) : cells.OrderBy(c => c.Value)).ThenBy(c => c.Layer).ThenBy(c => c.Expert);
        var counts = new int[Layers];
        foreach (var c in ranked.Take(topN)) counts[c.Layer]++;
        return counts;
    }
}

/// <summary>One steered expert of a plan, as figures mark it.</summary>
public readonly record struct PlanCell(int Layer, int Expert, bool Activate);
