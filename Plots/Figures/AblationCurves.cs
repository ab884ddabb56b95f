using SteerMoE.Research.Plots.Colors;
using SteerMoE.Research.Plots.Layout;

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

/// <summary>
/// Figure 4: the metric (left) and fluency (right) against the number of steered experts, one curve per
/// direction (mean over seeds) with the min–max range over seeds shaded, and controls as dashed lines.
/// </summary>
public static class AblationCurves
{
    /// <summary>Per direction and x: (x, mean, min, max, seeds) of one measure.</summary>
    public static IReadOnlyList<(int X, double Mean, double Low, double High, int Seeds)> Summarise(IEnumerable<AblationRecord> records, Func<AblationRecord, double> measure) =>
        records.GroupBy(r => r.SteeredExperts).OrderBy(g => g.Key).Select(g =>
        {
            var v = g.Select(measure).Where(double.IsFinite).ToArray();
            return v.Length == 0 ? (g.Key, double.NaN, double.NaN, double.NaN, 0) : (g.Key, v.Average(), v.Min(), v.Max(), v.Length);
        }).ToList();

    /// <summary>Builds the figure.</summary>
    public static Figure Create(IReadOnlyList<AblationRecord> records, IReadOnlyList<ControlLevel> controls,
        string metricName = "metric", string fluencyName = "fluency", string title = "Steering ablation")
    {
        if (records.Count == 0) throw new ArgumentException($"{title}: no ablation records; expected at least one (direction, steered experts, seed, metric, fluency).");
        foreach (var r in records)
            if (r.SteeredExperts < 0) throw new ArgumentException($"{title}: direction '{r.Direction}', seed {r.Seed}: {r.SteeredExperts} steered experts; expected >= 0.");
        var figure = new Figure(672, 330) { Title = title };
        var panels = figure.Grid(1, 2);
        var directions = records.Select(r => r.Direction).Distinct().OrderBy(d => d, StringComparer.Ordinal).ToList();
        int seeds = records.Select(r => r.Seed).Distinct().Count();
        for (int p = 0; p < 2; p++)
        {
            var panel = panels[p];
            Func<AblationRecord, double> measure = p == 0 ? r => r.Metric : r => r.Fluency;
            panel.Title = p == 0 ? metricName : fluencyName;
            panel.X.Label = "steered experts"; panel.Y.Label = p == 0 ? metricName : fluencyName;
            panel.X.IntegerTicks = true;
            panel.Legend = LegendPlacement.None;
            for (int d = 0; d < directions.Count; d++)
            {
                var s = Summarise(records.Where(r => r.Direction == directions[d]), measure);
                var line = panel.Add.Line(s.Select(q => (double)q.X).ToList(), s.Select(q => q.Mean).ToList());
                if (seeds > 1) line.WithBand(s.Select(q => q.Low).ToList(), s.Select(q => q.High).ToList());
                line.Color = Palette.Series(d);
                line.Label = directions[d];
            }
            for (int c = 0; c < controls.Count; c++)
            {
                double level = p == 0 ? controls[c].Metric : controls[c].Fluency;
                if (!double.IsFinite(level)) continue;
                var reference = panel.Add.HorizontalLine(level);
                reference.Label = controls[c].Label;
                reference.Color = c switch { 0 => new Rgb(40, 40, 40), 1 => new Rgb(130, 130, 130), _ => Palette.Series(directions.Count + c) };
                reference.Dash = c % 2 == 0 ? "5 3" : "2 2";
            }
        }
        figure.SharedLegend = true;
        figure.Note = seeds > 1 ? $"lines: mean over {seeds} seeds; shaded: min–max over seeds" : "one seed per point";
        return figure;
    }
}
