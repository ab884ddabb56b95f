namespace SteerMoE.Research.Inference.Kernels;

/// <summary>Element types of stored weights and tensors (safetensors names in docs/CONTRACTS.md).</summary>
public enum DType
{
    F32, F16, BF16, F64, I8, U8, I16, U16, I32, U32, I64, U64, Bool,
    /// <summary>OCP MXFP4: two e2m1 values a byte (low nibble first), one power-of-two scale byte per 32 values.</summary>
    Mxfp4,
}
