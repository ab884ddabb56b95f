using System.Security.Cryptography;

namespace SteerMoE.Research.Data.Files;

/// <summary>SHA-256 as lower-case hex: how every run records the identity of its inputs (model files, datasets, rankings, specs).</summary>
public static class FileHash
{
    /// <summary>SHA-256 of a file's bytes, streamed.</summary>
    public static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>SHA-256 of bytes.</summary>
    public static string Sha256(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}
