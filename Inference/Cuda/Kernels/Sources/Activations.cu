// Gated activations of the experts.

// SwiGLU: out [n] = silu(g) * u = g / (1 + exp(-g)) * u
extern "C" __global__ void swiglu(const float* __restrict__ g, const float* __restrict__ u, float* __restrict__ out, long long n)
{
    long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) out[i] = g[i] / (1.0f + expf(-g[i])) * u[i];
}

// gpt-oss: gu [rows, 2I] interleaved gate (even) / up (odd) plus its expert's bias [E, 2I]; gate clamped above at limit,
// up to [-limit, limit]; out [rows, I] = (up + 1) * gate * sigmoid(alpha * gate)
extern "C" __global__ void clamped_swiglu(const float* __restrict__ gu, const float* __restrict__ bias, const int* __restrict__ rowExpert,
    float* __restrict__ out, int rows, int inter, float alpha, float limit)
{
    long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (long long)rows * inter) return;
    int r = (int)(i / inter), j = (int)(i % inter);
    const float* b = bias + (long long)rowExpert[r] * 2 * inter;
    float gate = gu[(long long)r * 2 * inter + 2 * j] + b[2 * j];
    float up = gu[(long long)r * 2 * inter + 2 * j + 1] + b[2 * j + 1];
    gate = fminf(gate, limit);
    up = fminf(fmaxf(up, -limit), limit);
    float glu = gate * (1.0f / (1.0f + expf(-(gate * alpha))));
    out[i] = (up + 1.0f) * glu;
}

// Qwen2-MoE shared expert: y [n, H] += expertOut [n, H] * sigmoid(gate [n])
extern "C" __global__ void shared_expert_add(float* __restrict__ y, const float* __restrict__ expertOut, const float* __restrict__ gate, int n, int hidden)
{
    long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (long long)n * hidden) return;
    float s = 1.0f / (1.0f + expf(-gate[i / hidden]));
    y[i] = y[i] + expertOut[i] * s;
}
