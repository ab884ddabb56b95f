using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace SteerMoE.Research.Data.Files;

/// <summary>SHA-256 as lower-case hex: how every run records the identity of its inputs (model files, datasets, rankings, specs).</summary>
public static class FileHash
{
    // Full path → (length, last write time, hash): a multi-GB checkpoint is hashed once per process even when the
    // experiment runner and the detection collector both record it. A file rewritten since changes length or mtime.
    private static readonly ConcurrentDictionary<string, (long Length, DateTime Written, string Hash)> Known = new(StringComparer.Ordinal);

    /// <summary>SHA-256 of a file's bytes, streamed (remembered for the process while the file's length and modification time stay the same).</summary>
    public static string Sha256(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists) throw new FileNotFoundException($"{path}: no such file to hash.", path);
        string key = info.FullName;
        if (Known.TryGetValue(key, out var known) && known.Length == info.Length && known.Written == info.LastWriteTimeUtc) return known.Hash;
        string hash;
        using (var stream = File.OpenRead(path)) hash = Convert.ToHexStringLower(SHA256.HashData(stream));
        Known[key] = (info.Length, info.LastWriteTimeUtc, hash);
        return hash;
    }

    /// <summary>SHA-256 of bytes.</summary>
    public static string Sha256(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>
    /// The files of a model folder that a run record identifies the model by, in ordinal order: every *.json (config,
    /// safetensors index, tokenizer, tokenizer and generation config), *.safetensors and *.jinja (chat template) directly
    /// in the folder. One set for every record (detect's run.json and checkpoint, the experiment registry).
    /// </summary>
    public static IReadOnlyList<string> ModelFiles(string directory) =>
        Directory.EnumerateFiles(directory)
            .Where(f => f.EndsWith(".json", StringComparison.Ordinal) || f.EndsWith(".safetensors", StringComparison.Ordinal) || f.EndsWith(".jinja", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).ToList();

    /// <summary>File name → SHA-256 of every file of <see cref="ModelFiles"/>.</summary>
    public static Dictionary<string, string> HashModelFiles(string directory) =>
        ModelFiles(directory).ToDictionary(f => Path.GetFileName(f), Sha256, StringComparer.Ordinal);
}
