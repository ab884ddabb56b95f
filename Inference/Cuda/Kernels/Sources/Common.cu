// Shared helpers of every kernel source. Self-contained: no CUDA header is included, so NVRTC needs nothing
// but this text; bf16 is handled as raw 16-bit values (the upper half of an fp32). The sources are compiled as
// one program: Common.cu first, then the others (KernelSources.cs). Shapes are in the comments: [rows, cols].
// Floating-point rules: compiled with --fmad=false and without fast math, so a*b+c rounds twice as on the CPU.

typedef unsigned short bf16_t;
typedef unsigned int u32;

__device__ __forceinline__ float bf16_to_f32(bf16_t v) { return __int_as_float(((int)v) << 16); }

// round to nearest, ties to even (NaN kept quiet), as the CPU's BFloat16Rounding
__device__ __forceinline__ bf16_t f32_to_bf16(float f)
{
    u32 bits = (u32)__float_as_int(f);
    if ((bits & 0x7fffffffu) > 0x7f800000u) return (bf16_t)((bits >> 16) | 0x40u);
    u32 rounding = 0x7fffu + ((bits >> 16) & 1u);
    return (bf16_t)((bits + rounding) >> 16);
}

__device__ __forceinline__ float warp_sum(float v)
{
    for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xffffffffu, v, offset);
    return v;
}

__device__ __forceinline__ float warp_max(float v)
{
    for (int offset = 16; offset > 0; offset >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, offset));
    return v;
}

// Sum over the block (blockDim.x a multiple of 32, at most 1024); every thread gets the result.
__device__ float block_sum(float v, float* scratch /* [32] shared */)
{
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    v = warp_sum(v);
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    float total = 0.0f;
    for (int w = 0; w < warps; w++) total += scratch[w];   // the same order in every thread
    return total;
}

__device__ float block_max(float v, float* scratch /* [32] shared */)
{
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    v = warp_max(v);
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    float m = scratch[0];
    for (int w = 1; w < warps; w++) m = fmaxf(m, scratch[w]);
    return m;
}

__device__ __forceinline__ float neg_inf() { return __int_as_float(0xff800000); }
