using SteerMoE.Research.Plots.Colors;
using SteerMoE.Research.Plots.Layout;
using SteerMoE.Research.Plots.Plottables;

namespace SteerMoE.Research.Plots.Figures;

/// <summary>
/// Figure 1: the risk difference of every expert, layer (rows, layer 0 on top) × expert (columns), on a
/// diverging map symmetric around 0, with the experts a steering plan activates (outlined) and deactivates
/// (dotted) marked. The cell size adapts to the model: 8 to 128 experts, 1 to 64 layers.
/// </summary>
public static class RiskDifferenceHeatmap
{
    /// <summary>Builds the figure. <paramref name="plan"/> may be null or empty (no marks).</summary>
    public static Figure Create(ExpertScoreGrid scores, IReadOnlyList<PlanCell>? plan = null, string? title = null, string scoreName = "risk difference")
    {
        plan ??= [];
        foreach (var c in plan)
            if (c.Layer < 0 || c.Layer >= scores.Layers || c.Expert < 0 || c.Expert >= scores.Experts)
                throw new ArgumentException($"{scores.Label}: the plan steers layer {c.Layer}, expert {c.Expert}, but the table has layers 0..{scores.Layers - 1} and experts 0..{scores.Experts - 1}.");
        // Data area at most 520 px (a two-column figure with its colour bar); few experts get at most 40 px each, the
        // figure never narrower than its title needs (240 px of data).
        double plotWidth = Math.Min(520, Math.Max(240, scores.Experts * 40.0)), width = plotWidth + 152;
        double cellWidth = plotWidth / scores.Experts;
        double cellHeight = Math.Clamp(cellWidth, 5, 14);
        double dataHeight = Math.Clamp(scores.Layers * cellHeight, Math.Min(200, Math.Max(120, scores.Layers * 40.0)), 640); // >= 120 px: room for the colour bar's ticks and title
        bool hasPlan = plan.Count > 0;
        double height = dataHeight + 96 + (hasPlan ? 22 : 0);
        int nan = scores.Values.Cast<double>().Count(double.IsNaN);
        string note = $"{TopExpertsPerLayer.Plural(scores.Layers, "layer")} × {TopExpertsPerLayer.Plural(scores.Experts, "expert")}; red: routed more often on side 1, blue: on side 2; colour range ±{SymmetricLimit(scores).ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)}"
            + (nan > 0 ? $"; {nan} cell{(nan == 1 ? "" : "s")} without a score (grey)" : "");
        // A narrow figure (few experts) wraps its note over more lines.
        height += (Text.FontMetrics.Wrap(note, 11 * 0.9, width - 16).Count - 1) * Text.FontMetrics.LineHeight(11 * 0.9);
        var figure = new Figure(width, height) { Title = title ?? $"{scores.Label}: {scoreName} per expert", Note = note };
        var panel = figure.Panel;
        var map = panel.Add.Heatmap(scores.Values, ColorMap.BlueWhiteRed);
        panel.Grid = false;
        panel.X.Label = "expert"; panel.Y.Label = "layer";
        panel.X.IntegerTicks = panel.Y.IntegerTicks = true;
        panel.X.Padding = panel.Y.Padding = 0;
        panel.Y.Inverted = true;
        panel.AddColorBar(map, scoreName);
        if (hasPlan)
        {
            var on = panel.Add.CellMarkers(plan.Where(c => c.Activate).Select(c => (c.Layer, c.Expert)).ToList());
            on.Label = $"activated ({on.Cells.Count})"; on.Kind = "activate"; on.Style = CellMarkerStyle.Outline;
            var off = panel.Add.CellMarkers(plan.Where(c => !c.Activate).Select(c => (c.Layer, c.Expert)).ToList());
            off.Label = $"deactivated ({off.Cells.Count})"; off.Kind = "deactivate"; off.Style = CellMarkerStyle.Dot;
            panel.Legend = LegendPlacement.Top;
        }
        return figure;
    }

    private static double SymmetricLimit(ExpertScoreGrid scores)
    {
        var finite = scores.Values.Cast<double>().Where(double.IsFinite).ToArray();
        return finite.Length == 0 ? 1 : finite.Max(Math.Abs) is var m && m > 0 ? m : 1;
    }
}
