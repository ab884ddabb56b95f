using System.Globalization;
using System.Xml.Linq;

namespace SteerMoE.Research.Plots.Tests;

/// <summary>Reads a rendered SVG back as XML and finds its data marks by class.</summary>
internal sealed class SvgInspection
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    public SvgInspection(string svg)
    {
        Text = svg;
        Document = XDocument.Parse(svg); // throws when the SVG is not well-formed XML
        Assert.Equal(Svg + "svg", Document.Root!.Name);
    }

    public string Text { get; }
    public XDocument Document { get; }

    /// <summary>Elements whose class attribute contains <paramref name="cls"/> as a word.</summary>
    public List<XElement> WithClass(string cls) =>
        Document.Descendants().Where(e => ((string?)e.Attribute("class") ?? "").Split(' ').Contains(cls)).ToList();

    public static double Number(XElement e, string attribute) =>
        double.Parse((string)e.Attribute(attribute)!, NumberStyles.Float, CultureInfo.InvariantCulture);

    public static double DataValue(XElement e, string attribute) => (string)e.Attribute(attribute)! switch
    {
        "nan" => double.NaN,
        "inf" => double.PositiveInfinity,
        "-inf" => double.NegativeInfinity,
        var s => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture),
    };

    /// <summary>All ids are unique.</summary>
    public void AssertUniqueIds()
    {
        var ids = Document.Descendants().Select(e => (string?)e.Attribute("id")).Where(i => i != null).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }
}
