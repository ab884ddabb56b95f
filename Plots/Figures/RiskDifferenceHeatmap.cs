using System.Globalization;
using ScottPlot;
using ScottPlot.Plottables;
using ScottPlot.TickGenerators;
using SteerMoE.Research.Plots.Colors;

namespace SteerMoE.Research.Plots.Figures;

/// <summary>
/// Figure 1: the risk difference of every expert, layer (rows, layer 0 on top) × expert (columns), on a
/// diverging map symmetric around 0, with the experts a steering plan activates (outlined) and deactivates
/// (dotted) marked, and a colour bar. The cell size adapts to the model: 8 to 128 experts, 1 to 64 layers.
/// In data coordinates expert e and layer l are the cell centred on (e, l).
/// </summary>
public sealed class RiskDifferenceHeatmap : Figure
{
    /// <summary>The grey of cells without a score.</summary>
    public static readonly Rgb NaNColor = Rgb.Parse("#d9d9d9");

    private RiskDifferenceHeatmap(int width, int height, ExpertScoreGrid scores, IReadOnlyList<PlanCell> plan) : base(width, height)
    {
        Scores = scores; Plan = plan;
    }

    /// <summary>The scores drawn.</summary>
    public ExpertScoreGrid Scores { get; }
    /// <summary>The marked plan cells.</summary>
    public IReadOnlyList<PlanCell> Plan { get; }
    /// <summary>The panel.</summary>
    public Plot Panel => Panels[0];
    /// <summary>The heatmap plottable (intensities [layer, expert], colour range ±<see cref="ColorLimit"/>).</summary>
    public Heatmap Heatmap { get; private set; } = null!;
    /// <summary>The colour bar beside the heatmap.</summary>
    public ScottPlot.Panels.ColorBar ColorBar { get; private set; } = null!;
    /// <summary>One outline per activated expert of the plan, in plan order.</summary>
    public IReadOnlyList<ScottPlot.Plottables.Rectangle> ActivateMarks { get; private set; } = [];
    /// <summary>The dots on the deactivated experts of the plan (null without any).</summary>
    public Markers? DeactivateMarks { get; private set; }
    /// <summary>The colour range is [−ColorLimit, +ColorLimit]: the largest |score| (1 when there is none).</summary>
    public double ColorLimit { get; private set; }

    /// <summary>The colour of one cell as the map gives it (grey for NaN).</summary>
    public Rgb CellColor(int layer, int expert)
    {
        double v = Scores.Values[Row(Scores, layer), expert];
        return double.IsNaN(v) ? NaNColor : ColorMap.BlueWhiteRed.At((v + ColorLimit) / (2 * ColorLimit));
    }

    /// <summary>The centre of one cell in figure pixels (valid after the figure was rendered).</summary>
    public Pixel CellCentre(int layer, int expert) => Panel.GetPixel(new Coordinates(expert, Row(Scores, layer)));

    // Cells are drawn by row; a layer is named by its decoder index (dense layers have no row).
    private static int Row(ExpertScoreGrid scores, int layer) => scores.RowOf(layer) is var r && r >= 0 ? r
        : throw new ArgumentException($"{scores.Label}: layer {layer} has no scores (the table's layers are {string.Join(", ", scores.LayerIndices)}; a dense layer has none).");

