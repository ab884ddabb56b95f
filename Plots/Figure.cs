using System.Diagnostics;
using SteerMoE.Research.Data.Files;
using SteerMoE.Research.Plots.Layout;
using SteerMoE.Research.Plots.Svg;
using SteerMoE.Research.Plots.Text;

namespace SteerMoE.Research.Plots;

/// <summary>
/// A figure in the spirit of ScottPlot: <c>figure.Add.Heatmap(...)</c>, <c>figure.Add.Bars(...)</c> and so on
/// add plottables to its first panel and return them; <see cref="Grid"/> and <see cref="Attach"/> make small
/// multiples and marginal panels. Output is SVG (vector, deterministic: invariant numbers with two decimals,
/// ids numbered by panel) and PNG through rsvg-convert. Sizes are in CSS pixels, 96 to the inch: 672 px is
/// the 7-inch width of a two-column paper figure.
/// </summary>
public sealed class Figure
{
    private readonly List<Panel> _panels = [];
    private List<(Panel Panel, double Row, double Column, double RowSpan, double ColumnSpan)> _cells = [];

    /// <summary>A figure of <paramref name="width"/> × <paramref name="height"/> pixels with one panel.</summary>
    public Figure(double width = 672, double height = 420)
    {
        if (!(width >= 100 && height >= 80)) throw new ArgumentException($"figure size {width} × {height}: expected at least 100 × 80 pixels.");
        Width = width; Height = height;
        var first = NewPanel();
        _cells.Add((first, 0, 0, 1, 1));
        GridRows = GridColumns = 1;
    }

    /// <summary>Width in pixels.</summary>
    public double Width { get; set; }
    /// <summary>Height in pixels.</summary>
    public double Height { get; set; }
    /// <summary>The figure title ("" for none), above every panel.</summary>
    public string Title { get; set; } = "";
    /// <summary>A footnote under the panels (e.g. what was left out and why).</summary>
    public string Note { get; set; } = "";
    /// <summary>
    /// Prefix of every id in the SVG (clip paths, gradients); give each figure its own when several are inlined
    /// into one HTML page, where ids share one namespace.
    /// </summary>
    public string IdPrefix { get; set; } = "";
    /// <summary>
    /// Draws one legend for all panels, in a row under the figure title (small multiples that share their
    /// series): the entries of every panel, one per distinct label; the panels' own legends are turned off.
    /// </summary>
    public bool SharedLegend { get; set; }
    /// <summary>Base font size of the title and notes.</summary>
    public double FontSize { get; set; } = 11;
    /// <summary>The panels, in creation order.</summary>
    public IReadOnlyList<Panel> Panels => _panels;
    /// <summary>The first panel (the only one unless <see cref="Grid"/> or <see cref="Attach"/> was called).</summary>
    public Panel Panel => _panels[0];
    /// <summary>Adds plottables to the first panel.</summary>
    public PanelAdder Add => Panel.Add;
    /// <summary>Notes collected by the last rendering (points left out and so on), also printed under the panels.</summary>
    public IReadOnlyList<string> RenderNotes { get; private set; } = [];

    private int GridRows { get; set; }
    private int GridColumns { get; set; }

    private Panel NewPanel() { var p = new Panel(_panels.Count) { FontSize = FontSize }; _panels.Add(p); return p; }

