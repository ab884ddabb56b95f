using SteerMoE.Research.Plots.Colors;
using SteerMoE.Research.Plots.Svg;

namespace SteerMoE.Research.Plots.Plottables;

/// <summary>
/// A grid of coloured cells: values [rows, columns]; cell (r, c) covers x in [c − 0.5, c + 0.5] and y in
/// [r − 0.5, r + 0.5]. NaN cells are drawn in a neutral grey (class "cell nan"). Each cell is one
/// <c>&lt;rect class="cell"&gt;</c> carrying data-row, data-col and data-value.
/// </summary>
public sealed class Heatmap : Plottable, IColorScale
{
    internal Heatmap(double[,] values, ColorMap map)
    {
        if (values.GetLength(0) == 0 || values.GetLength(1) == 0)
            throw new ArgumentException($"heatmap: the value grid is empty ({values.GetLength(0)} rows × {values.GetLength(1)} columns); expected at least one cell.");
        Values = values; Map = map;
        var finite = values.Cast<double>().Where(double.IsFinite).ToArray();
        if (finite.Length == 0) { Min = -1; Max = 1; }
        else if (map.IsDiverging)
        {
            // Symmetric around 0 so that white means "no difference".
            double m = finite.Max(Math.Abs);
            if (m == 0) m = 1;
            Min = -m; Max = m;
        }
        else { Min = finite.Min(); Max = finite.Max(); if (Max == Min) Max = Min + 1; }
    }

    /// <summary>The values, [rows, columns].</summary>
    public double[,] Values { get; }
    /// <inheritdoc/>
    public ColorMap Map { get; set; }
    /// <inheritdoc/>
    public double Min { get; set; }
    /// <inheritdoc/>
    public double Max { get; set; }
    /// <inheritdoc/>
    public bool IsLog => false;
    /// <summary>Colour of NaN cells.</summary>
    public string NaNColor { get; set; } = "#d9d9d9";
    /// <summary>Number of rows.</summary>
    public int Rows => Values.GetLength(0);
    /// <summary>Number of columns.</summary>
    public int Columns => Values.GetLength(1);

    /// <inheritdoc/>
    public override IEnumerable<double> XExtent => [-0.5, Columns - 0.5];
    /// <inheritdoc/>
    public override IEnumerable<double> YExtent => [-0.5, Rows - 0.5];

    /// <inheritdoc/>
    public override void Render(RenderContext c)
    {
        c.Svg.OpenGroup($"class=\"heatmap\" data-rows=\"{Rows}\" data-cols=\"{Columns}\" data-map=\"{Map.Name}\" shape-rendering=\"crispEdges\"");
        for (int r = 0; r < Rows; r++)
        {
            double y0 = c.Py(r - 0.5), y1 = c.Py(r + 0.5);
            for (int col = 0; col < Columns; col++)
            {
                double v = Values[r, col];
                double x0 = c.Px(col - 0.5), x1 = c.Px(col + 0.5);
                bool nan = double.IsNaN(v);
                string fill = nan ? NaNColor : Map.At(ColorScale.Position(this, v)).Hex;
                c.Svg.Rect(x0, y0, x1 - x0, y1 - y0, fill,
                    $"class=\"{(nan ? "cell nan" : "cell")}\" data-row=\"{r}\" data-col=\"{col}\" data-value=\"{SvgFormat.DataValue(v)}\"");
            }
        }
        c.Svg.CloseGroup();
    }
}

/// <summary>How <see cref="CellMarkers"/> marks a cell.</summary>
public enum CellMarkerStyle
{
    /// <summary>An outline around the cell.</summary>
    Outline,
    /// <summary>A dot in the middle of the cell.</summary>
    Dot,
}

/// <summary>
/// Marks chosen cells of a heatmap grid (e.g. the experts a steering plan activates); each mark is one
/// element with class "marker" and data-row / data-col.
/// </summary>
public sealed class CellMarkers : Plottable
{
    internal CellMarkers(IReadOnlyList<(int Row, int Column)> cells) => Cells = cells;

    /// <summary>The marked cells.</summary>
    public IReadOnlyList<(int Row, int Column)> Cells { get; }
    /// <summary>Outline or dot.</summary>
    public CellMarkerStyle Style { get; set; } = CellMarkerStyle.Outline;
    /// <summary>Mark colour.</summary>
    public Rgb Color { get; set; } = new(0, 0, 0);
    /// <summary>A class name added to every mark (e.g. "activate").</summary>
    public string Kind { get; set; } = "marker";

    /// <inheritdoc/>
    public override IEnumerable<double> XExtent => Cells.Select(p => (double)p.Column);
    /// <inheritdoc/>
    public override IEnumerable<double> YExtent => Cells.Select(p => (double)p.Row);

    /// <inheritdoc/>
    public override void Render(RenderContext c)
    {
        c.Svg.OpenGroup($"class=\"markers {Kind}\"");
        foreach (var (r, col) in Cells)
        {
            double x0 = c.Px(col - 0.5), x1 = c.Px(col + 0.5), y0 = c.Py(r - 0.5), y1 = c.Py(r + 0.5);
            double w = Math.Abs(x1 - x0), h = Math.Abs(y1 - y0);
            string data = $"class=\"marker {Kind}\" data-row=\"{r}\" data-col=\"{col}\"";
            if (Style == CellMarkerStyle.Outline)
            {
                double sw = Math.Clamp(Math.Min(w, h) / 5, 0.8, 2);
                c.Svg.Rect(Math.Min(x0, x1) + sw / 2, Math.Min(y0, y1) + sw / 2, Math.Max(0.1, w - sw), Math.Max(0.1, h - sw), "none",
                    $"stroke=\"{Color.Hex}\" stroke-width=\"{SvgFormat.Number(sw)}\" {data}");
            }
            else
                c.Svg.Circle((x0 + x1) / 2, (y0 + y1) / 2, Math.Clamp(Math.Min(w, h) * 0.28, 1, 4.5), Color.Hex, $"stroke=\"#ffffff\" stroke-width=\"0.5\" {data}");
        }
        c.Svg.CloseGroup();
    }

    /// <inheritdoc/>
    public override void RenderSwatch(SvgWriter svg, double x, double y, double size)
    {
        if (Style == CellMarkerStyle.Outline)
            svg.Rect(x + 1.5, y + 1.5, size - 3, size - 3, "#f5f5f5", $"stroke=\"{Color.Hex}\" stroke-width=\"2\"");
        else
        {
            svg.Rect(x, y, size, size, "#f5f5f5", "stroke=\"#bbbbbb\" stroke-width=\"0.5\"");
            svg.Circle(x + size / 2, y + size / 2, size * 0.28, Color.Hex);
        }
    }
}
