// Fused scaled-dot-product attention (FlashAttention-2 structure, fp32 on the CUDA cores), matching
// ScalarAttention: layout (batch·heads, T, d) row-major; with causal, query i sits at position tk − tq + i and sees
// keys j ≤ tk − tq + i. The T×T score matrix is never stored: a block holds one B×B tile of it in registers.
//
// Templates: B = rows of a tile (queries or keys), D = head_dim rounded up (64 or 128; the host picks B = 64 for
// d ≤ 64 and B = 32 for d ≤ 128). 256 threads form a 16×16 grid; thread (ty, tx) owns tile rows ty + 16·i and
// columns tx + 16·j, so a row is owned by the 16 lanes of one half-warp (row reductions are 4 shuffles) and
// shared-memory reads are conflict-free: every tile is stored with a row pitch of D + 1 (or B + 1) floats.
// Columns d..D−1 and rows past the end are zero-filled, so they add nothing to a dot product.
#include "common.cuh"

#define LOG2E 1.4426950408889634f
#define LN2 0.6931471805599453f

// Row-wise max and sum over the 16 lanes of a half-warp.
__device__ __forceinline__ float halfMax(float v) {
#pragma unroll
    for (int o = 8; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

__device__ __forceinline__ float halfSum(float v) {
#pragma unroll
    for (int o = 8; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

// tile[r][c] = src[(start + r)·d + c] for r < B, c < D, zero outside rows [start, limit) or columns [0, d).
template <int B, int D>
__device__ __forceinline__ void loadTile(float* tile, const float* src, int start, int limit, int d) {
    for (int idx = threadIdx.x; idx < B * D; idx += 256) {
        int r = idx / D, c = idx % D;
        tile[r * (D + 1) + c] = (start + r < limit && c < d) ? src[(long)(start + r) * d + c] : 0.f;
    }
}

// acc[i][j] += Σ_p L[(ty + 16i)·ldL + p] · R[(tx + 16j)·ldR + p] for p < P: a tile of L·Rᵀ.
template <int RI, int RJ, int P>
__device__ __forceinline__ void tileDotT(float (&acc)[RI][RJ], const float* L, int ldL, const float* R, int ldR) {
    const int tx = threadIdx.x & 15, ty = threadIdx.x >> 4;
#pragma unroll 8
    for (int p = 0; p < P; p++) {
        float l[RI], r[RJ];
#pragma unroll
        for (int i = 0; i < RI; i++) l[i] = L[(ty + 16 * i) * ldL + p];
#pragma unroll
        for (int j = 0; j < RJ; j++) r[j] = R[(tx + 16 * j) * ldR + p];
#pragma unroll
        for (int i = 0; i < RI; i++)
#pragma unroll
            for (int j = 0; j < RJ; j++) acc[i][j] = fmaf(l[i], r[j], acc[i][j]);
    }
}

// acc[i][c] += Σ_p L[(ty + 16i)·ldL + p] · R[p·ldR + tx + 16c] for p < P: a tile of L·R.
template <int RI, int RC, int P>
__device__ __forceinline__ void tileDot(float (&acc)[RI][RC], const float* L, int ldL, const float* R, int ldR) {
    const int tx = threadIdx.x & 15, ty = threadIdx.x >> 4;
#pragma unroll 8
    for (int p = 0; p < P; p++) {
        float l[RI], r[RC];
#pragma unroll
        for (int i = 0; i < RI; i++) l[i] = L[(ty + 16 * i) * ldL + p];
#pragma unroll
        for (int c = 0; c < RC; c++) r[c] = R[p * ldR + tx + 16 * c];
#pragma unroll
        for (int i = 0; i < RI; i++)
#pragma unroll
            for (int c = 0; c < RC; c++) acc[i][c] = fmaf(l[i], r[c], acc[i][c]);
    }
}

template <int RI, int RJ>
__device__ __forceinline__ void zero(float (&acc)[RI][RJ]) {
#pragma unroll
    for (int i = 0; i < RI; i++)
#pragma unroll
        for (int j = 0; j < RJ; j++) acc[i][j] = 0.f;
}

// Forward: grid (ceil(tq / B), batch·heads). Shared: Q, K, V tiles [B][D + 1] and P [B][B + 1].
// q and out heads are tq·d apart, k and v heads kvHeadStride apart (maxT·d for a KV cache). lse may be null.
template <int B, int D>
__device__ void attentionForward(const float* q, const float* k, const float* v, float* out, float* lse, int tq,
                                 int tk, int d, long kvHeadStride, int causal, float scale) {
    constexpr int R = B / 16, C = D / 16, LD = D + 1, LP = B + 1;
    extern __shared__ float smem[];
    float* Qs = smem;
    float* Ks = Qs + B * LD;
    float* Vs = Ks + B * LD;
    float* Ps = Vs + B * LD;
    const int tx = threadIdx.x & 15, ty = threadIdx.x >> 4;
    const long head = blockIdx.y;
    const int q0 = blockIdx.x * B;
    const float* qh = q + head * tq * d;
    const float* kh = k + head * kvHeadStride;
    const float* vh = v + head * kvHeadStride;
    const int offset = tk - tq;
    const float scaleLog2 = scale * LOG2E;

    loadTile<B, D>(Qs, qh, q0, tq, d);
    float m[R], l[R], o[R][C];
#pragma unroll
    for (int i = 0; i < R; i++) {
        m[i] = -INFINITY;
        l[i] = 0.f;
    }
    zero(o);
    const int keyEnd = causal ? min(tk, offset + min(q0 + B, tq)) : tk;
    for (int k0 = 0; k0 < keyEnd; k0 += B) {
        __syncthreads();  // the previous tile's K, V and P are no longer read
        loadTile<B, D>(Ks, kh, k0, tk, d);
        loadTile<B, D>(Vs, vh, k0, tk, d);
        __syncthreads();
        float s[R][R];
        zero(s);
        tileDotT<R, R, D>(s, Qs, LD, Ks, LD);
#pragma unroll
        for (int i = 0; i < R; i++) {
            int qi = q0 + ty + 16 * i;
            float rowMax = -INFINITY;
#pragma unroll
            for (int j = 0; j < R; j++) {
                int kj = k0 + tx + 16 * j;
                bool visible = kj < tk && (!causal || kj <= offset + qi);
                s[i][j] = visible ? s[i][j] * scaleLog2 : -INFINITY;
                rowMax = fmaxf(rowMax, s[i][j]);
            }
            float mNew = fmaxf(m[i], halfMax(rowMax));
            float mUse = mNew == -INFINITY ? 0.f : mNew;  // a row with nothing visible yet stays at zero
            float rescale = exp2f(m[i] - mUse);
            float rowSum = 0.f;
#pragma unroll
            for (int j = 0; j < R; j++) {
                float p = exp2f(s[i][j] - mUse);
                Ps[(ty + 16 * i) * LP + tx + 16 * j] = p;
                rowSum += p;
            }
            l[i] = l[i] * rescale + halfSum(rowSum);
            m[i] = mNew;
#pragma unroll
            for (int c = 0; c < C; c++) o[i][c] *= rescale;
        }
        __syncthreads();  // P complete
        tileDot<R, C, B>(o, Ps, LP, Vs, LD);
    }
    float* oh = out + head * tq * d;
#pragma unroll
    for (int i = 0; i < R; i++) {
        int qi = q0 + ty + 16 * i;
        if (qi >= tq) continue;
        float inv = 1.f / l[i];
#pragma unroll
        for (int c = 0; c < C; c++) {
            int e = tx + 16 * c;
            if (e < d) oh[(long)qi * d + e] = o[i][c] * inv;
        }
        if (lse != nullptr && tx == 0) lse[head * tq + qi] = (m[i] + log2f(l[i])) * LN2;
    }
}

// delta[row] = Σ_c dOut[row, c]·out[row, c] for the backward pass; one warp per row.
extern "C" __global__ void pm_attention_delta(const float* out, const float* dOut, float* delta, long rows, int d) {
    long row = ((long)blockIdx.x * blockDim.x + threadIdx.x) >> 5;
    int lane = threadIdx.x & 31;
    if (row >= rows) return;
    float sum = 0.f;
    for (int c = lane; c < d; c += 32) sum += dOut[row * d + c] * out[row * d + c];
    sum = warpSum(sum);
    if (lane == 0) delta[row] = sum;
}

// dQ (overwritten) for one query tile: P = exp(scale·QKᵀ − lse), dP = dO·Vᵀ, dS = scale·P∘(dP − delta), dQ = dS·K.
// Shared: Q, dO, K, V [B][D + 1] and dS [B][B + 1].
template <int B, int D>
__device__ void attentionBackwardQuery(const float* q, const float* k, const float* v, const float* lse,
                                       const float* delta, const float* dOut, float* dq, int tq, int tk, int d,
                                       int causal, float scale) {
    constexpr int R = B / 16, C = D / 16, LD = D + 1, LP = B + 1;
    extern __shared__ float smem[];
    float* Qs = smem;
    float* dOs = Qs + B * LD;
    float* Ks = dOs + B * LD;
    float* Vs = Ks + B * LD;
    float* dSs = Vs + B * LD;
    const int tx = threadIdx.x & 15, ty = threadIdx.x >> 4;
    const long head = blockIdx.y;
    const int q0 = blockIdx.x * B;
    const long qBase = head * tq * d, kBase = head * tk * d;
    const int offset = tk - tq;
    const float scaleLog2 = scale * LOG2E;

    loadTile<B, D>(Qs, q + qBase, q0, tq, d);
    loadTile<B, D>(dOs, dOut + qBase, q0, tq, d);
    float rowLse[R], rowDelta[R];
#pragma unroll
    for (int i = 0; i < R; i++) {
        int qi = q0 + ty + 16 * i;
        rowLse[i] = qi < tq ? lse[head * tq + qi] * LOG2E : 0.f;
        rowDelta[i] = qi < tq ? delta[head * tq + qi] : 0.f;
    }
    float acc[R][C];
    zero(acc);
    const int keyEnd = causal ? min(tk, offset + min(q0 + B, tq)) : tk;
    for (int k0 = 0; k0 < keyEnd; k0 += B) {
        __syncthreads();
        loadTile<B, D>(Ks, k + kBase, k0, tk, d);
        loadTile<B, D>(Vs, v + kBase, k0, tk, d);
        __syncthreads();
        float s[R][R], dp[R][R];
        zero(s);
        zero(dp);
        tileDotT<R, R, D>(s, Qs, LD, Ks, LD);
        tileDotT<R, R, D>(dp, dOs, LD, Vs, LD);
#pragma unroll
        for (int i = 0; i < R; i++) {
            int qi = q0 + ty + 16 * i;
#pragma unroll
            for (int j = 0; j < R; j++) {
                int kj = k0 + tx + 16 * j;
                bool visible = qi < tq && kj < tk && (!causal || kj <= offset + qi);
                float p = visible ? exp2f(s[i][j] * scaleLog2 - rowLse[i]) : 0.f;
                dSs[(ty + 16 * i) * LP + tx + 16 * j] = scale * (p * (dp[i][j] - rowDelta[i]));
            }
        }
        __syncthreads();
        tileDot<R, C, B>(acc, dSs, LP, Ks, LD);
    }
#pragma unroll
    for (int i = 0; i < R; i++) {
        int qi = q0 + ty + 16 * i;
        if (qi >= tq) continue;
#pragma unroll
        for (int c = 0; c < C; c++) {
            int e = tx + 16 * c;
            if (e < d) dq[qBase + (long)qi * d + e] = acc[i][c];
        }
    }
}

// dK and dV (overwritten) for one key tile, looping over the query tiles that see it: Pᵀ and dSᵀ are computed
// with keys as rows, dV = Pᵀ·dO, dK = dSᵀ·Q. Shared: K, V, Q, dO [B][D + 1], Pᵀ, dSᵀ [B][B + 1], lse, delta [B].
template <int B, int D>
__device__ void attentionBackwardKey(const float* q, const float* k, const float* v, const float* lse,
                                     const float* delta, const float* dOut, float* dk, float* dv, int tq, int tk,
                                     int d, int causal, float scale) {
    constexpr int R = B / 16, C = D / 16, LD = D + 1, LP = B + 1;
    extern __shared__ float smem[];
    float* Ks = smem;
    float* Vs = Ks + B * LD;
    float* Qs = Vs + B * LD;
    float* dOs = Qs + B * LD;
    float* Pt = dOs + B * LD;
    float* dSt = Pt + B * LP;
    float* Ls = dSt + B * LP;
    float* Ds = Ls + B;
    const int tx = threadIdx.x & 15, ty = threadIdx.x >> 4;
    const long head = blockIdx.y;
    const int k0 = blockIdx.x * B;
    const long qBase = head * tq * d, kBase = head * tk * d;
    const int offset = tk - tq;
    const float scaleLog2 = scale * LOG2E;

    loadTile<B, D>(Ks, k + kBase, k0, tk, d);
    loadTile<B, D>(Vs, v + kBase, k0, tk, d);
    float accK[R][C], accV[R][C];
    zero(accK);
    zero(accV);
    // With causal, query i sees key k0 only when offset + i ≥ k0.
    int firstQuery = causal ? max(0, k0 - offset) : 0;
    for (int q0 = firstQuery / B * B; q0 < tq; q0 += B) {
        __syncthreads();
        loadTile<B, D>(Qs, q + qBase, q0, tq, d);
        loadTile<B, D>(dOs, dOut + qBase, q0, tq, d);
        for (int r = threadIdx.x; r < B; r += 256) {
            bool in = q0 + r < tq;
            Ls[r] = in ? lse[head * tq + q0 + r] * LOG2E : 0.f;
            Ds[r] = in ? delta[head * tq + q0 + r] : 0.f;
        }
        __syncthreads();
        float st[R][R], dpt[R][R];
        zero(st);
        zero(dpt);
        tileDotT<R, R, D>(st, Ks, LD, Qs, LD);
        tileDotT<R, R, D>(dpt, Vs, LD, dOs, LD);
#pragma unroll
        for (int i = 0; i < R; i++) {
            int kj = k0 + ty + 16 * i;
#pragma unroll
            for (int j = 0; j < R; j++) {
                int qj = q0 + tx + 16 * j;
                bool visible = kj < tk && qj < tq && (!causal || kj <= offset + qj);
                float p = visible ? exp2f(st[i][j] * scaleLog2 - Ls[tx + 16 * j]) : 0.f;
                Pt[(ty + 16 * i) * LP + tx + 16 * j] = p;
                dSt[(ty + 16 * i) * LP + tx + 16 * j] = scale * (p * (dpt[i][j] - Ds[tx + 16 * j]));
            }
        }
        __syncthreads();
        tileDot<R, C, B>(accV, Pt, LP, dOs, LD);
        tileDot<R, C, B>(accK, dSt, LP, Qs, LD);
    }
#pragma unroll
    for (int i = 0; i < R; i++) {
        int kj = k0 + ty + 16 * i;
        if (kj >= tk) continue;
#pragma unroll
        for (int c = 0; c < C; c++) {
            int e = tx + 16 * c;
            if (e < d) {
                dk[kBase + (long)kj * d + e] = accK[i][c];
                dv[kBase + (long)kj * d + e] = accV[i][c];
            }
        }
    }
}

#define ATTENTION_ENTRIES(suffix, B, D)                                                                        \
    extern "C" __global__ void __launch_bounds__(256) pm_attention_forward_##suffix(                          \
        const float* q, const float* k, const float* v, float* out, float* lse, int tq, int tk, int d,         \
        long kvHeadStride, int causal, float scale) {                                                          \
        attentionForward<B, D>(q, k, v, out, lse, tq, tk, d, kvHeadStride, causal, scale);                     \
    }                                                                                                          \
    extern "C" __global__ void __launch_bounds__(256) pm_attention_backward_query_##suffix(                   \
        const float* q, const float* k, const float* v, const float* lse, const float* delta,                  \
        const float* dOut, float* dq, int tq, int tk, int d, int causal, float scale) {                        \
        attentionBackwardQuery<B, D>(q, k, v, lse, delta, dOut, dq, tq, tk, d, causal, scale);                 \
    }                                                                                                          \
    extern "C" __global__ void __launch_bounds__(256) pm_attention_backward_key_##suffix(                     \
        const float* q, const float* k, const float* v, const float* lse, const float* delta,                  \
        const float* dOut, float* dk, float* dv, int tq, int tk, int d, int causal, float scale) {             \
        attentionBackwardKey<B, D>(q, k, v, lse, delta, dOut, dk, dv, tq, tk, d, causal, scale);               \
    }

ATTENTION_ENTRIES(d64, 64, 64)
ATTENTION_ENTRIES(d128, 32, 128)
