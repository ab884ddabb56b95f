using ScottPlot;
using ScottPlot.Plottables;
using ScottPlot.TickGenerators;
using SteerMoE.Research.Plots.Colors;
using Palette = SteerMoE.Research.Plots.Colors.Palette;

namespace SteerMoE.Research.Plots.Figures;

/// <summary>One ablation measurement: steering <paramref name="SteeredExperts"/> experts in one direction with one seed.</summary>
/// <param name="Direction">"activate" or "deactivate" (any label: one curve per distinct value).</param>
/// <param name="SteeredExperts">Number of steered experts (the x axis).</param>
/// <param name="Seed">The seed of this repetition.</param>
/// <param name="Metric">The behaviour metric (e.g. faithfulness accuracy).</param>
/// <param name="Fluency">The fluency measure of the same generations.</param>
public readonly record struct AblationRecord(string Direction, int SteeredExperts, int Seed, double Metric, double Fluency);

/// <summary>A control level drawn as a reference line (unsteered model, random experts, ...); NaN skips a panel.</summary>
public readonly record struct ControlLevel(string Label, double Metric, double Fluency);

/// <summary>One summary point of a curve: at <paramref name="X"/> steered experts, the mean and min–max over seeds.</summary>
public readonly record struct AblationPoint(int X, double Mean, double Low, double High, int Seeds);

/// <summary>One drawn curve: its line (the means), its band (min–max over seeds; null with one seed) and the numbers behind them.</summary>
public sealed record AblationCurve(string Direction, string Measure, Scatter Line, FillY? Band, IReadOnlyList<AblationPoint> Points);

/// <summary>
/// Figure 4: the metric (left) and fluency (right) against the number of steered experts, one curve per
/// direction (mean over seeds) with the min–max range over seeds shaded, and controls as dashed lines.
/// </summary>
public sealed class AblationCurves : Figure
{
    private AblationCurves(int width, int height) : base(width, height) { }

    /// <summary>Every curve: per panel (metric, then fluency), per direction (ordinal order).</summary>
    public IReadOnlyList<AblationCurve> Curves { get; private set; } = [];
    /// <summary>The control lines drawn, per panel in control order (NaN levels are not drawn).</summary>
    public IReadOnlyList<(string Label, string Measure, HorizontalLine Line)> Controls { get; private set; } = [];

    /// <summary>Per x: mean, min, max and number of the finite values of one measure (NaN with none).</summary>
    public static IReadOnlyList<AblationPoint> Summarise(IEnumerable<AblationRecord> records, Func<AblationRecord, double> measure) =>
        records.GroupBy(r => r.SteeredExperts).OrderBy(g => g.Key).Select(g =>
        {
            var v = g.Select(measure).Where(double.IsFinite).ToArray();
            return v.Length == 0 ? new AblationPoint(g.Key, double.NaN, double.NaN, double.NaN, 0) : new AblationPoint(g.Key, v.Average(), v.Min(), v.Max(), v.Length);
        }).ToList();

    /// <summary>Builds the figure.</summary>
    public static AblationCurves Create(IReadOnlyList<AblationRecord> records, IReadOnlyList<ControlLevel> controls,
        string metricName = "metric", string fluencyName = "fluency", string title = "Steering ablation")
    {
        if (records.Count == 0) throw new ArgumentException($"{title}: no ablation records; expected at least one (direction, steered experts, seed, metric, fluency).");
        foreach (var r in records)
            if (r.SteeredExperts < 0) throw new ArgumentException($"{title}: direction '{r.Direction}', seed {r.Seed}: {r.SteeredExperts} steered experts; expected >= 0.");
        var directions = records.Select(r => r.Direction).Distinct().OrderBy(d => d, StringComparer.Ordinal).ToList();
        int seeds = records.Select(r => r.Seed).Distinct().Count();
        var figure = new AblationCurves(672, 340)
        {
            Title = title,
            Note = seeds > 1 ? $"lines: mean over {seeds} seeds; shaded: min–max over seeds" : "one seed per point",
        };
        var panels = figure.Grid(1, 2);
        var curves = new List<AblationCurve>();
        var lines = new List<(string, string, HorizontalLine)>();
        for (int p = 0; p < 2; p++)
        {
            var panel = panels[p];
            string name = p == 0 ? metricName : fluencyName;
            Func<AblationRecord, double> measure = p == 0 ? r => r.Metric : r => r.Fluency;
            panel.Title(name);
            panel.XLabel("steered experts"); panel.YLabel(name);
            panel.Axes.Bottom.TickGenerator = new NumericAutomatic { IntegerTicksOnly = true };
            for (int d = 0; d < directions.Count; d++)
            {
                var points = Summarise(records.Where(r => r.Direction == directions[d]), measure).Where(s => s.Seeds > 0).ToList();
                var color = Palette.Series(d).ToColor();
                FillY? band = null;
                if (seeds > 1 && points.Count > 0)
                {
                    band = panel.Add.FillY(points.Select(s => (double)s.X).ToArray(), points.Select(s => s.High).ToArray(), points.Select(s => s.Low).ToArray());
                    band.FillColor = color.WithAlpha(0.2); band.LineWidth = 0;
                }
                var line = panel.Add.Scatter(points.Select(s => (double)s.X).ToArray(), points.Select(s => s.Mean).ToArray(), color);
                line.LineWidth = 2; line.MarkerSize = 6;
                curves.Add(new AblationCurve(directions[d], name, line, band, points));
            }
            for (int c = 0; c < controls.Count; c++)
            {
                double level = p == 0 ? controls[c].Metric : controls[c].Fluency;
                if (!double.IsFinite(level)) continue;
                var reference = panel.Add.HorizontalLine(level, 1.5f, ControlColor(c, directions.Count), c % 2 == 0 ? LinePattern.Dashed : LinePattern.Dotted);
                lines.Add((controls[c].Label, name, reference));
            }
        }
        figure.Legend.AddRange(directions.Select((d, i) => new LegendItem
        {
            LabelText = d, LineColor = Palette.Series(i).ToColor(), LineWidth = 2, MarkerShape = MarkerShape.FilledCircle, MarkerSize = 6, MarkerFillColor = Palette.Series(i).ToColor(), MarkerLineColor = Palette.Series(i).ToColor(),
        }));
        figure.Legend.AddRange(controls.Select((c, i) => new LegendItem
        {
            LabelText = c.Label, LineColor = ControlColor(i, directions.Count), LineWidth = 1.5f, LinePattern = i % 2 == 0 ? LinePattern.Dashed : LinePattern.Dotted,
        }));
        figure.Curves = curves; figure.Controls = lines;
        return figure;
    }

    private static Color ControlColor(int c, int directions) => c switch
    {
        0 => new Color(40, 40, 40), 1 => new Color(130, 130, 130), _ => Palette.Series(directions + c).ToColor(),
    };
}
