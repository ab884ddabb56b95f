using SteerMoE.Research.Inference.Architectures;
using SteerMoE.Research.Inference.Checkpoints;
using SteerMoE.Research.Inference.Kernels;
using SteerMoE.Research.Inference.Layers;
using SteerMoE.Research.Inference.Models;
using SteerMoE.Research.Tests;
using Xunit.Abstractions;

namespace SteerMoE.Research.Inference.Tests.Parity;

/// <summary>The gpt_oss_mxfp4 fixture: experts stored as the released gpt-oss checkpoints store them.</summary>
[Collection("Parallelism")]
public class Mxfp4ParityTests(ITestOutputHelper output)
{
    private static string Dir => RepoPaths.Fixture("gpt_oss_mxfp4");

    [Fact]
    public void PackedExpertsDequantiseExactlyAsTransformers()
    {
        using var reference = new Reference(Path.Combine(Dir, "reference.safetensors"));
        using var model = MoeModel.Load(Dir);
        var c = model.Config;
        int e = c.ExpertCount, h = c.HiddenSize, inter = c.ExpertIntermediateSize;
        foreach (var (name, rows, cols) in new[] { ("gate_up_proj", 2 * inter, h), ("down_proj", h, inter) })
            for (int l = 0; l < c.LayerCount; l++)
            {
                // transformers holds [E, cols (in), rows (out)]: the transpose of the packed [rows, cols]
                var expected = reference.Floats($"dequantized.model.layers.{l}.mlp.experts.{name}");
                int mismatches = 0;
                for (int x = 0; x < e; x++)
                {
                    var w = GptOssArchitecture.Mxfp4Expert(model.Weights, $"model.layers.{l}.mlp.experts.{name}", x, e, rows, cols);
                    Assert.Equal(DType.Mxfp4, w.Type);
                    var row = new float[cols];
                    for (int r = 0; r < rows; r++)
                    {
                        MatMul.WidenRow(w, r, row);
                        for (int i = 0; i < cols; i++)
                        {
                            float want = expected[((long)x * cols + i) * rows + r];
                            if (BitConverter.SingleToInt32Bits(ReferenceMatMul.Element(w, r, i)) != BitConverter.SingleToInt32Bits(want) || row[i] != want) mismatches++;
                        }
                    }
                }
                Assert.Equal(0, mismatches);
            }
    }

    /// <summary>
    /// The reference logits of this fixture were computed by transformers with the dequantised experts kept in bf16
    /// (its MXFP4 dequantise path), not in fp32: an fp32 forward on the very same dequantised weights (ours, and the
    /// emulation in tools/reference/mxfp4) differs from them by 3.9e-2. So in fp32 the 1e-4 parity is asserted where
    /// it is meaningful: the packed MXFP4 model against the same model stored as float experts (bitwise equal), and
    /// the dequantised values against transformers' (bitwise equal, above). Against transformers' logits the fp32
    /// run gets the bound of bf16-vs-fp32 expert arithmetic, which still catches any layout error (a wrong gate/up
    /// interleave gives 3.7); <see cref="Bf16ExpertArithmeticReproducesTransformers"/> asserts the 1e-4.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void PackedExpertsGiveTheLogitsOfTheSameModelInFloat(int threads)
    {
        using var reference = new Reference(Path.Combine(Dir, "reference.safetensors"));
        string floatDir = WriteFloatExpertCopy(reference);
        using var packed = MoeModel.Load(Dir);
        using var unpacked = MoeModel.Load(floatDir);
        Assert.Null(unpacked.Config.QuantizationMethod);
        var batch = reference.Batch();
        int saved = Parallelism.Threads;
        Parallelism.Threads = threads;
        try
        {
            var fromPacked = packed.Forward(batch, new ForwardOptions { ReturnLogits = true }).Logits!;
            var fromFloat = unpacked.Forward(batch, new ForwardOptions { ReturnLogits = true }).Logits!;
            Assert.Equal(fromFloat, fromPacked);
            float err = HfParityTests.MaxAbs(reference.Floats("logits"), fromPacked);
            output.WriteLine($"gpt_oss_mxfp4 fp32 experts: logits max abs error vs transformers (bf16 experts) {err:E3} (threads {threads})");
            Assert.True(err <= 5e-2f, $"gpt_oss_mxfp4 logits: max abs error {err} exceeds the bf16-arithmetic bound");
        }
        finally { Parallelism.Threads = saved; }
    }

