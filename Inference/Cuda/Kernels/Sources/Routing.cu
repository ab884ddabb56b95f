// Router: the SteerMoE rewrite, the routing rules, and the sort of (token, choice) pairs by expert.
// One thread per token for the per-token rules (E is at most a few hundred).

// SteerMoE rewrite (CONTRACTS.md §3) of scores [n, E] in place: s = log_softmax(z) = (z - max) - log(sum exp(z - max));
// then, when kind != 0 (a steered layer), kind[e] = 1 (activate) moves s_e toward max(s) + 0.01 and kind[e] = 2
// (deactivate) toward min(s) - 0.01, by strength[e] (1: assigned exactly), max/min taken before any assignment.
extern "C" __global__ void steer_rewrite(float* __restrict__ scores, int n, int experts, const int* __restrict__ kind, const double* __restrict__ strength)
{
    int t = blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= n) return;
    float* row = scores + (long long)t * experts;
    float m = neg_inf();
    for (int e = 0; e < experts; e++) m = fmaxf(m, row[e]);
    float sum = 0.0f;
    for (int e = 0; e < experts; e++) sum += expf(row[e] - m);
    float logSum = logf(sum);
    for (int e = 0; e < experts; e++) row[e] = (row[e] - m) - logSum;
    if (kind == 0) return;
    float hi = neg_inf(), lo = -neg_inf();
    for (int e = 0; e < experts; e++) { hi = fmaxf(hi, row[e]); lo = fminf(lo, row[e]); }
    for (int e = 0; e < experts; e++)
    {
        if (kind[e] == 0) continue;
        float target = kind[e] == 1 ? hi + 0.01f : lo - 0.01f;
        double s = strength[e];
        row[e] = s >= 1.0 ? target : (float)((double)row[e] + s * ((double)target - (double)row[e]));
    }
}

// softmax over all experts, top-k of the probabilities (descending, ties to the lower index), optionally
// renormalised: scores [n, E] -> index [n, k], weight [n, k]
extern "C" __global__ void route_softmax_topk(const float* __restrict__ scores, int* __restrict__ index, float* __restrict__ weight,
    int n, int experts, int k, int renormalize)
{
    int t = blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= n) return;
    const float* z = scores + (long long)t * experts;
    float m = neg_inf();
    for (int e = 0; e < experts; e++) m = fmaxf(m, z[e]);
    float sum = 0.0f;
    for (int e = 0; e < experts; e++) sum += expf(z[e] - m);
    int* idx = index + (long long)t * k;
    float* w = weight + (long long)t * k;
    float total = 0.0f;
    for (int j = 0; j < k; j++)
    {
        int best = -1; float bestP = 0.0f;
        for (int e = 0; e < experts; e++)
        {
            bool taken = false;
            for (int i = 0; i < j; i++) taken = taken || idx[i] == e;
            if (taken) continue;
            float p = expf(z[e] - m) / sum;
            if (best < 0 || p > bestP) { best = e; bestP = p; }
        }
        idx[j] = best; w[j] = bestP; total += bestP;
    }
    if (renormalize) for (int j = 0; j < k; j++) w[j] = w[j] / total;
}

// gpt-oss: top-k of the scores, then softmax over the k chosen only
extern "C" __global__ void route_topk_softmax(const float* __restrict__ scores, int* __restrict__ index, float* __restrict__ weight, int n, int experts, int k)
{
    int t = blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= n) return;
    const float* z = scores + (long long)t * experts;
    int* idx = index + (long long)t * k;
    float* w = weight + (long long)t * k;
    for (int j = 0; j < k; j++)
    {
        int best = -1;
        for (int e = 0; e < experts; e++)
        {
            bool taken = false;
            for (int i = 0; i < j; i++) taken = taken || idx[i] == e;
            if (!taken && (best < 0 || z[e] > z[best])) best = e;
        }
        idx[j] = best;
    }
    float m = neg_inf();
    for (int j = 0; j < k; j++) m = fmaxf(m, z[idx[j]]);
    float sum = 0.0f;
    for (int j = 0; j < k; j++) { w[j] = expf(z[idx[j]] - m); sum += w[j]; }
    for (int j = 0; j < k; j++) w[j] = w[j] / sum;
}

// Counting sort of the n*k (token, choice) pairs by expert, stable (token order within an expert), one block per
// expert, deterministic (no atomics). Pass 1 counts: counts [E].
extern "C" __global__ void expert_count(const int* __restrict__ index, int pairs, int* __restrict__ counts)
{
    __shared__ int warpCounts[32];
    int e = blockIdx.x, c = 0;
    for (int i = threadIdx.x; i < pairs; i += blockDim.x) c += index[i] == e ? 1 : 0;
    for (int offset = 16; offset > 0; offset >>= 1) c += __shfl_xor_sync(0xffffffffu, c, offset);
    if ((threadIdx.x & 31) == 0) warpCounts[threadIdx.x >> 5] = c;
    __syncthreads();
    if (threadIdx.x == 0)
    {
        int total = 0;
        for (int w = 0; w < (int)(blockDim.x >> 5); w++) total += warpCounts[w];
        counts[e] = total;
    }
}

