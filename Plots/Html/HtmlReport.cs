using System.Globalization;
using System.Text;
using SteerMoE.Research.Data.Files;
using SteerMoE.Research.Data.Tables;

namespace SteerMoE.Research.Plots.Html;

/// <summary>
/// A self-contained HTML page (no external files: styles inline, figures embedded as PNG data URIs drawn at
/// twice their size, so that they stay sharp on high-density screens) built from headings, figures, tables and
/// HTML fragments such as <see cref="TokenShading"/>.
/// </summary>
public sealed class HtmlReport
{
    private readonly StringBuilder _body = new();

    /// <summary>A report with a page title.</summary>
    public HtmlReport(string title) => Title = title;

    /// <summary>The page title (also the first heading).</summary>
    public string Title { get; }

    /// <summary>A section heading.</summary>
    public HtmlReport AddHeading(string text)
    {
        _body.Append("<h2>").Append(Escape(text)).Append("</h2>\n");
        return this;
    }

    /// <summary>A paragraph of plain text.</summary>
    public HtmlReport AddParagraph(string text)
    {
        _body.Append("<p>").Append(Escape(text)).Append("</p>\n");
        return this;
    }

    /// <summary>A figure, embedded as a PNG shown at the figure's pixel size, with a caption.</summary>
    public HtmlReport AddFigure(Figure figure, string caption = "")
    {
        _body.Append("<figure>\n<img src=\"data:image/png;base64,").Append(Convert.ToBase64String(figure.ToPng(2)))
            .Append("\" width=\"").Append(figure.Width.ToString(CultureInfo.InvariantCulture)).Append("\" height=\"").Append(figure.Height.ToString(CultureInfo.InvariantCulture))
            .Append("\" alt=\"").Append(Escape(figure.Title)).Append("\">\n");
        if (caption.Length > 0) _body.Append("<figcaption>").Append(Escape(caption)).Append("</figcaption>\n");
        _body.Append("</figure>\n");
        return this;
    }

    /// <summary>A table (at most <paramref name="maxRows"/> rows shown; the caption says how many were left out).</summary>
    public HtmlReport AddTable(CsvTable table, string caption = "", int maxRows = 50)
    {
        if (maxRows < 1) throw new ArgumentException($"report table '{caption}': maxRows = {maxRows}; expected >= 1.");
        _body.Append("<div class=\"table\"><table>\n");
        int shown = Math.Min(maxRows, table.Rows.Count);
        string note = table.Rows.Count > shown ? $" (first {shown} of {table.Rows.Count} rows)" : "";
        if (caption.Length > 0 || note.Length > 0) _body.Append("<caption>").Append(Escape(caption + note)).Append("</caption>\n");
        _body.Append("<thead><tr>");
        foreach (var c in table.Columns) _body.Append("<th>").Append(Escape(c)).Append("</th>");
        _body.Append("</tr></thead>\n<tbody>\n");
        for (int r = 0; r < shown; r++)
        {
            _body.Append("<tr>");
            foreach (var cell in table.Rows[r]) _body.Append("<td>").Append(Escape(Display(cell))).Append("</td>");
            _body.Append("</tr>\n");
        }
        _body.Append("</tbody>\n</table></div>\n");
        return this;
    }

    /// <summary>
    /// A cell as shown: a number with a fraction to 4 significant digits (0.3142857142857143 → 0.3143; the CSV keeps
    /// every digit), whole numbers and text as they are.
    /// </summary>
    public static string Display(string cell)
    {
        if (cell.Length == 0 || !double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || double.IsNaN(v) || double.IsInfinity(v)
            || (Math.Floor(v) == v && Math.Abs(v) < 1e15 && !cell.Contains('e', StringComparison.OrdinalIgnoreCase)))
            return cell;
        return v.ToString("G4", CultureInfo.InvariantCulture);
    }

    /// <summary>An HTML fragment this library produced (e.g. <see cref="TokenShading.Create"/>), inserted as is.</summary>
    public HtmlReport AddHtml(string fragment)
    {
        _body.Append(fragment).Append('\n');
        return this;
    }

    /// <summary>The whole page.</summary>
    public string ToHtml() =>
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" + Escape(Title) + "</title>\n" +
        "<style>body{font-family:'DejaVu Sans',Verdana,Arial,sans-serif;max-width:60em;margin:2em auto;padding:0 1em;color:#222}" +
        "figure{margin:1.5em 0}figcaption{font-size:.9em;color:#555}img{max-width:100%;height:auto}" +
        ".table{overflow-x:auto;max-width:100%}table{border-collapse:collapse;font-size:.85em;margin:1em 0}th,td{border:1px solid #ccc;padding:.2em .5em;text-align:right}" +
        "th{background:#f2f2f2}caption{text-align:left;color:#555;padding:.3em 0}</style>\n</head>\n<body>\n<h1>" +
        Escape(Title) + "</h1>\n" + _body + "</body>\n</html>\n";

    /// <summary>Text made safe inside HTML elements and attribute values.</summary>
    public static string Escape(string text) =>
        text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&quot;");

    /// <summary>Writes the page atomically.</summary>
    public void Save(string path) => AtomicFile.WriteAllText(path, ToHtml());
}
