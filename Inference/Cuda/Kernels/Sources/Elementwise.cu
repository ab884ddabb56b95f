// Element-wise kernels: conversions, residual add, biases, row gathers. One thread per element.

extern "C" __global__ void widen_bf16(const bf16_t* __restrict__ src, float* __restrict__ dst, long long n)
{
    long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) dst[i] = bf16_to_f32(src[i]);
}

extern "C" __global__ void round_bf16(const float* __restrict__ src, bf16_t* __restrict__ dst, long long n)
{
    long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) dst[i] = f32_to_bf16(src[i]);
}

// x [n] += y [n]
extern "C" __global__ void add_inplace(float* __restrict__ x, const float* __restrict__ y, long long n)
{
    long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) x[i] = x[i] + y[i];
}

// y [rows, cols] += bias [cols]
extern "C" __global__ void add_bias(float* __restrict__ y, const float* __restrict__ bias, int rows, int cols)
{
    long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < (long long)rows * cols) y[i] = y[i] + bias[i % cols];
}

// y [rows, cols] += bias [E, cols] of each row's expert rowExpert [rows]
extern "C" __global__ void add_expert_bias(float* __restrict__ y, const float* __restrict__ bias, const int* __restrict__ rowExpert, int rows, int cols)
{
    long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (long long)rows * cols) return;
    int r = (int)(i / cols), c = (int)(i % cols);
    y[i] = y[i] + bias[(long long)rowExpert[r] * cols + c];
}

// out [m, cols] = x [source[i], cols]
extern "C" __global__ void gather_rows(const float* __restrict__ x, const int* __restrict__ source, float* __restrict__ out, int m, int cols)
{
    long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (long long)m * cols) return;
    int r = (int)(i / cols), c = (int)(i % cols);
    out[i] = x[(long long)source[r] * cols + c];
}

// as gather_rows, rounding to bf16 (the `fast` GEMM input)
extern "C" __global__ void gather_rows_bf16(const float* __restrict__ x, const int* __restrict__ source, bf16_t* __restrict__ out, int m, int cols)
{
    long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (long long)m * cols) return;
    int r = (int)(i / cols), c = (int)(i % cols);
    out[i] = f32_to_bf16(x[(long long)source[r] * cols + c]);
}

// Embedding: x [n, hidden] = table [ids[r], hidden], table in bf16 or fp32
extern "C" __global__ void embed_bf16(const int* __restrict__ ids, const bf16_t* __restrict__ table, float* __restrict__ x, int n, int hidden)
{
    long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (long long)n * hidden) return;
    int r = (int)(i / hidden), c = (int)(i % hidden);
    x[i] = bf16_to_f32(table[(long long)ids[r] * hidden + c]);
}

extern "C" __global__ void embed_f32(const int* __restrict__ ids, const float* __restrict__ table, float* __restrict__ x, int n, int hidden)
{
    long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (long long)n * hidden) return;
    int r = (int)(i / hidden), c = (int)(i % hidden);
    x[i] = table[(long long)ids[r] * hidden + c];
}
