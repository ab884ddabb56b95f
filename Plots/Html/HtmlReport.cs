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

    /// <summary>
    /// Characters of table text (cells at the table's .85em, padding included) one printed table may span: the width a
    /// 1280-pixel window leaves within the page margins (about 155 characters at the 7.8 pixels a character measured in
    /// Chromium), less a tenth. A wider table is split into parts that repeat the key columns (the headless-Chromium
    /// check in DemoTests measures the result).
    /// </summary>
    public const int TableCharacters = 140;

    /// <summary>
    /// A table (at most <paramref name="maxRows"/> rows shown; the caption says how many were left out). Columns whose
    /// shown cells are all equal move into the caption ("Every row: strength = 1."); a table still wider than
    /// <see cref="TableCharacters"/> is split into parts, each with the first <paramref name="keyColumns"/> columns first,
    /// so no table needs a horizontal scroll.
    /// </summary>
    public HtmlReport AddTable(CsvTable table, string caption = "", int maxRows = 50, int keyColumns = 1)
    {
        if (maxRows < 1) throw new ArgumentException($"report table '{caption}': maxRows = {maxRows}; expected >= 1.");
        int shown = Math.Min(maxRows, table.Rows.Count);
        keyColumns = Math.Clamp(keyColumns, 0, table.Columns.Count);
        var rows = table.Rows.Take(shown).Select(r => r.Select(Display).ToArray()).ToArray();   // [shown][columns], as displayed
        var constant = Enumerable.Range(0, table.Columns.Count).Where(c => shown > 1 && rows.All(r => r[c] == rows[0][c])).ToArray();
        var keys = Enumerable.Range(0, keyColumns).Except(constant).ToArray();
        var values = Enumerable.Range(keyColumns, table.Columns.Count - keyColumns).Except(constant).ToArray();
        string note = table.Rows.Count > shown ? $" (first {shown} of {table.Rows.Count} rows)" : "";
        if (constant.Length > 0) note += " Every row: " + string.Join(", ", constant.Select(c => $"{table.Columns[c]} = {rows[0][c]}")) + ".";
        // Width of each column in characters: its widest cell, or its longest header piece (headers break after '_' and '.').
        int[] width = [.. table.Columns.Select((name, c) =>
            Math.Max(name.Split('_', ' ', '.').Max(piece => piece.Length) + 1, rows.Length == 0 ? 0 : rows.Max(r => r[c].Length)) + 2)];
        int keyWidth = keys.Sum(c => width[c]);
        var parts = new List<List<int>> { new() };
        int used = keyWidth;
        foreach (int c in values)
        {
            if (parts[^1].Count > 0 && used + width[c] > TableCharacters) { parts.Add([]); used = keyWidth; }
            parts[^1].Add(c);
            used += width[c];
        }
        for (int p = 0; p < parts.Count; p++)
        {
            int[] columns = [.. keys, .. parts[p]];
            // The first part carries the notes; each part says which it is.
            string text = caption + (p == 0 ? note : "") + (parts.Count > 1 ? $" [part {p + 1} of {parts.Count}]" : "");
            _body.Append("<div class=\"table\"><table>\n");
            if (text.Length > 0) _body.Append("<caption>").Append(Escape(text.Trim())).Append("</caption>\n");
            _body.Append("<thead><tr>");
            foreach (int c in columns) _body.Append("<th>").Append(Escape(table.Columns[c]).Replace("_", "_<wbr>").Replace(".", ".<wbr>")).Append("</th>");
            _body.Append("</tr></thead>\n<tbody>\n");
            foreach (var r in rows)
            {
                _body.Append("<tr>");
                foreach (int c in columns) _body.Append("<td>").Append(Escape(r[c])).Append("</td>");
                _body.Append("</tr>\n");
            }
            _body.Append("</tbody>\n</table></div>\n");
        }
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
        "<style>body{font-family:'DejaVu Sans',Verdana,Arial,sans-serif;margin:2em;color:#222}p,h1,h2{max-width:60em}" +
        "figure{margin:1.5em 0}figcaption{font-size:.9em;color:#555}img{max-width:100%;height:auto}" +
        // Tables are split to fit (AddTable); the scroll is the fallback for a window narrower than 1280 pixels.
        ".table{overflow-x:auto;max-width:100%}table{border-collapse:collapse;font-size:.85em;margin:1em 0}th,td{border:1px solid #ccc;padding:.2em .5em;text-align:right}" +
        "td{white-space:nowrap}th{vertical-align:bottom}" +
        "th{background:#f2f2f2}caption{text-align:left;color:#555;padding:.3em 0}</style>\n</head>\n<body>\n<h1>" +
        Escape(Title) + "</h1>\n" + _body + "</body>\n</html>\n";

    /// <summary>Text made safe inside HTML elements and attribute values.</summary>
    public static string Escape(string text) =>
        text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&quot;");

    /// <summary>Writes the page atomically.</summary>
    public void Save(string path) => AtomicFile.WriteAllText(path, ToHtml());
}
