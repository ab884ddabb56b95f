// Normalisations over the last axis, one block per row (in place allowed: each thread writes only what it read).

// RMSNorm: y = w * (x / sqrt(mean(x^2) + eps)); x, y [rows, d], w [d]
extern "C" __global__ void rms_norm(const float* x, float* y, const float* __restrict__ w, int d, float eps)
{
    __shared__ float scratch[32];
    const float* row = x + (long long)blockIdx.x * d;
    float* out = y + (long long)blockIdx.x * d;
    float sum = 0.0f;
    for (int i = threadIdx.x; i < d; i += blockDim.x) sum += row[i] * row[i];
    sum = block_sum(sum, scratch);
    float inv = 1.0f / sqrtf(sum / (float)d + eps);
    for (int i = threadIdx.x; i < d; i += blockDim.x) out[i] = w[i] * (row[i] * inv);
}

// LayerNorm with bias: y = (x - mean) / sqrt(var + eps) * w + b (biased variance)
extern "C" __global__ void layer_norm(const float* x, float* y, const float* __restrict__ w, const float* __restrict__ b, int d, float eps)
{
    __shared__ float scratch[32];
    const float* row = x + (long long)blockIdx.x * d;
    float* out = y + (long long)blockIdx.x * d;
    float sum = 0.0f;
    for (int i = threadIdx.x; i < d; i += blockDim.x) sum += row[i];
    float mean = block_sum(sum, scratch) / (float)d;
    float sq = 0.0f;
    for (int i = threadIdx.x; i < d; i += blockDim.x) { float c = row[i] - mean; sq += c * c; }
    float variance = block_sum(sq, scratch) / (float)d;
    float inv = 1.0f / sqrtf(variance + eps);
    for (int i = threadIdx.x; i < d; i += blockDim.x) out[i] = (row[i] - mean) * inv * w[i] + b[i];
}
