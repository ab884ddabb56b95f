using System.Text.Json;
using SteerMoE.Research.Inference.Checkpoints;
using SteerMoE.Research.Inference.Models;
using SteerMoE.Research.Tests;

namespace SteerMoE.Research.Inference.Tests.Checkpoints;

public class ShardedCheckpointTests
{
    private static string Shard(string arch, Action<Dictionary<string, string>>? editMap = null)
    {
        string source = RepoPaths.Fixture(arch), dir = RepoPaths.TempDir(arch + "-sharded");
        File.Copy(Path.Combine(source, "config.json"), Path.Combine(dir, "config.json"));
        var tensors = FixtureCopy.Tensors(Path.Combine(source, "model.safetensors"));
        var map = new Dictionary<string, string>();
        for (int s = 0; s < 3; s++)
        {
            string file = $"model-{s + 1:00000}-of-00003.safetensors";
            var part = tensors.Where((_, i) => i % 3 == s).ToList();
            SafetensorsWriter.Write(Path.Combine(dir, file), part);
            foreach (var t in part) map[t.Name] = file;
        }
        editMap?.Invoke(map);
        File.WriteAllText(Path.Combine(dir, "model.safetensors.index.json"), JsonSerializer.Serialize(new { metadata = new { total_size = 0 }, weight_map = map }));
        return dir;
    }

    [Fact]
    public void ShardedCheckpointGivesTheSameLogits()
    {
        string dir = Shard("qwen2_moe");
        using var sharded = MoeModel.Load(dir);
        using var single = MoeModel.Load(RepoPaths.Fixture("qwen2_moe"));
        Assert.Equal(3, sharded.Weights.Files.Count);
        int[] ids = [5, 17, 300, 42, 9, 77];
        Assert.Equal(single.Forward([ids], new ForwardOptions { ReturnLogits = true }).Logits!,
            sharded.Forward([ids], new ForwardOptions { ReturnLogits = true }).Logits!);
    }

    [Fact]
    public void IndexNamingATensorItsShardLacksIsAnError()
    {
        string dir = Shard("olmoe", map => map["model.norm.weight"] = map["model.norm.weight"] == "model-00001-of-00003.safetensors" ? "model-00002-of-00003.safetensors" : "model-00001-of-00003.safetensors");
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Open(dir));
        Assert.Contains("'model.norm.weight'", e.Message);
        Assert.Contains("model.safetensors.index.json", e.Message);
    }
}
