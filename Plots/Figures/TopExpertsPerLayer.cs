using SteerMoE.Research.Plots.Colors;
using SteerMoE.Research.Plots.Layout;
using SteerMoE.Research.Plots.Plottables;

namespace SteerMoE.Research.Plots.Figures;

/// <summary>
/// Figure 2: how many of the N top-ranked experts of each model or task sit in each layer, side by side
/// (grouped bars, one colour per input); top panel: the N most positive scores (linked to behaviour 1),
/// bottom panel: the N most negative. Inputs may have different numbers of layers.
/// </summary>
public static class TopExpertsPerLayer
{
    /// <summary>Builds the figure from one or more score grids.</summary>
    public static Figure Create(IReadOnlyList<ExpertScoreGrid> inputs, int topN, string scoreName = "risk difference", string? title = null)
    {
        if (inputs.Count == 0) throw new ArgumentException("top-ranked experts per layer: no inputs; expected at least one count or ranking table.");
        if (topN < 1) throw new ArgumentException($"top-ranked experts per layer: N = {topN}; expected N >= 1.");
        int layers = inputs.Max(g => g.Layers);
        var figure = new Figure(672, 470) { Title = title ?? $"Top {topN} experts by {scoreName}: count per layer" };
        var panels = figure.Grid(2, 1);
        double groupWidth = 0.84, barWidth = groupWidth / inputs.Count;
        for (int side = 0; side < 2; side++)
        {
            var panel = panels[side];
            bool positive = side == 0;
            panel.Title = positive ? $"{scoreName} > 0 (side 1)" : $"{scoreName} < 0 (side 2)";
            panel.X.IntegerTicks = panel.Y.IntegerTicks = true;
            panel.X.Padding = 0;
            panel.X.SetLimits(-0.6, layers - 0.4);
            panel.Y.Min = 0;
            panel.Y.Label = "experts";
            if (side == 1) panel.X.Label = "layer";
            panel.Legend = positive && inputs.Count > 1 ? LegendPlacement.Top : LegendPlacement.None;
            for (int i = 0; i < inputs.Count; i++)
            {
                var counts = inputs[i].TopRankedPerLayer(topN, positive);
                double offset = -groupWidth / 2 + barWidth * (i + 0.5);
                var bars = panel.Add.Bars(counts.Select((c, l) => new Bar(l + offset, c)).ToList());
                bars.Width = barWidth * 0.92;
                bars.Color = Palette.Series(i);
                bars.Label = inputs[i].Label;
            }
        }
        figure.Note = string.Join("; ", inputs.Select(g => $"{g.Label}: {Plural(g.Layers, "layer")} × {Plural(g.Experts, "expert")}"));
        return figure;
    }

    internal static string Plural(int n, string noun) => $"{n} {noun}{(n == 1 ? "" : "s")}";
}
