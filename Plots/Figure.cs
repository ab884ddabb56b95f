using ScottPlot;
using SkiaSharp;
using SteerMoE.Research.Data.Files;

namespace SteerMoE.Research.Plots;

/// <summary>
/// A figure made of ScottPlot plots: a title, an optional legend row shared by every panel, panels on a grid
/// (<see cref="Grid"/>) or attached to the data area of another panel (<see cref="Attach"/>, for marginal
/// distributions), and a wrapped note underneath. Sizes are in pixels at 96 dpi (672 px = a 7-inch two-column
/// figure); PNGs are drawn at a scale (2 = 192 dpi), SVGs at 1. The same figure gives the same bytes.
/// </summary>
public partial class Figure
{
    /// <summary>The font of every text (DejaVu Sans ships with Debian; SkiaSharp falls back to its default elsewhere).</summary>
    public const string FontName = "DejaVu Sans";

    private readonly List<Slot> _slots = [];
    private int _rows = 1, _columns = 1;

    /// <summary>A figure of <paramref name="width"/> × <paramref name="height"/> pixels without panels.</summary>
    public Figure(int width, int height)
    {
        if (width < 100 || height < 80) throw new ArgumentException($"figure size {width} × {height}: expected at least 100 × 80 pixels.");
        Width = width; Height = height;
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }
    /// <summary>Height in pixels.</summary>
    public int Height { get; }
    /// <summary>The figure title ("" for none), above every panel.</summary>
    public string Title { get; set; } = "";
    /// <summary>A footnote under the panels, wrapped at the figure width.</summary>
    public string Note { get; set; } = "";
    /// <summary>Base font size (pixels) of ticks, the legend and the note; titles and axis labels are a little larger.</summary>
    public float FontSize { get; set; } = 11;
    /// <summary>Entries of one legend row under the title, shared by all panels (small multiples that share their series).</summary>
    public List<LegendItem> Legend { get; } = [];
    /// <summary>Every panel, in creation order.</summary>
    public IReadOnlyList<Plot> Panels => _slots.Select(s => s.Plot).ToList();

