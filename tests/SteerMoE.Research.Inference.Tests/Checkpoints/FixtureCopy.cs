using System.Text.Json.Nodes;
using SteerMoE.Research.Inference.Checkpoints;
using SteerMoE.Research.Tests;

namespace SteerMoE.Research.Inference.Tests.Checkpoints;

/// <summary>Writes altered copies of a fixture model into a temporary folder (for bad-input and sharding tests).</summary>
internal static class FixtureCopy
{
    /// <summary>Copies a fixture, letting <paramref name="editTensors"/> change the tensor list and <paramref name="editConfig"/> the config.</summary>
    public static string Make(string arch, Func<List<TensorToWrite>, List<TensorToWrite>>? editTensors = null, Action<JsonObject>? editConfig = null)
    {
        string source = RepoPaths.Fixture(arch), dir = RepoPaths.TempDir(arch + "-copy");
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(source, "config.json")))!.AsObject();
        editConfig?.Invoke(config);
        File.WriteAllText(Path.Combine(dir, "config.json"), config.ToJsonString());
        var tensors = Tensors(Path.Combine(source, "model.safetensors"));
        if (editTensors != null) tensors = editTensors(tensors);
        SafetensorsWriter.Write(Path.Combine(dir, "model.safetensors"), tensors);
        return dir;
    }

    /// <summary>Every tensor of a file, copied out, in name order.</summary>
    public static List<TensorToWrite> Tensors(string path)
    {
        using var file = SafetensorsFile.Open(path);
        return file.Tensors.Values.OrderBy(t => t.Name, StringComparer.Ordinal)
            .Select(t => new TensorToWrite(t.Name, t.Type, t.Shape, file.Bytes(t).ToArray())).ToList();
    }
}
