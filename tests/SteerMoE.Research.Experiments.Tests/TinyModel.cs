using SteerMoE.Research.Tests;

namespace SteerMoE.Research.Experiments.Tests;

/// <summary>A fixture model (tests/fixtures/hf-parity, 384-token vocabulary) given the tiny WordLevel tokenizer and chat template of TestData/tiny-tokenizer.</summary>
public static class TinyModel
{
    public static string TokenizerFolder => RepoPaths.Get("tests", "SteerMoE.Research.Experiments.Tests", "TestData", "tiny-tokenizer");

    /// <summary>A fresh model folder: the fixture's config.json and weights plus the tiny tokenizer.</summary>
    public static string Create(string arch = "mixtral")
    {
        string dir = RepoPaths.TempDir("tiny-" + arch);
        foreach (string f in new[] { "config.json", "model.safetensors" }) File.Copy(Path.Combine(RepoPaths.Fixture(arch), f), Path.Combine(dir, f));
        foreach (string f in Directory.EnumerateFiles(TokenizerFolder)) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        return dir;
    }
}
