using System.Globalization;
using System.Text;
using SteerMoE.Research.Plots.Colors;

namespace SteerMoE.Research.Plots.Html;

/// <summary>
/// Figure 6 (HTML): the tokens of a text, each on a background shaded by how many of a plan's experts it
/// activates (0 = white, <see cref="Create"/>'s maxCount = darkest), with the count in each token's tooltip
/// and a colour key. The fragment is self-contained (inline styles), for a report or a page of its own.
/// </summary>
public static class TokenShading
{
    /// <summary>
    /// Builds the HTML fragment. <paramref name="tokens"/> are the decoded token strings (whitespace kept),
    /// <paramref name="counts"/> one count per token in [0, <paramref name="maxCount"/>].
    /// </summary>
    public static string Create(IReadOnlyList<string> tokens, IReadOnlyList<int> counts, int maxCount, string title)
    {
        Validate(tokens, counts, maxCount, title);
        var map = ColorMap.WhiteOrangeRed;
        var sb = new StringBuilder();
        sb.Append("<figure class=\"token-shading\" style=\"margin:1em 0;font-family:'DejaVu Sans',Verdana,Arial,sans-serif\">\n");
        sb.Append("<figcaption style=\"font-weight:bold;margin-bottom:.4em\">").Append(HtmlReport.Escape(title)).Append("</figcaption>\n");
        sb.Append("<div class=\"tokens\" style=\"white-space:pre-wrap;line-height:1.9;font-size:14px;border:1px solid #ddd;padding:.6em\">");
        for (int i = 0; i < tokens.Count; i++)
        {
            var bg = map.At(counts[i] / (double)maxCount);
            sb.Append("<span class=\"token\" data-count=\"").Append(counts[i].ToString(CultureInfo.InvariantCulture))
              .Append("\" title=\"").Append(counts[i].ToString(CultureInfo.InvariantCulture)).Append(" of ").Append(maxCount.ToString(CultureInfo.InvariantCulture))
              .Append("\" style=\"background:").Append(bg.Hex).Append(";color:").Append(bg.ContrastingText.Hex).Append(";padding:1px 0;border-radius:2px\">")
              .Append(HtmlReport.Escape(tokens[i])).Append("</span>");
        }
        sb.Append("</div>\n<div class=\"key\" style=\"font-size:12px;margin-top:.4em\">experts of the plan activated: ");
        int steps = Math.Min(maxCount, 8);
        for (int s = 0; s <= steps; s++)
        {
            int v = (int)Math.Round(s * maxCount / (double)steps);
            var bg = map.At(v / (double)maxCount);
            sb.Append("<span style=\"display:inline-block;min-width:2.2em;text-align:center;border:1px solid #ccc;background:").Append(bg.Hex)
              .Append(";color:").Append(bg.ContrastingText.Hex).Append("\">").Append(v.ToString(CultureInfo.InvariantCulture)).Append("</span>");
        }
        sb.Append("</div>\n</figure>\n");
        return sb.ToString();
    }

    /// <summary>
    /// The same shading as a figure (for a paper): tokens wrapped at the figure width on their shaded
    /// backgrounds, with a colour bar of the count.
    /// </summary>
    public static TokenShadingFigure CreateFigure(IReadOnlyList<string> tokens, IReadOnlyList<int> counts, int maxCount, string title, int width = 672)
    {
        Validate(tokens, counts, maxCount, title);
        return TokenShadingFigure.Build(tokens, counts, maxCount, title, width);
    }

    private static void Validate(IReadOnlyList<string> tokens, IReadOnlyList<int> counts, int maxCount, string title)
    {
        if (tokens.Count != counts.Count)
            throw new ArgumentException($"{title}: {tokens.Count} tokens but {counts.Count} counts; expected one count per token.");
        if (maxCount < 1) throw new ArgumentException($"{title}: the largest possible count is {maxCount}; expected >= 1 (the number of the plan's experts a token can activate).");
        for (int i = 0; i < counts.Count; i++)
            if (counts[i] < 0 || counts[i] > maxCount)
                throw new ArgumentException($"{title}: token {i} ('{tokens[i]}'): count {counts[i]} is outside [0, {maxCount}].");
    }
}
