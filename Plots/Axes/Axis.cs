using SteerMoE.Research.Plots.Svg;
using SteerMoE.Research.Plots.Text;

namespace SteerMoE.Research.Plots.Axes;

/// <summary>One tick: its data value and its label.</summary>
public readonly record struct Tick(double Value, string Label);

/// <summary>
/// A horizontal or vertical axis of a panel: limits (set, or taken from the data), linear or log10 scale,
/// label, and ticks chosen as "nice" numbers (1, 2, 2.5, 5 × 10^k) and thinned until no two tick labels overlap.
/// </summary>
public sealed class Axis
{
    internal Axis(bool horizontal) => IsHorizontal = horizontal;

    /// <summary>True for the x axis.</summary>
    public bool IsHorizontal { get; }
    /// <summary>The axis title ("" for none).</summary>
    public string Label { get; set; } = "";
    /// <summary>A log10 scale (positive values only).</summary>
    public bool IsLog { get; set; }
    /// <summary>Draws the larger values first (left or top): layer 0 at the top of a heatmap.</summary>
    public bool Inverted { get; set; }
    /// <summary>Ticks at integers only (indices: layers, experts, counts).</summary>
    public bool IntegerTicks { get; set; }
    /// <summary>Draws the tick labels (a marginal panel sharing its neighbour's axis hides them).</summary>
    public bool ShowTickLabels { get; set; } = true;
    /// <summary>Draws the axis at all (line, ticks, labels).</summary>
    public bool Visible { get; set; } = true;
    /// <summary>Fraction of the data range added on each side when the limits come from the data.</summary>
    public double Padding { get; set; } = 0.04;
    /// <summary>Optional explicit tick positions with labels (categorical axes: benchmarks, models).</summary>
    public IReadOnlyList<Tick>? ManualTicks { get; set; }
    /// <summary>Explicit lower limit (null: from the data).</summary>
    public double? Min { get; set; }
    /// <summary>Explicit upper limit (null: from the data).</summary>
    public double? Max { get; set; }

    /// <summary>Sets both limits.</summary>
    public void SetLimits(double min, double max)
    {
        if (!double.IsFinite(min) || !double.IsFinite(max) || !(max > min))
            throw new ArgumentException($"axis limits [{min}, {max}]: expected finite numbers with min < max.");
        if (IsLog && min <= 0) throw new ArgumentException($"axis limits [{min}, {max}]: a log axis needs min > 0.");
        Min = min; Max = max;
    }

    /// <summary>The limits in use after layout (explicit, or the padded data range).</summary>
    public double Lo { get; private set; } = 0;
    /// <summary>The upper limit in use after layout.</summary>
    public double Hi { get; private set; } = 1;

    internal void Resolve(double dataMin, double dataMax)
    {
        double lo = Min ?? dataMin, hi = Max ?? dataMax;
        if (!double.IsFinite(lo) || !double.IsFinite(hi)) { lo = IsLog ? 1 : 0; hi = IsLog ? 10 : 1; }
        if (IsLog)
        {
            lo = Math.Max(lo, 1e-300); hi = Math.Max(hi, lo);
            double l = Math.Log10(lo), h = Math.Log10(hi);
            if (h - l < 1e-9) { l -= 0.5; h += 0.5; }
            double pad = (h - l) * Padding;
            if (Min == null) l -= pad;
            if (Max == null) h += pad;
            Lo = Math.Pow(10, l); Hi = Math.Pow(10, h);
        }
        else
        {
            // A single value (one layer, all scores equal) still gets a visible range around it.
            if (hi - lo < 1e-12 * Math.Max(1, Math.Abs(lo))) { double d = lo == 0 ? 1 : Math.Abs(lo) * 0.5; if (Min == null) lo -= d; if (Max == null) hi += d; }
            double pad = (hi - lo) * Padding;
            if (Min == null) lo -= pad;
            if (Max == null) hi += pad;
            Lo = lo; Hi = hi;
        }
    }

    private double T(double v) => IsLog ? Math.Log10(v) : v;

