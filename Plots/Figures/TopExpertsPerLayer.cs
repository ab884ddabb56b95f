using ScottPlot;
using ScottPlot.Plottables;
using ScottPlot.TickGenerators;
using SteerMoE.Research.Plots.Colors;
using Palette = SteerMoE.Research.Plots.Colors.Palette;

namespace SteerMoE.Research.Plots.Figures;

/// <summary>
/// Figure 2: how many of the N top-ranked experts of each model or task sit in each layer, side by side
/// (grouped bars, one colour per input); top panel: the N most positive scores (linked to behaviour 1),
/// bottom panel: the N most negative. Inputs may have different numbers of layers.
/// </summary>
public sealed class TopExpertsPerLayer : Figure
{
    private TopExpertsPerLayer(int width, int height) : base(width, height) { }

    /// <summary>Per input (in input order), its bars of the N most positive scores: one bar per layer, at x = layer + offset.</summary>
    public IReadOnlyList<BarPlot> PositiveBars { get; private set; } = [];
    /// <summary>Per input, its bars of the N most negative scores.</summary>
    public IReadOnlyList<BarPlot> NegativeBars { get; private set; } = [];

    /// <summary>Builds the figure from one or more score grids.</summary>
    public static TopExpertsPerLayer Create(IReadOnlyList<ExpertScoreGrid> inputs, int topN, string scoreName = "risk difference", string? title = null)
    {
        if (inputs.Count == 0) throw new ArgumentException("top-ranked experts per layer: no inputs; expected at least one count or ranking table.");
        if (topN < 1) throw new ArgumentException($"top-ranked experts per layer: N = {topN}; expected N >= 1.");
        int layers = inputs.Max(g => g.LayerIndices[^1] + 1);   // bars stand at decoder-layer indices (dense layers: none)
        var figure = new TopExpertsPerLayer(672, 500)
        {
            Title = title ?? $"Top {topN} experts by {scoreName}: count per layer",
            Note = string.Join("; ", inputs.Select(g => $"{g.Label}: {Plural(g.Layers, g.IsContiguous ? "layer" : "MoE layer")} × {Plural(g.Experts, "expert")}")),
        };
        var panels = figure.Grid(2, 1);
        double groupWidth = 0.84, barWidth = groupWidth / inputs.Count;
        var sides = new List<BarPlot>[] { [], [] };
        for (int side = 0; side < 2; side++)
        {
            var panel = panels[side];
            bool positive = side == 0;
            panel.Title(positive ? $"{scoreName} > 0 (side 1)" : $"{scoreName} < 0 (side 2)");
            panel.Axes.Bottom.TickGenerator = new NumericAutomatic { IntegerTicksOnly = true };
            panel.Axes.Left.TickGenerator = new NumericAutomatic { IntegerTicksOnly = true };
            panel.YLabel("experts");
            if (!positive) panel.XLabel("layer");
            for (int i = 0; i < inputs.Count; i++)
            {
                var counts = inputs[i].TopRankedPerLayer(topN, positive);
                double offset = -groupWidth / 2 + barWidth * (i + 0.5);
                var color = Palette.Series(i).ToColor();
                var bars = panel.Add.Bars(counts.Select((c, l) => new Bar
                {
                    Position = inputs[i].LayerIndices[l] + offset, Value = c, Size = barWidth * 0.92, FillColor = color, LineWidth = 0,
                }).ToList());
                bars.LegendText = inputs[i].Label;
                sides[side].Add(bars);
            }
            int most = Math.Max(1, sides[side].SelectMany(b => b.Bars).Max(b => (int)b.Value));
            panel.Axes.SetLimits(-0.6, layers - 0.4, 0, most * 1.08);
            panel.Grid.XAxisStyle.MajorLineStyle.Width = 0;
        }
        if (inputs.Count > 1)
            figure.Legend.AddRange(inputs.Select((g, i) => new LegendItem { LabelText = g.Label, FillColor = Palette.Series(i).ToColor(), LineWidth = 0 }));
        figure.PositiveBars = sides[0]; figure.NegativeBars = sides[1];
        return figure;
    }

    internal static string Plural(int n, string noun) => $"{n} {noun}{(n == 1 ? "" : "s")}";
}
