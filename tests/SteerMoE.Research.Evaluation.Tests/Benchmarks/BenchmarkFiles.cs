using Parquet.Serialization;
using SteerMoE.Research.Tests;

namespace SteerMoE.Research.Evaluation.Tests.Benchmarks;

/// <summary>Writes small dataset files into a fresh temp folder laid out as `hf download` leaves them.</summary>
internal static class BenchmarkFiles
{
    /// <summary>A Parquet shard <c>{folder}/data/{name}</c>; returns the folder (what the loaders are given).</summary>
    public static string Parquet<T>(string name, IEnumerable<T> rows, string shard = "test-00000-of-00001.parquet")
    {
        string folder = Path.Combine(RepoPaths.TempDir("bench-" + name), name);
        Directory.CreateDirectory(Path.Combine(folder, "data"));
        ParquetSerializer.SerializeAsync(rows, Path.Combine(folder, "data", shard)).GetAwaiter().GetResult();
        return folder;
    }

    /// <summary>A text file (JSON, JSONL, CSV) named <paramref name="fileName"/> in a fresh folder; returns its path.</summary>
    public static string Text(string fileName, string text)
    {
        string path = Path.Combine(RepoPaths.TempDir("bench-text"), fileName);
        File.WriteAllText(path, text);
        return path;
    }
}