    /// <summary>Replaces the panels by a grid of <paramref name="rows"/> × <paramref name="columns"/> panels (row-major).</summary>
    public IReadOnlyList<Panel> Grid(int rows, int columns)
    {
        if (rows < 1 || columns < 1) throw new ArgumentException($"grid {rows} × {columns}: expected at least one row and one column.");
        _panels.Clear(); _cells = [];
        GridRows = rows; GridColumns = columns;
        var grid = new List<Panel>();
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++) { var p = NewPanel(); _cells.Add((p, r, c, 1, 1)); grid.Add(p); }
        return grid;
    }

    /// <summary>
    /// A new panel beside <paramref name="main"/>'s data area, sharing its x range (Top) or y range (Right),
    /// <paramref name="size"/> pixels deep: marginal distributions. Its shared axis hides its tick labels.
    /// </summary>
    public Panel Attach(Panel main, PanelSide side, double size)
    {
        var p = NewPanel();
        p.Attachment = (main, side, size);
        p.Legend = LegendPlacement.None;
        if (side == PanelSide.Top) { p.X.ShowTickLabels = false; p.X.Label = ""; }
        else { p.Y.ShowTickLabels = false; p.Y.Label = ""; }
        return p;
    }

    private const double AttachGap = 6;

    /// <summary>Renders the figure as SVG text.</summary>
    public string ToSvg()
    {
        var notes = new List<string>();
        double top = 4 + (Title.Length > 0 ? FontMetrics.LineHeight(FontSize * 1.3) + 4 : 0);
        var shared = SharedLegend ? _panels.SelectMany(p => p.LegendEntries).DistinctBy(p => p.Label).ToList() : [];
        double legendTop = top;
        if (shared.Count > 0)
        {
            foreach (var p in _panels) p.Legend = LegendPlacement.None;
            top += FontMetrics.LineHeight(FontSize) + 8;
        }
        double bottom = 4, noteSize = FontSize * 0.9;
        // The note wraps; one more line is kept for what rendering reports (points left out of a scatter).
        var noteLines = Note.Length > 0 ? FontMetrics.Wrap(Note, noteSize, Width - 16) : [];
        int reserved = noteLines.Count + (_panels.Any(p => p.Plottables.OfType<Plottables.Scatter>().Any()) ? 1 : 0);
        if (reserved > 0) bottom += FontMetrics.LineHeight(noteSize) * reserved + 4;
        var content = new PixelRect(4, top, Width - 8, Height - top - bottom);
        if (content.Height < 40 || content.Width < 40) throw new ArgumentException($"figure {Width} × {Height}: too small for its title and notes.");

        foreach (var p in _panels) p.ResolveLimits();
        // Attached panels take their share of the limits of the panel they are attached to.
        foreach (var p in _panels.Where(p => p.Attachment != null))
        {
            var (main, side, _) = p.Attachment!.Value;
            var axes = side == PanelSide.Top ? (p.X, main.X) : (p.Y, main.Y);
            axes.Item1.IsLog = axes.Item2.IsLog; axes.Item1.Inverted = axes.Item2.Inverted;
            axes.Item1.SetLimits(axes.Item2.Lo, axes.Item2.Hi);
            p.ResolveLimits();
        }
        double cellW = content.Width / GridColumns, cellH = content.Height / GridRows;
        foreach (var (panel, r, c, rs, cs) in _cells)
        {
            var outer = new PixelRect(content.X + c * cellW, content.Y + r * cellH, cs * cellW, rs * cellH);
            // Make room for the panels attached to this one.
            foreach (var a in _panels.Where(a => a.Attachment?.Main == panel))
            {
                // A right-hand panel's colour bar sits beyond it: reserve its room too.
                double s = a.Attachment!.Value.Size + AttachGap + (a.Attachment.Value.Side == PanelSide.Right ? a.ColorBarReserve() : 0);
                if (a.Attachment.Value.Side == PanelSide.Top) outer = outer with { Y = outer.Y + s, Height = outer.Height - s };
                else outer = outer with { Width = outer.Width - s };
            }
            panel.Layout(outer);
        }
        foreach (var a in _panels.Where(a => a.Attachment != null))
        {
            var (main, side, size) = a.Attachment!.Value;
            var d = main.DataArea;
            a.LayoutAttached(side == PanelSide.Top
                ? new PixelRect(d.X, d.Y - AttachGap - size, d.Width, size)
                : new PixelRect(d.Right + AttachGap, d.Y, size, d.Height));
        }

        var svg = new SvgWriter();
        svg.Raw($"<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{SvgFormat.Number(Width)}\" height=\"{SvgFormat.Number(Height)}\" viewBox=\"0 0 {SvgFormat.Number(Width)} {SvgFormat.Number(Height)}\" font-family=\"{FontMetrics.FontFamily}\" font-size=\"{SvgFormat.Number(FontSize)}\">\n");
        if (Title.Length > 0) svg.Raw($"<title>{SvgFormat.Escape(Title)}</title>\n");
        svg.Rect(0, 0, Width, Height, "#ffffff", "class=\"background\"");
        foreach (var p in _panels) p.Render(svg, notes, IdPrefix);
        if (shared.Count > 0)
        {
            svg.OpenGroup("class=\"legend shared\"");
            Panel.RenderLegendRow(svg, shared, 8, legendTop + 2, Width - 16, FontSize);
            svg.CloseGroup();
        }
        if (Title.Length > 0)
            svg.Text(Width / 2, 4 + FontSize * 1.3, FontMetrics.Fit(Title, FontSize * 1.3, Width - 8, bold: true), FontSize * 1.3, "middle", bold: true, extra: "class=\"figure-title\"");
        var lines = noteLines.Concat(notes.Count > 0 ? [string.Join("; ", notes)] : []).Take(reserved);
        double ny = Height - bottom + noteSize + 4;
        foreach (var line in lines)
        {
            svg.Text(8, ny, FontMetrics.Fit(line, noteSize, Width - 16), noteSize, fill: "#555555", extra: "class=\"note\"");
            ny += FontMetrics.LineHeight(noteSize);
        }
        RenderNotes = notes;
        svg.Raw("</svg>\n");
        return svg.ToString();
    }

    /// <summary>Writes the SVG atomically.</summary>
    public void SaveSvg(string path) => AtomicFile.WriteAllText(path, ToSvg());

    /// <summary>
    /// Writes a PNG through rsvg-convert at <paramref name="scale"/> times the figure's pixel size (2 = 192 dpi).
    /// Throws a <see cref="FileNotFoundException"/> saying how to install it when rsvg-convert is not on the PATH.
    /// </summary>
    public void SavePng(string path, double scale = 2) => PngRenderer.Render(ToSvg(), path, scale);
}

