using SteerMoE.Research.Plots.Colors;
using SteerMoE.Research.Plots.Svg;
using SteerMoE.Research.Plots.Text;

namespace SteerMoE.Research.Plots.Plottables;

/// <summary>
/// Text set token by token in the data area (axes unused), each token on a background coloured by its
/// count: the vector form of the token-shading figure. Lines wrap at the data area's width (measured with
/// <see cref="FontMetrics"/>) and at newlines inside tokens. Each token is one
/// <c>&lt;rect class="token"&gt;</c> with data-index and data-count, followed by its text.
/// </summary>
public sealed class ShadedTokens : Plottable
{
    internal ShadedTokens(IReadOnlyList<string> tokens, IReadOnlyList<int> counts, int maxCount, ColorMap map)
    { Tokens = tokens; Counts = counts; MaxCount = maxCount; Map = map; }

    /// <summary>The tokens, as decoded text.</summary>
    public IReadOnlyList<string> Tokens { get; }
    /// <summary>One count per token.</summary>
    public IReadOnlyList<int> Counts { get; }
    /// <summary>The count drawn in the darkest colour.</summary>
    public int MaxCount { get; }
    /// <summary>The colour map (position = count / max).</summary>
    public ColorMap Map { get; }
    /// <summary>Font size of the text in pixels.</summary>
    public double TextSize { get; set; } = 13;

    /// <inheritdoc/>
    public override IEnumerable<double> XExtent => [];
    /// <inheritdoc/>
    public override IEnumerable<double> YExtent => [];

    /// <summary>Line height in pixels.</summary>
    public double LineHeight => FontMetrics.LineHeight(TextSize) + 5;

    /// <summary>
    /// Where the tokens go in a box <paramref name="width"/> wide: one piece per token, plus one per line a
    /// newline inside a token starts; each piece with its token index, line, x and width.
    /// </summary>
    public IReadOnlyList<(int Token, int Line, double X, double Width, string Text)> Layout(double width)
    {
        var placed = new List<(int, int, double, double, string)>();
        int line = 0; double x = 0;
        for (int i = 0; i < Tokens.Count; i++)
        {
            var parts = Tokens[i].Replace("\r", "").Split('\n');
            for (int p = 0; p < parts.Length; p++)
            {
                if (p > 0) { line++; x = 0; }
                // A space at the start of a line is dropped; tabs count as spaces.
                string text = parts[p].Replace('\t', ' ');
                if (x == 0) text = text.TrimStart(' ');
                double w = FontMetrics.Width(text, TextSize);
                if (x > 0 && x + w > width) { line++; x = 0; text = text.TrimStart(' '); w = FontMetrics.Width(text, TextSize); }
                if (p == parts.Length - 1 || text.Length > 0) placed.Add((i, line, x, w, text));
                x += w;
            }
        }
        return placed;
    }

    /// <inheritdoc/>
    public override void Render(RenderContext c)
    {
        c.Svg.OpenGroup($"class=\"tokens\" font-size=\"{SvgFormat.Number(TextSize)}\"");
        foreach (var (token, line, x, w, text) in Layout(c.Data.Width))
        {
            var bg = Map.At(Counts[token] / (double)MaxCount);
            double y = c.Data.Y + line * LineHeight;
            c.Svg.Rect(c.Data.X + x, y, Math.Max(w, 2), LineHeight - 2, bg.Hex, $"class=\"token\" data-index=\"{token}\" data-count=\"{Counts[token]}\"");
            if (text.Trim().Length > 0)
                c.Svg.Text(c.Data.X + x, y + TextSize, text, TextSize, fill: bg.ContrastingText.Hex, extra: "xml:space=\"preserve\"");
        }
        c.Svg.CloseGroup();
    }
}