// Pass 2 places: slot = (sum of counts of lower experts) + rank among this expert's pairs in pair order.
// sortedRow [n*k] token row of each slot, sortedWeight [n*k], sortedExpert [n*k], slotOf [n*k] slot of each pair.
extern "C" __global__ void expert_place(const int* __restrict__ index, const float* __restrict__ weight, int pairs, int k,
    const int* __restrict__ counts, int* __restrict__ sortedRow, float* __restrict__ sortedWeight, int* __restrict__ sortedExpert, int* __restrict__ slotOf)
{
    __shared__ int warpCounts[32];
    __shared__ int base;
    int e = blockIdx.x;
    if (threadIdx.x == 0) { int b = 0; for (int i = 0; i < e; i++) b += counts[i]; base = b; }
    __syncthreads();
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    for (int tile = 0; tile < pairs; tile += blockDim.x)
    {
        int i = tile + threadIdx.x;
        bool match = i < pairs && index[i] == e;
        u32 ballot = __ballot_sync(0xffffffffu, match);
        if (lane == 0) warpCounts[warp] = __popc(ballot);
        __syncthreads();
        int before = base;
        for (int w = 0; w < warp; w++) before += warpCounts[w];
        before += __popc(ballot & ((1u << lane) - 1u));
        if (match)
        {
            sortedRow[before] = i / k; sortedWeight[before] = weight[i]; sortedExpert[before] = e; slotOf[i] = before;
        }
        __syncthreads();
        if (threadIdx.x == 0) { int add = 0; for (int w = 0; w < warps; w++) add += warpCounts[w]; base += add; }
        __syncthreads();
    }
}

// y [n, H] = sum over the token's k choices, in increasing expert order, of weight * expertOut [slot, H]
// (the CPU's order: experts applied one after another, each adding into y starting from zero)
extern "C" __global__ void expert_combine(const float* __restrict__ expertOut, const int* __restrict__ index, const float* __restrict__ weight,
    const int* __restrict__ slotOf, float* __restrict__ y, int n, int k, int hidden)
{
    long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (long long)n * hidden) return;
    int t = (int)(i / hidden), h = (int)(i % hidden);
    const int* idx = index + (long long)t * k;
    float acc = 0.0f;
    int previous = -1;
    for (int j = 0; j < k; j++)
    {
        // the next expert above `previous` among the token's choices (k is small)
        int pick = -1;
        for (int c = 0; c < k; c++)
            if (idx[c] > previous && (pick < 0 || idx[c] < idx[pick])) pick = c;
        previous = idx[pick];
        int pair = t * k + pick;
        acc = acc + expertOut[(long long)slotOf[pair] * hidden + h] * weight[pair];
    }
    y[i] = acc;
}

// Phi-3.5-MoE's sparsemixer (inference form, k = 2), as SparseMixerRouting: round 0 ranks the scores, round 1 the
// scores with the first choice at -inf; the choice is the argmax; its weight is its softmax probability among the
// experts whose score lies within the relative margin 2*eps of the round's max ((max - s) / max(|s|, max) <= 2 eps).
extern "C" __global__ void route_sparsemixer(const float* __restrict__ scores, int* __restrict__ index, float* __restrict__ weight, int n, int experts, float eps)
{
    int t = blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= n) return;
    const float* z = scores + (long long)t * experts;
    int first = -1;
    for (int round = 0; round < 2; round++)
    {
        int best = 0;
        for (int i = 1; i < experts; i++)
        {
            float ri = i == first ? neg_inf() : z[i], rb = best == first ? neg_inf() : z[best];
            if (ri > rb) best = i;
        }
        float threshold = best == first ? neg_inf() : z[best];
        float m = neg_inf();
        for (int i = 0; i < experts; i++)
        {
            float factor = fmaxf(fabsf(z[i]), threshold);
            float masked = (threshold - z[i]) / factor > 2.0f * eps ? neg_inf() : (i == first ? neg_inf() : z[i]);
            m = fmaxf(m, masked);
        }
        float sum = 0.0f, chosen = 0.0f;
        for (int i = 0; i < experts; i++)
        {
            float factor = fmaxf(fabsf(z[i]), threshold);
            float masked = (threshold - z[i]) / factor > 2.0f * eps ? neg_inf() : (i == first ? neg_inf() : z[i]);
            float p = expf(masked - m);
            sum += p;
            if (i == best) chosen = p;
        }
        index[(long long)t * 2 + round] = best;
        weight[(long long)t * 2 + round] = chosen / sum;
        first = best;
    }
}
