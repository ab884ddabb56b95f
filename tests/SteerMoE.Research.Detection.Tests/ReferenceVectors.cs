using System.Text.Json;
using SteerMoE.Research.Tests;

namespace SteerMoE.Research.Detection.Tests;

/// <summary>
/// The scipy/statsmodels reference values of tools/reference/stats/vectors.json (made by make_vectors.py
/// with /usr/bin/python3) and the comparison rule the tests use.
/// </summary>
internal static class ReferenceVectors
{
    private static readonly Lazy<JsonDocument> Document = new(() =>
        JsonDocument.Parse(File.ReadAllText(RepoPaths.Get("tools", "reference", "stats", "vectors.json"))));

    public static JsonElement Root => Document.Value.RootElement;

    /// <summary>A number of the file: finite numbers as JSON numbers, "inf", "-inf", "nan" as strings.</summary>
    public static double Number(JsonElement e) => e.ValueKind == JsonValueKind.String
        ? e.GetString() switch
        {
            "inf" => double.PositiveInfinity,
            "-inf" => double.NegativeInfinity,
            "nan" => double.NaN,
            var s => throw new FormatException($"vectors.json: '{s}' is not a number."),
        }
        : e.GetDouble();

    public static double[] Numbers(JsonElement e) => e.EnumerateArray().Select(Number).ToArray();

    /// <summary>
    /// Equal to <paramref name="relative"/> relative difference; NaN matches NaN, infinities match exactly;
    /// <paramref name="absolute"/> covers values that are 0 in exact arithmetic (or subnormal), where a
    /// relative difference means nothing.
    /// </summary>
    public static void Close(double expected, double actual, string what, double relative = 1e-9, double absolute = 1e-300)
    {
        if (double.IsNaN(expected) || double.IsInfinity(expected))
        {
            Assert.True(expected.Equals(actual), $"{what}: expected {expected}, got {actual}");
            return;
        }
        double difference = Math.Abs(expected - actual);
        Assert.True(difference <= relative * Math.Max(Math.Abs(expected), Math.Abs(actual)) || difference <= absolute,
            $"{what}: expected {expected:R}, got {actual:R} (relative difference {difference / Math.Abs(expected):E2})");
    }
}
