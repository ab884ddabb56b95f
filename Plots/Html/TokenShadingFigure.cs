using ScottPlot;
using ScottPlot.Plottables;
using SteerMoE.Research.Plots.Colors;

namespace SteerMoE.Research.Plots.Html;

/// <summary>
/// The figure of <see cref="TokenShading.CreateFigure"/>: one shaded box per token piece, wrapped into lines
/// as wide as the text area, and a colour bar of the count. Data coordinates are pixels across (x) and lines
/// down (y, line 0 on top).
/// </summary>
public sealed class TokenShadingFigure : Figure
{
    private const float TextSize = 13, ColorBarReserve = 90;

    private TokenShadingFigure(int width, int height) : base(width, height) { }

    /// <summary>
    /// The boxes, in reading order: one per token, plus one per line a token's newline opens (the rest after
    /// the newline, possibly empty), each with its token's index and count.
    /// </summary>
    public IReadOnlyList<(int Index, int Count, ScottPlot.Plottables.Rectangle Box)> Boxes { get; private set; } = [];
    /// <summary>Number of text lines.</summary>
    public int Lines { get; private set; }
    /// <summary>Width of the text area in pixels (the x range of the panel).</summary>
    public float TextWidth { get; private set; }

    internal static TokenShadingFigure Build(IReadOnlyList<string> tokens, IReadOnlyList<int> counts, int maxCount, string title, int width)
    {
        var map = ColorMap.WhiteOrangeRed;
        var style = new LabelStyle { FontName = FontName, FontSize = TextSize };
        using var paint = Paint.NewDisposablePaint();
        float textWidth = width - 8 - ColorBarReserve, lineHeight = TextSize * 1.7f;
        // Lay the pieces out: a piece wraps to the next line when it does not fit; a newline always starts one.
        var pieces = new List<(int Index, string Text, float X, float Width, int Line)>();
        float x = 0; int line = 0;
        for (int i = 0; i < tokens.Count; i++)
        {
            var parts = tokens[i].Split('\n');
            for (int j = 0; j < parts.Length; j++)
            {
                if (j > 0) { line++; x = 0; }
                float w = parts[j].Length == 0 ? 2 : Math.Min(textWidth, style.Measure(parts[j], paint).Width + 2);
                if (x > 0 && x + w > textWidth) { line++; x = 0; }
                pieces.Add((i, parts[j], x, w, line));
                x += w;
            }
        }
        int lines = line + 1;
        var figure = new TokenShadingFigure(width, (int)Math.Max(150, lines * lineHeight + 80))
        {
            Title = title, Lines = lines, TextWidth = textWidth,
            Note = $"{tokens.Count} tokens; colour: how many of the plan's experts route the token (0 to {maxCount})",
        };
        var panel = figure.Grid(1, 1)[0];
        panel.Axes.Frameless();
        panel.HideGrid();
        panel.Layout.Fixed(new PixelPadding(0, ColorBarReserve, 8, 8)); // 8 px above and below: room for the colour bar's end labels
        panel.Axes.SetLimits(0, textWidth, lines, 0);
        var boxes = new List<(int, int, ScottPlot.Plottables.Rectangle)>();
        foreach (var p in pieces)
        {
            var bg = map.At(counts[p.Index] / (double)maxCount);
            var box = panel.Add.Rectangle(p.X, p.X + p.Width, p.Line + 0.08, p.Line + 0.92);
            box.FillColor = bg.ToColor(); box.LineWidth = 0;
            boxes.Add((p.Index, counts[p.Index], box));
            if (p.Text.Trim().Length == 0) continue;
            var text = panel.Add.Text(p.Text, p.X + 1, p.Line + 0.5);
            text.Alignment = Alignment.MiddleLeft;
            text.LabelFontSize = TextSize; text.LabelFontName = FontName;
            text.LabelFontColor = bg.ContrastingText.ToColor();
        }
        var bar = panel.Add.ColorBar(new CountScale(map, maxCount));
        bar.Label = "plan experts";
        bar.Axis.TickLabelStyle.FontSize = figure.FontSize;
        bar.Axis.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        figure.Boxes = boxes;
        return figure;
    }

    private sealed class CountScale(IColormap map, int max) : IHasColorAxis
    {
        public IColormap Colormap { get; set; } = map;
        public ScottPlot.Range GetRange() => new(0, max);
    }
}
