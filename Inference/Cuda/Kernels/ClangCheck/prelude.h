// Used ONLY by the clang check of the kernel sources (check.sh, the KernelSourceTests): clang-14 compiles CUDA
// device code to PTX with -nocudainc -nocudalib, i.e. without the CUDA headers that NVRTC provides itself. This
// header declares the few CUDA names the sources use, mapped to clang's NVVM builtins; math functions are left
// as external declarations (the PTX then calls them; NVRTC resolves them from its own libdevice).
#pragma once
#define __global__ __attribute__((global))
#define __device__ __attribute__((device))
#define __shared__ __attribute__((shared))
#define __forceinline__ __inline__ __attribute__((always_inline))
#define __restrict__ __restrict

struct PreludeThreadIdx { __device__ unsigned int get_x() const { return __nvvm_read_ptx_sreg_tid_x(); } __declspec(property(get = get_x)) unsigned int x; };
struct PreludeBlockIdx { __device__ unsigned int get_x() const { return __nvvm_read_ptx_sreg_ctaid_x(); } __declspec(property(get = get_x)) unsigned int x; };
struct PreludeBlockDim { __device__ unsigned int get_x() const { return __nvvm_read_ptx_sreg_ntid_x(); } __declspec(property(get = get_x)) unsigned int x; };
extern const __device__ PreludeThreadIdx threadIdx;
extern const __device__ PreludeBlockIdx blockIdx;
extern const __device__ PreludeBlockDim blockDim;

// __syncthreads is a clang builtin for CUDA
__device__ inline float __shfl_xor_sync(unsigned mask, float v, int lane) { return __nvvm_shfl_sync_bfly_f32(mask, v, lane, 0x1f); }
__device__ inline int __shfl_xor_sync(unsigned mask, int v, int lane) { return __nvvm_shfl_sync_bfly_i32(mask, v, lane, 0x1f); }
__device__ inline unsigned __ballot_sync(unsigned mask, bool p) { return __nvvm_vote_ballot_sync(mask, p); }
__device__ inline int __popc(unsigned v) { return __builtin_popcount(v); }
__device__ inline float __int_as_float(int v) { return __builtin_bit_cast(float, v); }
__device__ inline int __float_as_int(float v) { return __builtin_bit_cast(int, v); }
__device__ inline float fmaxf(float a, float b) { return __nvvm_fmax_f(a, b); }
__device__ inline float fminf(float a, float b) { return __nvvm_fmin_f(a, b); }
__device__ inline float sqrtf(float v) { return __nvvm_sqrt_rn_f(v); }
extern "C" __device__ float expf(float);
extern "C" __device__ float logf(float);
__device__ inline float fabsf(float v) { return __builtin_fabsf(v); }