    /// <summary>
    /// <see cref="ExpertArithmetic.Bf16"/> runs transformers' op sequence for dequantised experts (bf16 GEMM inputs and
    /// outputs, bf16 bias adds and clamped SwiGLU, fp32 routing): the logits agree with the reference within 1e-4, the
    /// issue's bound, on 1 and 2 threads, and do not depend on the thread count. What is left is the order of the GEMMs'
    /// fp32 sums (ours vs oneDNN's), which decides a rare tie of a bf16 rounding: tools/reference/mxfp4 gets 6.5e-6
    /// with torch's order and 8.4e-5 with exact sums.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Bf16ExpertArithmeticReproducesTransformers(int threads)
    {
        using var reference = new Reference(Path.Combine(Dir, "reference.safetensors"));
        using var model = MoeModel.Load(Dir, new LoadOptions { ExpertArithmetic = ExpertArithmetic.Bf16 });
        Assert.All(model.Layers, l => Assert.Equal(ExpertArithmetic.Bf16, Assert.IsType<ClampedSwiGluExperts>(l.Moe!.Experts).Arithmetic));
        var batch = reference.Batch();
        int saved = Parallelism.Threads;
        try
        {
            Parallelism.Threads = 1;
            var single = model.Forward(batch, new ForwardOptions { ReturnLogits = true }).Logits!;
            Parallelism.Threads = threads;
            var logits = model.Forward(batch, new ForwardOptions { ReturnLogits = true }).Logits!;
            Assert.Equal(single, logits);
            float err = HfParityTests.MaxAbs(reference.Floats("logits"), logits);
            output.WriteLine($"gpt_oss_mxfp4 bf16 experts: logits max abs error vs transformers {err:E3} (threads {threads})");
            Assert.True(err <= 1e-4f, $"gpt_oss_mxfp4 bf16 experts: max abs error {err} exceeds 1e-4");
        }
        finally { Parallelism.Threads = saved; }
    }

    /// <summary>Only gpt-oss experts have a bf16 sequence: asking it of another architecture is a clear error.</summary>
    [Fact]
    public void Bf16ExpertArithmeticIsRefusedForOtherArchitectures()
    {
        var e = Assert.Throws<NotSupportedException>(() =>
            MoeModel.Load(RepoPaths.Fixture("olmoe"), new LoadOptions { ExpertArithmetic = ExpertArithmetic.Bf16 }));
        Assert.Contains("gpt-oss experts only", e.Message);
        Assert.Contains("OlmoeForCausalLM", e.Message);
    }

    /// <summary>The fixture with its experts as float tensors [E, in, out] (transformers' unquantised layout), written by <see cref="SafetensorsWriter"/>.</summary>
    private static unsafe string WriteFloatExpertCopy(Reference reference)
    {
        string dir = RepoPaths.TempDir("mxfp4-as-float");
        var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(Dir, "config.json")))!.AsObject();
        config.Remove("quantization_config");
        File.WriteAllText(Path.Combine(dir, "config.json"), config.ToJsonString());
        using var source = SafetensorsFile.Open(Path.Combine(Dir, "model.safetensors"));
        var tensors = new List<TensorToWrite>();
        foreach (var info in source.Tensors.Values.OrderBy(x => x.Name, StringComparer.Ordinal))
        {
            if (info.Name.EndsWith("_blocks") || info.Name.EndsWith("_scales")) continue;
            tensors.Add(new TensorToWrite(info.Name, info.Type, info.Shape, source.Bytes(info).ToArray()));
        }
        foreach (var name in new[] { "gate_up_proj", "down_proj" })
            for (int l = 0; l < 2; l++)
            {
                string key = $"model.layers.{l}.mlp.experts.{name}";
                tensors.Add(TensorToWrite.Single(key, reference.Floats("dequantized." + key), reference.Shape("dequantized." + key)));
            }
        SafetensorsWriter.Write(Path.Combine(dir, "model.safetensors"), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        return dir;
    }
}
