// Causal grouped-query attention over a KV cache, for prefill and decode alike: the block's keys/values are
// appended to the cache first, then every (row, head) attends to its sequence's cached positions
// [first, p], first = p - window + 1 with a sliding window. Optional sinks: one extra logit per head that takes
// probability mass and is dropped. fp32 throughout; the order of the sums is fixed (no atomics).

// kCache, vCache [B, capacity, width]; k, v [n, width]; row r goes to sequence seq[r], position pos[r]
extern "C" __global__ void kv_append(const float* __restrict__ k, const float* __restrict__ v, float* __restrict__ kCache, float* __restrict__ vCache,
    const int* __restrict__ seq, const int* __restrict__ pos, int n, int width, int capacity)
{
    long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (long long)n * width) return;
    int r = (int)(i / width), c = (int)(i % width);
    long long at = ((long long)seq[r] * capacity + pos[r]) * width + c;
    kCache[at] = k[i];
    vCache[at] = v[i];
}

// One block per (row, head), blockDim.x a multiple of 32. Scores: one warp per key, the lanes striding over the
// head dimension (coalesced reads of the key row), then a warp sum. Values: one thread per output dimension,
// summing over the keys in position order. q, out [n, heads * D]; scores: scratch [n * heads, scoreStride] (>= span)
extern "C" __global__ void attention(const float* __restrict__ q, const float* __restrict__ kCache, const float* __restrict__ vCache,
    float* __restrict__ out, float* __restrict__ scores, const int* __restrict__ seq, const int* __restrict__ pos,
    const float* __restrict__ sinks, int heads, int kvHeads, int headDim, int capacity, int window, int scoreStride, float scale)
{
    __shared__ float scratch[32];
    int r = blockIdx.x / heads, h = blockIdx.x % heads, kvh = h / (heads / kvHeads);
    int width = kvHeads * headDim;
    int p = pos[r];
    int first = window > 0 && p - window + 1 > 0 ? p - window + 1 : 0;
    int count = p - first + 1;
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    const float* query = q + (long long)r * heads * headDim + (long long)h * headDim;
    const float* keys = kCache + (long long)seq[r] * capacity * width + (long long)kvh * headDim;
    const float* values = vCache + (long long)seq[r] * capacity * width + (long long)kvh * headDim;
    float* score = scores + (long long)blockIdx.x * scoreStride;

    float localMax = neg_inf();
    for (int j = warp; j < count; j += warps)
    {
        const float* key = keys + (long long)(first + j) * width;
        float dot = 0.0f;
        for (int d = lane; d < headDim; d += 32) dot += query[d] * key[d];
        dot = warp_sum(dot) * scale;   // every lane holds the sum
        if (lane == 0) score[j] = dot;
        localMax = fmaxf(localMax, dot);
    }
    float m = block_max(localMax, scratch);   // its __syncthreads also publishes the scores
    if (sinks != 0) m = fmaxf(m, sinks[h]);
    float localSum = 0.0f;
    for (int j = threadIdx.x; j < count; j += blockDim.x) { score[j] = expf(score[j] - m); localSum += score[j]; }
    float sum = block_sum(localSum, scratch);
    if (sinks != 0) sum += expf(sinks[h] - m);
    __syncthreads();   // every exp written before any thread reads them all
    float* o = out + (long long)r * heads * headDim + (long long)h * headDim;
    for (int d = threadIdx.x; d < headDim; d += blockDim.x)
    {
        float acc = 0.0f;
        for (int j = 0; j < count; j++) acc += values[(long long)(first + j) * width + d] * (score[j] / sum);
        o[d] = acc;
    }
}
