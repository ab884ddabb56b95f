// Rotary embedding, rotate-half layout. cos/sin [n, D/2] per row are computed on the host by the CPU engine's
// RotaryEmbedding (default, YaRN and long-rope, attention factor included), so both backends rotate alike.
// x [n, heads * D] in place; one thread per (row, head, i < D/2).
extern "C" __global__ void rope(float* __restrict__ x, const float* __restrict__ cosTable, const float* __restrict__ sinTable, int n, int heads, int headDim)
{
    int half = headDim / 2;
    long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (long long)n * heads * half) return;
    int j = (int)(i % half);
    long long rh = i / half;
    int r = (int)(rh / heads);
    float* v = x + rh * headDim;
    float c = cosTable[(long long)r * half + j], s = sinTable[(long long)r * half + j];
    float a = v[j], b = v[j + half];
    v[j] = a * c + (-b) * s;
    v[j + half] = b * c + a * s;
}
