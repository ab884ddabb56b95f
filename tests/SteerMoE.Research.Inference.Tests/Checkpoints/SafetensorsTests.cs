using System.Text;
using SteerMoE.Research.Inference.Checkpoints;
using SteerMoE.Research.Inference.Kernels;
using SteerMoE.Research.Tests;

namespace SteerMoE.Research.Inference.Tests.Checkpoints;

public class SafetensorsTests
{
    private static string Temp(string name) => Path.Combine(RepoPaths.TempDir("st"), name);

    private static string WriteRaw(string header, int dataBytes, long? declaredLength = null)
    {
        string path = Temp("raw.safetensors");
        var json = Encoding.UTF8.GetBytes(header);
        using var s = File.Create(path);
        s.Write(BitConverter.GetBytes((ulong)(declaredLength ?? json.Length)));
        s.Write(json);
        s.Write(new byte[dataBytes]);
        return path;
    }

    [Fact]
    public unsafe void EveryDtypeRoundTripsThroughTheWriter()
    {
        string path = Temp("all.safetensors");
        var tensors = new List<TensorToWrite>
        {
            TensorToWrite.Single("f32", [1.5f, -2f, 3.25f], 3),
            TensorToWrite.Int64("i64", [-7, 1L << 40], 2),
            new("f64", DType.F64, [2], BitConverter.GetBytes(0.5).Concat(BitConverter.GetBytes(-4.0)).ToArray()),
            new("bf16", DType.BF16, [2], [0x80, 0x3F, 0x00, 0xC0]),           // 1.0, -2.0
            new("f16", DType.F16, [1], BitConverter.GetBytes((Half)0.25)),
            new("i32", DType.I32, [1], BitConverter.GetBytes(-123456)),
            new("i16", DType.I16, [1], BitConverter.GetBytes((short)-300)),
            new("i8", DType.I8, [2], [0xFF, 0x05]),
            new("u8", DType.U8, [2, 1], [200, 7]),
            new("u16", DType.U16, [1], BitConverter.GetBytes((ushort)65000)),
            new("u32", DType.U32, [1], BitConverter.GetBytes(4000000000u)),
            new("u64", DType.U64, [1], BitConverter.GetBytes(5UL)),
            new("bool", DType.Bool, [3], [1, 0, 1]),
            new("empty", DType.F32, [0, 4], []),
        };
        SafetensorsWriter.Write(path, tensors, new Dictionary<string, string> { ["format"] = "pt" });
        using var file = SafetensorsFile.Open(path);
        Assert.Equal("pt", file.Metadata["format"]);
        float[] F(string n) { var t = file.Find(n)!; return TensorConvert.ToSingle(t, file.Pointer(t)); }
        long[] L(string n) { var t = file.Find(n)!; return TensorConvert.ToInt64(t, file.Pointer(t)); }
        Assert.Equal([1.5f, -2f, 3.25f], F("f32"));
        Assert.Equal([-7L, 1L << 40], L("i64"));
        Assert.Equal([0.5f, -4f], F("f64"));
        Assert.Equal([1f, -2f], F("bf16"));
        Assert.Equal([0.25f], F("f16"));
        Assert.Equal([-123456L], L("i32"));
        Assert.Equal([-300L], L("i16"));
        Assert.Equal([-1L, 5L], L("i8"));
        Assert.Equal([200L, 7L], L("u8"));
        Assert.Equal([65000L], L("u16"));
        Assert.Equal([4000000000L], L("u32"));
        Assert.Equal([5L], L("u64"));
        Assert.Equal([1L, 0L, 1L], L("bool"));
        Assert.Equal([2L, 1L], file.Find("u8")!.Shape);
        Assert.Empty(F("empty"));
        Assert.Contains("integer dtype", Assert.Throws<InvalidDataException>(() => L("f32")).Message);
        // header padded to 8 bytes, data right after it
        long headerLength = BitConverter.ToInt64(File.ReadAllBytes(path).AsSpan(0, 8));
        Assert.Equal(0, headerLength % 8);
    }

    [Fact]
    public void WriterRejectsBytesThatDoNotMatchTheShapeAndLeavesNoFile()
    {
        string path = Temp("bad.safetensors");
        var e = Assert.Throws<ArgumentException>(() => SafetensorsWriter.Write(path, [new TensorToWrite("x", DType.F32, [3], new byte[8])]));
        Assert.Contains("'x'", e.Message);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!));
    }

    [Fact]
    public void TruncatedFileIsNamed()
    {
        string path = Temp("t.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);
        var e = Assert.Throws<InvalidDataException>(() => SafetensorsFile.Open(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void HeaderLongerThanTheFile()
    {
        string path = WriteRaw("{}", 0, declaredLength: 1000);
        var e = Assert.Throws<InvalidDataException>(() => SafetensorsFile.Open(path));
        Assert.Contains("header length 1000", e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void OffsetsOutsideTheData()
    {
        string path = WriteRaw("""{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", 8);
        var e = Assert.Throws<InvalidDataException>(() => SafetensorsFile.Open(path));
        Assert.Contains("'w'", e.Message);
        Assert.Contains("outside the data section (8 bytes)", e.Message);
    }

    [Fact]
    public void TruncatedDataOfARealCheckpoint()
    {
        string path = Temp("model.safetensors");
        var bytes = File.ReadAllBytes(Path.Combine(RepoPaths.Fixture("olmoe"), "model.safetensors"));
        File.WriteAllBytes(path, bytes[..(bytes.Length - 100)]);
        var e = Assert.Throws<InvalidDataException>(() => SafetensorsFile.Open(path));
        Assert.Contains("outside the data section", e.Message);
    }

    [Theory]
    [InlineData("""{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}}""", "needs 12 bytes")]
    [InlineData("""{"w":{"dtype":"Q4","shape":[4],"data_offsets":[0,16]}}""", "dtype 'Q4'")]
    [InlineData("""{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16],"scale":2}}""", "tensor 'w': unknown field 'scale'; expected only dtype, shape, data_offsets.")]
    [InlineData("""{"w":{"dtype":"F32","shape":[-4],"data_offsets":[0,16]}}""", "non-negative")]
    [InlineData("""{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}""", "overlap")]
    [InlineData("""{"w":{"dtype":"F32","shape":[4]}}""", "data_offsets")]
    [InlineData("""{"w":{"dtype":"F32","shape":[4],"data_offsets":[16,0]}}""", "begin <= end")]
    [InlineData("""{not json""", "not valid JSON")]
    public void BadHeadersAreRejectedWithTheirReason(string header, string expected)
    {
        string path = WriteRaw(header, 16);
        var e = Assert.Throws<InvalidDataException>(() => SafetensorsFile.Open(path));
        Assert.Contains(expected, e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public unsafe void DataIsMappedNotCopied()
    {
        using var checkpoint = Checkpoint.Open(RepoPaths.Fixture("olmoe"));
        var w = checkpoint.Matrix("lm_head.weight", 384, 64);
        Assert.Equal(DType.BF16, w.Type);   // bf16 stays bf16
        var info = checkpoint.Info("lm_head.weight");
        var file = checkpoint.Files[0];
        Assert.True(w.Data == file.Pointer(info));
        Assert.Equal(checkpoint.Files[0].Tensors.Values.Sum(t => t.ByteLength), checkpoint.ByteCount);
    }
}
