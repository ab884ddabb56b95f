using SteerMoE.Research.Data.Files;
using System.Text;
using System.Text.Json;

namespace SteerMoE.Research.Detection.Collection;

/// <summary>
/// SHA-256 (lower-case hex) of everything a detection run's counts depend on: the model files (config.json,
/// safetensors, index), tokenizer.json, the chat template text and the dataset, plus the settings that change the
/// counts (precision, template variables). A resumed run must see the same values.
/// </summary>
/// <param name="ModelFiles">File name → SHA-256 for every model file.</param>
/// <param name="Tokenizer">SHA-256 of tokenizer.json.</param>
/// <param name="ChatTemplate">SHA-256 of the template text (UTF-8).</param>
/// <param name="Dataset">SHA-256 of the pairs file.</param>
/// <param name="Precision">exact or fast.</param>
/// <param name="Variables">The template variables as a JSON object.</param>
public sealed record CollectionInputs(IReadOnlyDictionary<string, string> ModelFiles, string Tokenizer, string ChatTemplate, string Dataset, string Precision, string Variables)
{
    /// <summary>One string that differs whenever any input or setting differs.</summary>
    public string Fingerprint()
    {
        var sb = new StringBuilder();
        foreach (var (name, hash) in ModelFiles.OrderBy(p => p.Key, StringComparer.Ordinal)) sb.Append("model/").Append(name).Append('=').Append(hash).Append('\n');
        sb.Append("tokenizer=").Append(Tokenizer).Append("\ntemplate=").Append(ChatTemplate).Append("\ndataset=").Append(Dataset)
          .Append("\nprecision=").Append(Precision).Append("\nvariables=").Append(Variables).Append('\n');
        return FileHash.Sha256(Encoding.UTF8.GetBytes(sb.ToString()));
    }

    /// <summary>The model files a checkpoint depends on (<see cref="FileHash.HashModelFiles"/>: *.json, *.safetensors, *.jinja).</summary>
    public static Dictionary<string, string> HashModel(string directory) => FileHash.HashModelFiles(directory);

    /// <summary>Template variables as canonical JSON (keys sorted).</summary>
    public static string VariablesJson(IReadOnlyDictionary<string, object?> variables) =>
        JsonSerializer.Serialize(new SortedDictionary<string, object?>(variables.ToDictionary(p => p.Key, p => p.Value), StringComparer.Ordinal));
}
