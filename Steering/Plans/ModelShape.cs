using System.Text.Json;
using SteerMoE.Research.Inference.Files;

namespace SteerMoE.Research.Steering.Plans;

/// <summary>
/// What a plan is checked against: the decoder layers, experts per MoE layer, k (experts routed per token) and the
/// decoder layers that are dense (no experts: a plan naming one is refused; null or empty: every layer is MoE).
/// </summary>
public readonly record struct ModelShape(int LayerCount, int ExpertCount, int TopK, IReadOnlyList<int>? DenseLayers = null)
{
    // The expert count has a different name per architecture (OLMoE/Qwen: num_experts; Mixtral/Phi/gpt-oss: num_local_experts;
    // DeepSeek: n_routed_experts).
    private static readonly string[] ExpertKeys = ["num_experts", "num_local_experts", "n_routed_experts"];
    private static readonly string[] TopKKeys = ["num_experts_per_tok", "experts_per_token"];

    /// <summary>
    /// Reads the three numbers from a Hugging Face model folder's config.json (num_hidden_layers,
    /// num_experts or num_local_experts, num_experts_per_tok).
    /// </summary>
    /// <remarks>
    /// Deliberately not the engine's <c>ModelConfig.Load</c>: a plan can be made and checked for any Hugging Face
    /// MoE config (say, one for a Python pipeline or an architecture the engine does not run), and only these
    /// three numbers matter to a plan. For the six supported architectures both readers give the same numbers.
    /// </remarks>
    public static ModelShape FromModelFolder(string directory)
    {
        string path = Path.Combine(directory, "config.json");
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file (--model expects a Hugging Face model folder with config.json).", path);
        using (var doc = StrictJson.ParseFile(path))
        {
            var root = doc.RootElement;
            // Multimodal configs nest the language model's numbers under text_config.
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("text_config", out var text) && text.ValueKind == JsonValueKind.Object) root = text;
            if (root.ValueKind != JsonValueKind.Object) throw new FormatException($"{path}: expected a JSON object.");
            int layers = ReadInt(root, path, "num_hidden_layers");
            int experts = ReadInt(root, path, ExpertKeys);
            int k = ReadInt(root, path, TopKKeys);
            if (k > experts) throw new FormatException($"{path}: num_experts_per_tok = {k} exceeds the {experts} experts.");
            // DeepSeek / GLM-4.5: the first first_k_dense_replace layers, and those off the moe_layer_freq grid, are dense.
            int firstDense = root.TryGetProperty("first_k_dense_replace", out var f) && f.ValueKind == JsonValueKind.Number ? f.GetInt32() : 0;
            int frequency = root.TryGetProperty("moe_layer_freq", out var q) && q.ValueKind == JsonValueKind.Number && q.GetInt32() > 0 ? q.GetInt32() : 1;
            var dense = Enumerable.Range(0, layers).Where(l => l < firstDense || l % frequency != 0).ToArray();
            return new ModelShape(layers, experts, k, dense.Length > 0 ? dense : null);
        }
    }

    private static int ReadInt(JsonElement root, string path, params string[] keys)
    {
        foreach (var key in keys)
            if (root.TryGetProperty(key, out var v))
            {
                if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int n) && n > 0) return n;
                throw new FormatException($"{path}: field '{key}': expected a positive integer, found {v.GetRawText()}.");
            }
        throw new FormatException($"{path}: missing field '{string.Join("' or '", keys)}' (not a Mixture-of-Experts config?).");
    }
}
