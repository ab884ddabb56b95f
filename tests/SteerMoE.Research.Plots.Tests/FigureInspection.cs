using SkiaSharp;
using SteerMoE.Research.Plots.Colors;

namespace SteerMoE.Research.Plots.Tests;

/// <summary>Reads rendered figures back: pixels of the PNG, and the gallery folder for looking at them.</summary>
internal static class FigureInspection
{
    public const double Scale = 2;

    /// <summary>Renders the PNG, decodes it and returns the bitmap (figure pixel (x, y) is bitmap pixel (2x, 2y)).</summary>
    public static SKBitmap Decode(Figure figure)
    {
        byte[] png = figure.ToPng(Scale);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
        var bitmap = SKBitmap.Decode(png);
        Assert.Equal((int)(figure.Width * Scale), bitmap.Width);
        Assert.Equal((int)(figure.Height * Scale), bitmap.Height);
        return bitmap;
    }

    /// <summary>The colour at figure pixel (x, y).</summary>
    public static Rgb At(SKBitmap bitmap, double x, double y)
    {
        var c = bitmap.GetPixel((int)Math.Round(x * Scale), (int)Math.Round(y * Scale));
        return new Rgb(c.Red, c.Green, c.Blue);
    }

    public static void AssertClose(Rgb expected, Rgb actual, int tolerance = 3, string what = "")
    {
        Assert.True(Math.Abs(expected.R - actual.R) <= tolerance && Math.Abs(expected.G - actual.G) <= tolerance && Math.Abs(expected.B - actual.B) <= tolerance,
            $"{what}: expected {expected}, got {actual}");
    }

    /// <summary>The same figure built twice renders to the same PNG and SVG bytes; the SVG is well-formed XML.</summary>
    public static void AssertDeterministic(Func<Figure> build)
    {
        Figure a = build(), b = build();
        Assert.Equal(a.ToPng(), b.ToPng());
        string svg = a.ToSvg();
        Assert.Equal(svg, b.ToSvg());
        var doc = System.Xml.Linq.XDocument.Parse(svg);
        Assert.Equal("svg", doc.Root!.Name.LocalName);
    }

    /// <summary>Writes the figure's PNG into $STEERMOE_FIGURE_GALLERY (when set), to look at.</summary>
    public static void Gallery(Figure figure, string name)
    {
        string? dir = Environment.GetEnvironmentVariable("STEERMOE_FIGURE_GALLERY");
        if (string.IsNullOrEmpty(dir)) return;
        figure.SavePng(Path.Combine(dir, name + ".png"));
        figure.SaveSvg(Path.Combine(dir, name + ".svg"));
    }
}