    /// <summary>
    /// Adds <paramref name="rows"/> × <paramref name="columns"/> cells (row-major) filling the space between the
    /// title (and legend row) and the note, with a panel in the first <paramref name="count"/> of them (all by
    /// default); call once.
    /// </summary>
    public IReadOnlyList<Plot> Grid(int rows, int columns, int? count = null)
    {
        if (rows < 1 || columns < 1) throw new ArgumentException($"grid {rows} × {columns}: expected at least one row and one column.");
        if (_slots.Count > 0) throw new InvalidOperationException("the figure already has panels; call Grid once, before Attach.");
        _rows = rows; _columns = columns;
        var plots = new List<Plot>();
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns && plots.Count < (count ?? rows * columns); c++) { var p = NewPlot(); _slots.Add(new Slot(p, r, c, null)); plots.Add(p); }
        return plots;
    }

    /// <summary>
    /// A panel beside <paramref name="main"/>'s data area, exactly as wide (<see cref="Edge.Top"/>) or as tall
    /// (<see cref="Edge.Right"/>) as it, <paramref name="size"/> pixels deep, plus <paramref name="reserve"/>
    /// pixels beyond it for a colour bar. Give both panels the same limits on the shared axis.
    /// </summary>
    public Plot Attach(Plot main, Edge side, float size, float reserve = 0)
    {
        if (side is not (Edge.Top or Edge.Right)) throw new ArgumentException($"attached panel on the {side} edge: expected Top or Right.");
        var host = _slots.FirstOrDefault(s => s.Plot == main && s.Attachment == null)
            ?? throw new ArgumentException("attached panel: the main panel is not a grid panel of this figure.");
        var p = NewPlot();
        _slots.Add(new Slot(p, host.Row, host.Column, new Attachment(main, side, size, reserve)));
        return p;
    }

    private Plot NewPlot()
    {
        var plot = new Plot();
        plot.Font.Set(FontName);
        foreach (var axis in plot.Axes.GetAxes())
        {
            axis.Label.FontSize = FontSize + 2;
            axis.TickLabelStyle.FontSize = FontSize;
        }
        plot.Axes.Title.Label.FontSize = FontSize + 2;
        // Figures draw one legend row of their own (Legend); ScottPlot would add one per labelled panel.
        plot.HideLegend();
        return plot;
    }

    private const float Gap = 6, Margin = 4, EndRoom = 8;

    /// <summary>Draws the figure on <paramref name="canvas"/> in figure pixels (scale the canvas for a larger image).</summary>
    public void Render(SKCanvas canvas)
    {
        canvas.Clear(SKColors.White);
        using var paint = Paint.NewDisposablePaint();
        float top = Margin;
        if (Title.Length > 0)
        {
            var title = Label(FontSize * 1.3f, bold: true);
            string text = Fit(title, Title, Width - 2 * Margin, paint);
            var size = title.Measure(text, paint);
            title.Alignment = Alignment.UpperCenter;
            title.Render(canvas, new Pixel(Width / 2f, top), paint, text);
            top += size.Height + Gap;
        }
        if (Legend.Count > 0) top += RenderLegend(canvas, paint, top) + Gap;
        var note = Label(FontSize * 0.95f, bold: false);
        note.ForeColor = new Color(85, 85, 85);
        var noteLines = Wrap(note, Note, Width - 4 * Margin, paint);
        float lineHeight = note.Measure("Ag", paint).Height;
        float bottom = Height - Margin - noteLines.Count * lineHeight - (noteLines.Count > 0 ? Gap : 0);
        if (bottom - top < 40) throw new ArgumentException($"figure {Width} × {Height}: too small for its title, legend and note.");

        float cellW = (Width - 2 * Margin) / (float)_columns, cellH = (bottom - top) / _rows;
        foreach (var slot in _slots.Where(s => s.Attachment == null))
        {
            float left = Margin + slot.Column * cellW, right = left + cellW, upper = top + slot.Row * cellH, lower = upper + cellH;
            foreach (var a in _slots.Where(a => a.Attachment?.Main == slot.Plot).Select(a => a.Attachment!))
            {
                if (a.Side == Edge.Top) upper += a.Size + Gap;
                else right -= a.Size + Gap + a.Reserve;
            }
            RenderPanel(canvas, slot.Plot, new PixelRect(left, right, lower, upper));
        }
        // Attached panels line up with the data area the main panel got.
        foreach (var slot in _slots.Where(s => s.Attachment != null))
        {
            var a = slot.Attachment!;
            var data = a.Main.LastRender.DataRect;
            var rect = a.Side == Edge.Top
                ? new PixelRect(data.Left, data.Right, data.Top - Gap, data.Top - Gap - a.Size)
                : new PixelRect(data.Right + Gap, data.Right + Gap + a.Size + a.Reserve, data.Bottom + EndRoom, data.Top - EndRoom);
            // A right-hand panel reaches EndRoom beyond the data area at both ends: room for its colour bar's end labels.
            slot.Plot.Layout.Fixed(a.Side == Edge.Top ? new PixelPadding(0) : new PixelPadding(0, a.Reserve, EndRoom, EndRoom));
            RenderPanel(canvas, slot.Plot, rect);
        }
        float y = Height - Margin - noteLines.Count * lineHeight;
        foreach (string line in noteLines)
        {
            note.Alignment = Alignment.UpperLeft;
            note.Render(canvas, new Pixel(2 * Margin, y), paint, line);
            y += lineHeight;
        }
    }

    /// <summary>ScottPlot clears the canvas before it draws a plot: the clip keeps that clearing to the panel's own rectangle.</summary>
    private static void RenderPanel(SKCanvas canvas, Plot plot, PixelRect rect)
    {
        canvas.Save();
        canvas.ClipRect(new SKRect(rect.Left, rect.Top, rect.Right, rect.Bottom));
        plot.Render(canvas, rect);
        canvas.Restore();
    }

    /// <summary>The legend row, centred under the title; returns its height.</summary>
    private float RenderLegend(SKCanvas canvas, Paint paint, float top)
    {
        var legend = new ScottPlot.Legend(new Plot())
        {
            Orientation = Orientation.Horizontal, FontSize = FontSize, FontName = FontName,
            OutlineColor = ScottPlot.Colors.Transparent, ShadowColor = ScottPlot.Colors.Transparent, Margin = new PixelPadding(0),
        };
        legend.ManualItems.AddRange(Legend);
        var layout = legend.GetLayout(new PixelSize(Width - 2 * Margin, Height / 3f), paint);
        float height = layout.LegendRect.Height;
        legend.Render(canvas, paint, new PixelRect(Margin, Width - Margin, top + height, top), Alignment.UpperCenter);
        return height;
    }

    private LabelStyle Label(float size, bool bold) => new() { FontName = FontName, FontSize = size, Bold = bold, ForeColor = ScottPlot.Colors.Black };

    /// <summary>Greedy word wrap of <paramref name="text"/> at <paramref name="width"/> pixels, as ScottPlot measures it.</summary>
    private static List<string> Wrap(LabelStyle style, string text, float width, Paint paint)
    {
        var lines = new List<string>();
        foreach (string paragraph in text.Split('\n'))
        {
            string line = "";
            foreach (string word in paragraph.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                string candidate = line.Length == 0 ? word : line + " " + word;
                if (line.Length > 0 && style.Measure(candidate, paint).Width > width) { lines.Add(line); line = word; }
                else line = candidate;
            }
            if (line.Length > 0) lines.Add(Fit(style, line, width, paint));
        }
        return lines;
    }

    /// <summary>The text, shortened with "…" when it is wider than <paramref name="width"/> pixels.</summary>
    private static string Fit(LabelStyle style, string text, float width, Paint paint)
    {
        if (style.Measure(text, paint).Width <= width) return text;
        for (int n = text.Length - 1; n > 0; n--)
            if (style.Measure(text[..n] + "…", paint).Width <= width) return text[..n] + "…";
        return "…";
    }

    /// <summary>The figure as PNG bytes, <paramref name="scale"/> times its pixel size (2 = 192 dpi).</summary>
    public byte[] ToPng(double scale = 2)
    {
        using var bitmap = RenderBitmap(scale);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>The figure drawn into a bitmap <paramref name="scale"/> times its pixel size (what <see cref="ToPng"/> encodes).</summary>
    public SKBitmap RenderBitmap(double scale = 2)
    {
        if (!(scale > 0 && scale <= 16)) throw new ArgumentException($"PNG scale {scale}: expected a number in (0, 16].");
        var bitmap = new SKBitmap(new SKImageInfo((int)Math.Round(Width * scale), (int)Math.Round(Height * scale), SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(bitmap);
        canvas.Scale((float)scale);
        Render(canvas);
        canvas.Flush();
        return bitmap;
    }

    /// <summary>The figure as SVG text (SkiaSharp's SVG canvas; heatmap cells are an embedded image).</summary>
    public string ToSvg()
    {
        using var stream = new MemoryStream();
        using (var svg = SKSvgCanvas.Create(new SKRect(0, 0, Width, Height), stream)) Render(svg);
        // Skia numbers clip paths with a counter shared by the whole process: renumber them from 0 in document
        // order so that the same figure gives the same text.
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        return ClipId().Replace(System.Text.Encoding.UTF8.GetString(stream.ToArray()),
            m => ids.TryGetValue(m.Value, out var id) ? id : ids[m.Value] = $"clip{ids.Count}");
    }

    [System.Text.RegularExpressions.GeneratedRegex("\\bcl_[0-9a-f]+\\b")]
    private static partial System.Text.RegularExpressions.Regex ClipId();

    /// <summary>Writes the PNG atomically.</summary>
    public void SavePng(string path, double scale = 2)
    {
        byte[] png = ToPng(scale);
        AtomicFile.Write(path, s => s.Write(png));
    }

    /// <summary>Writes the SVG atomically.</summary>
    public void SaveSvg(string path) => AtomicFile.WriteAllText(path, ToSvg());

    private sealed record Attachment(Plot Main, Edge Side, float Size, float Reserve);
    private sealed record Slot(Plot Plot, int Row, int Column, Attachment? Attachment);
}
