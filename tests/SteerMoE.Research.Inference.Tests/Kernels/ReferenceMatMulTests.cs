using SteerMoE.Research.Inference.Kernels;

namespace SteerMoE.Research.Inference.Tests.Kernels;

public unsafe class ReferenceMatMulTests
{
    [Fact]
    public void Bf16LinearIsExactOnSmallIntegers()
    {
        // W = [[1, 2], [3, -4], [0.5, 8]] in bf16 (all exactly representable); x = [[1, 1], [2, -1]]
        ushort[] w = [.. new float[] { 1, 2, 3, -4, 0.5f, 8 }.Select(f => (ushort)(BitConverter.SingleToInt32Bits(f) >> 16))];
        float[] x = [1, 1, 2, -1];
        float[] y = new float[6];
        fixed (ushort* p = w)
            ReferenceMatMul.Linear(x, new WeightMatrix(DType.BF16, p, 3, 2), y, 2);
        Assert.Equal([3f, -1f, 8.5f, 0f, 10f, -7f], y);
    }

    [Fact]
    public void Mxfp4DecodesLowNibbleFirstWithPowerOfTwoScale()
    {
        // One row of 32 values: byte j holds values 2j (low nibble) and 2j+1 (high nibble).
        byte[] blocks = new byte[16];
        blocks[0] = 0x2 | (0xB << 4);  // 1.0, then -1.5
        blocks[1] = 0x7;               // 6.0, then 0
        byte[] scales = [128];         // 2^(128-127) = 2
        fixed (byte* b = blocks) fixed (byte* s = scales)
        {
            var w = new WeightMatrix(DType.Mxfp4, b, 1, 32, s);
            Assert.Equal(2f, ReferenceMatMul.Element(w, 0, 0));
            Assert.Equal(-3f, ReferenceMatMul.Element(w, 0, 1));
            Assert.Equal(12f, ReferenceMatMul.Element(w, 0, 2));
            Assert.Equal(0f, ReferenceMatMul.Element(w, 0, 3));
        }
    }
}