/// <summary>Turns SVG text into a PNG with rsvg-convert (Debian package librsvg2-bin).</summary>
public static class PngRenderer
{
    /// <summary>The rsvg-convert executable on the PATH, or null when it is not installed.</summary>
    public static string? FindConverter()
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, "rsvg-convert");
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>True when PNGs can be written.</summary>
    public static bool IsAvailable => FindConverter() != null;

    /// <summary>Renders <paramref name="svg"/> to a PNG file, written atomically.</summary>
    public static void Render(string svg, string path, double scale = 2)
    {
        if (!(scale > 0 && scale <= 16)) throw new ArgumentException($"PNG scale {scale}: expected a number in (0, 16].");
        string exe = FindConverter() ?? throw new FileNotFoundException(
            $"{path}: cannot write a PNG: rsvg-convert is not installed (Debian/Ubuntu: apt-get install librsvg2-bin). The SVG output needs nothing.", "rsvg-convert");
        var info = new ProcessStartInfo(exe)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (string a in new[] { "--format", "png", "--zoom", scale.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture), "--background-color", "white" })
            info.ArgumentList.Add(a);
        using var process = Process.Start(info) ?? throw new IOException($"{path}: could not start {exe}.");
        var output = new MemoryStream();
        var copy = process.StandardOutput.BaseStream.CopyToAsync(output);
        var errors = process.StandardError.ReadToEndAsync();
        process.StandardInput.Write(svg);
        process.StandardInput.Close();
        copy.Wait();
        process.WaitForExit();
        if (process.ExitCode != 0 || output.Length == 0)
            throw new IOException($"{path}: rsvg-convert failed (exit code {process.ExitCode}): {errors.Result.Trim()}");
        AtomicFile.Write(path, s => { output.Position = 0; output.CopyTo(s); });
    }
}
