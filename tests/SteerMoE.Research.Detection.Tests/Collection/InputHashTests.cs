using System.Security.Cryptography;
using SteerMoE.Research.Data.Files;
using SteerMoE.Research.Detection.Collection;
using SteerMoE.Research.Tests;

namespace SteerMoE.Research.Detection.Tests.Collection;

public class InputHashTests
{
    [Fact]
    public void ModelFilesAreTheJsonSafetensorsAndJinjaFilesHashedByContent()
    {
        string dir = RepoPaths.TempDir("hash");
        foreach (var name in new[] { "config.json", "model.safetensors", "chat_template.jinja", "README.md", "tokenizer.json" })
            File.WriteAllText(Path.Combine(dir, name), name);
        var hashes = CollectionInputs.HashModel(dir);
        Assert.Equal(["chat_template.jinja", "config.json", "model.safetensors", "tokenizer.json"], hashes.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData("config.json"u8)), hashes["config.json"]);
        // A file rewritten after it was hashed gets its new hash (the per-process memo keys on length and mtime).
        string config = Path.Combine(dir, "config.json");
        File.WriteAllText(config, "{\"changed\": true}");
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(config))), FileHash.Sha256(config));
        Assert.Equal(FileHash.HashModelFiles(dir)["config.json"], FileHash.Sha256(config));
    }
}
