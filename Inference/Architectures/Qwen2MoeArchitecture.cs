using SteerMoE.Research.Inference.Checkpoints;
using SteerMoE.Research.Inference.Layers;
using SteerMoE.Research.Inference.Models;

namespace SteerMoE.Research.Inference.Architectures;

/// <summary>Qwen2-MoE (Qwen2MoeForCausalLM): qkv biases, softmax top-k (norm_topk_prob), and a shared expert
/// "mlp.shared_expert.{gate,up,down}_proj" scaled by σ("mlp.shared_expert_gate" x).</summary>
public sealed class Qwen2MoeArchitecture : IArchitecture
{
    /// <inheritdoc />
    public string Name => "Qwen2MoeForCausalLM";
    /// <inheritdoc />
    public string ModelType => "qwen2_moe";

    /// <inheritdoc />
    public ModelConfig ReadConfig(ConfigReader r, ModelConfig c)
    {
        QwenConfig.RequireEveryLayerSparse(r, c.LayerCount);
        return c with
        {
            ExpertCount = r.Int("num_experts"),
            ExpertIntermediateSize = r.Int("moe_intermediate_size"),
            SharedExpertIntermediateSize = r.Int("shared_expert_intermediate_size"),
            NormTopKProb = r.Bool("norm_topk_prob", false),
            AttentionBias = r.Bool("qkv_bias", true),
            SlidingWindows = QwenConfig.Windows(r, c.LayerCount),
        };
    }

    /// <inheritdoc />
    public INorm BuildNorm(string prefix, ModelConfig c, Checkpoint w) => LayerParts.Rms(w, prefix, c.HiddenSize, c.NormEps);

    /// <inheritdoc />
    public DecoderLayer BuildLayer(int l, ModelConfig c, Checkpoint w)
    {
        string p = $"model.layers.{l}";
        var shared = new SharedExpert(
            new SwiGluExperts([w.Matrix(p + ".mlp.shared_expert.gate_proj.weight", c.SharedExpertIntermediateSize, c.HiddenSize)],
                [w.Matrix(p + ".mlp.shared_expert.up_proj.weight", c.SharedExpertIntermediateSize, c.HiddenSize)],
                [w.Matrix(p + ".mlp.shared_expert.down_proj.weight", c.HiddenSize, c.SharedExpertIntermediateSize)]),
            LayerParts.Linear(w, p + ".mlp.shared_expert_gate", 1, c.HiddenSize));
        var moe = LayerParts.GatedSwiGluMoe(w, c, p + ".mlp", new SoftmaxTopKRouting(c.TopK, c.NormTopKProb), "gate_proj", "up_proj", "down_proj", shared);
        return LayerParts.Decoder(this, w, c, l, LayerParts.SelfAttention(w, c, l, c.AttentionBias), moe);
    }
}

/// <summary>Config rules the two Qwen MoE families share.</summary>
internal static class QwenConfig
{
    /// <summary>Only configurations with an MoE block in every layer are supported (decoder_sparse_step 1, no mlp_only_layers).</summary>
    public static void RequireEveryLayerSparse(ConfigReader r, int layers)
    {
        int step = r.OptionalInt("decoder_sparse_step") ?? 1;
        var dense = r.Raw("mlp_only_layers");
        if (step != 1 || dense is { ValueKind: System.Text.Json.JsonValueKind.Array } d && d.GetArrayLength() > 0)
            throw new NotSupportedException($"{r.Source}: fields 'decoder_sparse_step' / 'mlp_only_layers': only an MoE block in every layer is supported (step 1, no dense layers).");
        r.Ignore("intermediate_size");   // the dense MLP's size: only dense layers, refused above, have one
    }

    /// <summary>Sliding windows when use_sliding_window is on: from layer_types when given, else the layers from max_window_layers on.</summary>
    public static int[] Windows(ConfigReader r, int layers)
    {
        var result = new int[layers];
        if (!r.Bool("use_sliding_window", false))
        {
            r.Ignore("sliding_window", "max_window_layers", "layer_types");   // they apply only with use_sliding_window on
            return result;
        }
        int window = r.Int("sliding_window");
        if (r.Strings("layer_types") is not null) return ModelConfig.WindowsFromLayerTypes(r, layers, window);
        int from = r.OptionalInt("max_window_layers") ?? layers;
        for (int l = from; l < layers; l++) result[l] = window;
        return result;
    }
}
