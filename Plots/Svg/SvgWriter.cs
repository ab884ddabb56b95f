using System.Text;

namespace SteerMoE.Research.Plots.Svg;

/// <summary>
/// Appends SVG elements to a buffer with every number formatted by <see cref="SvgFormat"/> (invariant, two
/// decimals) and every text escaped. Attributes are given as pre-escaped "name=\"value\"" fragments only by
/// this assembly's own code.
/// </summary>
public sealed class SvgWriter
{
    private readonly StringBuilder _sb = new();

    /// <summary>The SVG text written so far.</summary>
    public override string ToString() => _sb.ToString();

    /// <summary>Appends raw markup (already escaped).</summary>
    public SvgWriter Raw(string markup) { _sb.Append(markup); return this; }

    private static string N(double v) => SvgFormat.Number(v);

    /// <summary>An axis-aligned rectangle; negative sizes are normalised.</summary>
    public void Rect(double x, double y, double w, double h, string fill, string extra = "")
    {
        if (w < 0) { x += w; w = -w; }
        if (h < 0) { y += h; h = -h; }
        _sb.Append("<rect x=\"").Append(N(x)).Append("\" y=\"").Append(N(y)).Append("\" width=\"").Append(N(w))
           .Append("\" height=\"").Append(N(h)).Append("\" fill=\"").Append(fill).Append('"');
        if (extra.Length > 0) _sb.Append(' ').Append(extra);
        _sb.Append("/>\n");
    }

    /// <summary>A straight line.</summary>
    public void Line(double x1, double y1, double x2, double y2, string stroke, double width, string extra = "")
    {
        _sb.Append("<line x1=\"").Append(N(x1)).Append("\" y1=\"").Append(N(y1)).Append("\" x2=\"").Append(N(x2))
           .Append("\" y2=\"").Append(N(y2)).Append("\" stroke=\"").Append(stroke).Append("\" stroke-width=\"").Append(N(width)).Append('"');
        if (extra.Length > 0) _sb.Append(' ').Append(extra);
        _sb.Append("/>\n");
    }

    /// <summary>A circle.</summary>
    public void Circle(double cx, double cy, double r, string fill, string extra = "")
    {
        _sb.Append("<circle cx=\"").Append(N(cx)).Append("\" cy=\"").Append(N(cy)).Append("\" r=\"").Append(N(r))
           .Append("\" fill=\"").Append(fill).Append('"');
        if (extra.Length > 0) _sb.Append(' ').Append(extra);
        _sb.Append("/>\n");
    }

    /// <summary>A path from points: "M x y L x y ..." (closed with Z when <paramref name="close"/>).</summary>
    public void Path(IReadOnlyList<(double X, double Y)> points, bool close, string attributes)
    {
        if (points.Count == 0) return;
        _sb.Append("<path d=\"");
        for (int i = 0; i < points.Count; i++)
            _sb.Append(i == 0 ? "M" : " L").Append(N(points[i].X)).Append(' ').Append(N(points[i].Y));
        if (close) _sb.Append(" Z");
        _sb.Append("\" ").Append(attributes).Append("/>\n");
    }

    /// <summary>Text at a baseline point; anchor start|middle|end; optional rotation about the point.</summary>
    public void Text(double x, double y, string text, double size, string anchor = "start", bool bold = false,
                     double rotate = 0, string fill = "#222222", string extra = "")
    {
        _sb.Append("<text x=\"").Append(N(x)).Append("\" y=\"").Append(N(y)).Append("\" font-size=\"").Append(N(size)).Append('"');
        if (anchor != "start") _sb.Append(" text-anchor=\"").Append(anchor).Append('"');
        if (bold) _sb.Append(" font-weight=\"bold\"");
        if (fill != "#222222") _sb.Append(" fill=\"").Append(fill).Append('"');
        if (rotate != 0) _sb.Append(" transform=\"rotate(").Append(N(rotate)).Append(' ').Append(N(x)).Append(' ').Append(N(y)).Append(")\"");
        if (extra.Length > 0) _sb.Append(' ').Append(extra);
        _sb.Append('>').Append(SvgFormat.Escape(text)).Append("</text>\n");
    }

    /// <summary>Opens a group with the given attributes.</summary>
    public void OpenGroup(string attributes) => _sb.Append("<g ").Append(attributes).Append(">\n");

    /// <summary>Closes the innermost group.</summary>
    public void CloseGroup() => _sb.Append("</g>\n");
}