    /// <summary>Builds the figure. <paramref name="plan"/> may be null or empty (no marks).</summary>
    public static RiskDifferenceHeatmap Create(ExpertScoreGrid scores, IReadOnlyList<PlanCell>? plan = null, string? title = null, string scoreName = "risk difference")
    {
        plan ??= [];
        foreach (var c in plan)
            if (scores.RowOf(c.Layer) < 0 || c.Expert < 0 || c.Expert >= scores.Experts)
                throw new ArgumentException(scores.IsContiguous
                    ? $"{scores.Label}: the plan steers layer {c.Layer}, expert {c.Expert}, but the table has layers 0..{scores.Layers - 1} and experts 0..{scores.Experts - 1}."
                    : $"{scores.Label}: the plan steers layer {c.Layer}, expert {c.Expert}, but the table has layers {string.Join(", ", scores.LayerIndices)} and experts 0..{scores.Experts - 1}.");
        // Data area at most 520 px wide (a two-column figure with its colour bar); few experts get at most 40 px each, never
        // narrower than 240 px; rows as tall as cells are wide within 5..14 px, at least 120 px for the colour bar's ticks.
        double plotWidth = Math.Min(520, Math.Max(240, scores.Experts * 40.0));
        double cellHeight = Math.Clamp(plotWidth / scores.Experts, 5, 14);
        double dataHeight = Math.Clamp(scores.Layers * cellHeight, Math.Min(200, Math.Max(120, scores.Layers * 40.0)), 640);
        bool hasPlan = plan.Count > 0;
        double limit = SymmetricLimit(scores);
        int nan = scores.Values.Cast<double>().Count(double.IsNaN);
        string note = $"{TopExpertsPerLayer.Plural(scores.Layers, scores.IsContiguous ? "layer" : "MoE layer")} × {TopExpertsPerLayer.Plural(scores.Experts, "expert")}; red: routed more often on side 1, blue: on side 2; colour range ±{limit.ToString("0.###", CultureInfo.InvariantCulture)}"
            + (nan > 0 ? $"; {nan} cell{(nan == 1 ? "" : "s")} without a score (grey)" : "");
        int width = (int)plotWidth + 170;
        // Title, legend row, x axis and a note of up to three lines (narrow figures wrap it).
        int height = (int)(dataHeight + 28 + (hasPlan ? 24 : 0) + 46 + (width < 500 ? 3 : 2) * 15);
        var figure = new RiskDifferenceHeatmap(width, height, scores, plan) { Title = title ?? $"{scores.Label}: {scoreName} per expert", Note = note, ColorLimit = limit };
        var panel = figure.Grid(1, 1)[0];

        var map = panel.Add.Heatmap(scores.Values);
        map.Colormap = ColorMap.BlueWhiteRed;
        map.ManualRange = new ScottPlot.Range(-limit, limit);
        map.NaNCellColor = NaNColor.ToColor();
        // Rectangle gives the outer cell edges (Extent shifts the cells by half a cell): row l is the cell centred on y = l, and the inverted y axis puts layer 0 on top.
        map.Rectangle = new CoordinateRect(-0.5, scores.Experts - 0.5, -0.5, scores.Layers - 0.5);
        map.Update(); // the cell image was made when the heatmap was added, before the map and range were set
        figure.Heatmap = map;
        figure.ColorBar = panel.Add.ColorBar(map);
        figure.ColorBar.Label = scoreName;
        figure.ColorBar.LabelStyle.FontSize = figure.FontSize + 1;
        figure.ColorBar.Axis.TickLabelStyle.FontSize = figure.FontSize;
        figure.ColorBar.Axis.TickGenerator = new NumericAutomatic { TargetTickCount = 5 };

        panel.Axes.SetLimits(-0.5, scores.Experts - 0.5, scores.Layers - 0.5, -0.5);
        panel.Axes.Bottom.TickGenerator = new NumericAutomatic { IntegerTicksOnly = true };
        if (scores.IsContiguous) panel.Axes.Left.TickGenerator = new NumericAutomatic { IntegerTicksOnly = true };
        else
        {
            // Rows skip the dense layers: each row is labelled with its decoder-layer index.
            var ticks = new NumericManual();
            for (int r = 0; r < scores.Layers; r++) ticks.AddMajor(r, scores.LayerIndices[r].ToString(CultureInfo.InvariantCulture));
            panel.Axes.Left.TickGenerator = ticks;
        }
        panel.XLabel("expert"); panel.YLabel("layer");
        panel.HideGrid();

        float cellPixels = (float)Math.Min(plotWidth / scores.Experts, dataHeight / scores.Layers);
        var activate = plan.Where(c => c.Activate).ToList();
        var deactivate = plan.Where(c => !c.Activate).ToList();
        figure.ActivateMarks = activate.Select(c =>
        {
            int row = scores.RowOf(c.Layer);
            var r = panel.Add.Rectangle(c.Expert - 0.5, c.Expert + 0.5, row - 0.5, row + 0.5);
            r.FillColor = ScottPlot.Colors.Transparent;
            r.LineColor = ScottPlot.Colors.Black;
            r.LineWidth = cellPixels < 8 ? 1 : 1.5f;
            return r;
        }).ToList();
        if (deactivate.Count > 0)
            figure.DeactivateMarks = panel.Add.Markers(deactivate.Select(c => (double)c.Expert).ToArray(), deactivate.Select(c => (double)scores.RowOf(c.Layer)).ToArray(),
                MarkerShape.FilledCircle, Math.Clamp(cellPixels * 0.6f, 2.5f, 8), ScottPlot.Colors.Black);
        if (figure.DeactivateMarks != null)
        {
            // A white rim keeps the dot visible on the darkest cells.
            figure.DeactivateMarks.MarkerLineColor = ScottPlot.Colors.White;
            figure.DeactivateMarks.MarkerLineWidth = cellPixels < 8 ? 0.5f : 1;
        }
        if (hasPlan)
        {
            figure.Legend.Add(new LegendItem { LabelText = $"activated ({activate.Count})", MarkerShape = MarkerShape.OpenSquare, MarkerSize = 10, MarkerLineColor = ScottPlot.Colors.Black, MarkerLineWidth = 1.5f });
            figure.Legend.Add(new LegendItem { LabelText = $"deactivated ({deactivate.Count})", MarkerShape = MarkerShape.FilledCircle, MarkerSize = 7, MarkerFillColor = ScottPlot.Colors.Black, MarkerLineColor = ScottPlot.Colors.Black });
        }
        return figure;
    }

    private static double SymmetricLimit(ExpertScoreGrid scores)
    {
        var finite = scores.Values.Cast<double>().Where(double.IsFinite).ToArray();
        return finite.Length == 0 ? 1 : finite.Max(Math.Abs) is var m && m > 0 ? m : 1;
    }
}