    /// <summary>Maps a data value to a pixel between <paramref name="start"/> and <paramref name="start"/> + <paramref name="length"/>.</summary>
    public double ToPixel(double v, double start, double length)
    {
        double f = (T(v) - T(Lo)) / (T(Hi) - T(Lo));
        // Screen y grows downwards: an upright vertical axis puts Lo at the bottom.
        bool flip = IsHorizontal ? Inverted : !Inverted;
        return flip ? start + length - f * length : start + f * length;
    }

    /// <summary>True when the value lies inside the limits (log axes also need v > 0).</summary>
    public bool Contains(double v) => double.IsFinite(v) && (!IsLog || v > 0) && v >= Math.Min(Lo, Hi) && v <= Math.Max(Lo, Hi);

    /// <summary>
    /// The ticks for an axis <paramref name="lengthPx"/> long: the densest nice set whose labels, set at
    /// <paramref name="fontSize"/>, leave a gap between neighbours.
    /// </summary>
    public IReadOnlyList<Tick> Ticks(double lengthPx, double fontSize)
    {
        if (ManualTicks != null) return Thin(FitManual(ManualTicks.Where(t => Contains(t.Value)).ToList(), lengthPx, fontSize), lengthPx, fontSize);
        // At most one tick per 55 px across (28 px for indices), 28 px down: a calm axis; fewer when the labels need the room.
        int maxCount = Math.Max(2, (int)(lengthPx / (IsHorizontal && !IntegerTicks ? 55 : 28)));
        if (IsLog)
        {
            for (int target = maxCount; target >= 2; target--)
            {
                var ticks = LogTicks(target);
                if (Fits(ticks, lengthPx, fontSize)) return ticks;
            }
            var fallback = LogTicks(2);
            return fallback.Count > 2 ? [fallback[0], fallback[^1]] : fallback;
        }
        // The finest nice step that gives at most maxCount + 2 ticks whose labels fit.
        List<Tick> last = [];
        foreach (double step in NiceSteps((Math.Max(Lo, Hi) - Math.Min(Lo, Hi)) / (maxCount + 2)))
        {
            last = LinearTicks(step);
            if (last.Count <= maxCount + 2 && Fits(last, lengthPx, fontSize)) return last;
            if (last.Count <= 2) break;
        }
        return last.Count > 2 ? [last[0], last[^1]] : last;
    }

    // Nice steps (1, 2, 2.5, 5 × 10^k; integers only for index axes) from the first >= minStep upwards.
    private IEnumerable<double> NiceSteps(double minStep)
    {
        double mag = Math.Pow(10, Math.Floor(Math.Log10(minStep)));
        double[] multipliers = IntegerTicks ? [1, 2, 5] : [1, 2, 2.5, 5];
        for (int k = 0; k < 40; k++, mag *= 10)
            foreach (double m in multipliers)
            {
                double step = m * mag;
                if (IntegerTicks && step < 1) continue;
                if (step >= minStep * 0.999) yield return step;
            }
    }

    /// <summary>The angle of the tick labels, degrees: −35 when category names on a horizontal axis do not fit level (set by <see cref="Ticks"/>).</summary>
    public double TickLabelAngle { get; private set; }

    /// <summary>The longest a slanted category label may be, in pixels; longer names end in "…".</summary>
    public double MaxSlantedLabelWidth { get; set; } = 150;

    // Category names on a horizontal axis that do not fit level are slanted (and only then shortened).
    private List<Tick> FitManual(List<Tick> ticks, double lengthPx, double fontSize)
    {
        TickLabelAngle = 0;
        if (!IsHorizontal || ticks.Count < 2 || Fits(ticks, lengthPx, fontSize)) return ticks;
        TickLabelAngle = -35;
        return ticks.Select(t => t with { Label = FontMetrics.Fit(t.Label, fontSize, MaxSlantedLabelWidth) }).ToList();
    }

    private List<Tick> Thin(List<Tick> ticks, double lengthPx, double fontSize)
    {
        for (int every = 1; every <= Math.Max(1, ticks.Count); every++)
        {
            var kept = ticks.Where((_, i) => i % every == 0).ToList();
            if (Fits(kept, lengthPx, fontSize)) return kept;
        }
        return ticks.Count > 0 ? [ticks[0]] : ticks;
    }

    private bool Fits(IReadOnlyList<Tick> ticks, double lengthPx, double fontSize)
    {
        if (!ShowTickLabels) return true;
        if (TickLabelAngle != 0)
        {
            // Slanted labels only need their line height across the slant.
            var p = ticks.Select(t => ToPixel(t.Value, 0, lengthPx)).ToArray();
            return Enumerable.Range(1, Math.Max(0, p.Length - 1)).All(i => Math.Abs(p[i] - p[i - 1]) * Math.Sin(Math.Abs(TickLabelAngle) * Math.PI / 180) >= FontMetrics.LineHeight(fontSize));
        }
        var pos = ticks.Select(t => ToPixel(t.Value, 0, lengthPx)).ToArray();
        for (int i = 1; i < ticks.Count; i++)
        {
            double gap = Math.Abs(pos[i] - pos[i - 1]);
            double need = IsHorizontal
                ? (FontMetrics.Width(ticks[i].Label, fontSize) + FontMetrics.Width(ticks[i - 1].Label, fontSize)) / 2 + fontSize * 0.8
                : FontMetrics.LineHeight(fontSize) + 3;
            if (gap < need) return false;
        }
        return true;
    }

    private List<Tick> LinearTicks(double step)
    {
        double lo = Math.Min(Lo, Hi), hi = Math.Max(Lo, Hi);
        // Decimals enough to tell neighbours apart: 2.5-steps need one more than their magnitude.
        int decimals = Math.Max(0, -(int)Math.Floor(Math.Log10(step) + 1e-9));
        if (Math.Abs(step / Math.Pow(10, Math.Floor(Math.Log10(step) + 1e-9)) - 2.5) < 1e-9) decimals++;
        var ticks = new List<Tick>();
        long first = (long)Math.Ceiling(lo / step - 1e-9), last = (long)Math.Floor(hi / step + 1e-9);
        for (long k = first; k <= last && ticks.Count < 1000; k++)
        {
            double v = k * step;
            ticks.Add(new Tick(v, SvgFormat.Label(v, decimals)));
        }
        return ticks;
    }

    private List<Tick> LogTicks(int target)
    {
        double l = Math.Log10(Math.Min(Lo, Hi)), h = Math.Log10(Math.Max(Lo, Hi));
        int k0 = (int)Math.Ceiling(l - 1e-9), k1 = (int)Math.Floor(h + 1e-9);
        var ticks = new List<Tick>();
        int decades = k1 - k0 + 1;
        if (decades >= 2)
        {
            int every = Math.Max(1, (int)Math.Ceiling(decades / (double)target));
            for (int k = k0; k <= k1; k += every) ticks.Add(new Tick(Math.Pow(10, k), PowerLabel(k)));
            return ticks;
        }
        // Less than two decades: 1, 2, 5 multiples.
        for (int k = (int)Math.Floor(l); k <= (int)Math.Ceiling(h); k++)
            foreach (double m in new[] { 1.0, 2, 5 })
            {
                double v = m * Math.Pow(10, k);
                if (v >= Math.Pow(10, l) * 0.999 && v <= Math.Pow(10, h) * 1.001)
                    ticks.Add(new Tick(v, SvgFormat.Label(v, Math.Max(0, -k))));
            }
        if (ticks.Count > target) ticks = ticks.Where(t => Math.Abs(Math.Log10(t.Value) - Math.Round(Math.Log10(t.Value))) < 1e-9 || ticks.Count <= 2).ToList();
        return ticks;
    }

    private static string PowerLabel(int k) =>
        k is >= -3 and <= 4 ? SvgFormat.Label(Math.Pow(10, k), Math.Max(0, -k)) : "1e" + k.ToString(System.Globalization.CultureInfo.InvariantCulture).Replace('-', '−');
}
