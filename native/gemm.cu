// SGEMM on row-major storage, C = alpha·op(A)·op(B) + beta·C, with leading dimensions and strided batches, as
// ScalarGemm defines it (with beta == 0, C is not read).
//
// One 256-thread block computes a 128×128 tile of C; each thread an 8×8 register block (two 4×4 quadrants, 64
// rows apart, so its shared-memory reads are float4 and conflict-free). K advances 8 at a time through two
// shared-memory buffers: the next tile's global loads are issued before the current tile's 512 FMAs per thread
// and stored to the other buffer after them, so one barrier per step suffices. op(A) is kept k-major (As[p][i])
// and op(B) too (Bs[p][j]), whatever the transposes, so the inner loop is the same for all four kernels.
// Global loads are float4 when the host says the operand is 16-byte aligned with a leading dimension (and batch
// stride) divisible by 4 and the four floats are in range; edges fall back to guarded scalar loads (zero fill).
#include "common.cuh"

#define BM 128
#define BN 128
#define BK 8
#define PAD 4

template <bool TRANS_A, bool TRANS_B>
__device__ __forceinline__ void sgemmTile(int m, int n, int k, float alpha, const float* __restrict__ A, int lda,
                                          const float* __restrict__ B, int ldb, float beta, float* C, int ldc,
                                          int vecA, int vecB, int vecC) {
    __shared__ __align__(16) float As[2][BK][BM + PAD];
    __shared__ __align__(16) float Bs[2][BK][BN + PAD];

    const int t = threadIdx.x;
    const int tx = t & 15, ty = t >> 4;
    const int row0 = blockIdx.y * BM, col0 = blockIdx.x * BN;

    // What this thread loads: 4 floats of op(A) and 4 of op(B) per k-step.
    // Row-major A (k contiguous): row t/2, k offset (t%2)·4. Transposed A (m contiguous): k row t/32, m offset (t%32)·4.
    const int aI = TRANS_A ? (t & 31) * 4 : t >> 1;
    const int aP = TRANS_A ? t >> 5 : (t & 1) * 4;
    const int bJ = TRANS_B ? t >> 1 : (t & 31) * 4;
    const int bP = TRANS_B ? (t & 1) * 4 : t >> 5;

    float aReg[4], bReg[4];

    auto loadA = [&](int k0) {
        if (!TRANS_A) {
            int i = row0 + aI, p = k0 + aP;
            const float* src = A + (long)i * lda + p;
            if (vecA && i < m && p + 3 < k) {
                float4 v = *reinterpret_cast<const float4*>(src);
                aReg[0] = v.x; aReg[1] = v.y; aReg[2] = v.z; aReg[3] = v.w;
            } else {
#pragma unroll
                for (int q = 0; q < 4; q++) aReg[q] = (i < m && p + q < k) ? src[q] : 0.f;
            }
        } else {
            int i = row0 + aI, p = k0 + aP;
            const float* src = A + (long)p * lda + i;
            if (vecA && p < k && i + 3 < m) {
                float4 v = *reinterpret_cast<const float4*>(src);
                aReg[0] = v.x; aReg[1] = v.y; aReg[2] = v.z; aReg[3] = v.w;
            } else {
#pragma unroll
                for (int q = 0; q < 4; q++) aReg[q] = (p < k && i + q < m) ? src[q] : 0.f;
            }
        }
    };
    auto loadB = [&](int k0) {
        if (!TRANS_B) {
            int j = col0 + bJ, p = k0 + bP;
            const float* src = B + (long)p * ldb + j;
            if (vecB && p < k && j + 3 < n) {
                float4 v = *reinterpret_cast<const float4*>(src);
                bReg[0] = v.x; bReg[1] = v.y; bReg[2] = v.z; bReg[3] = v.w;
            } else {
#pragma unroll
                for (int q = 0; q < 4; q++) bReg[q] = (p < k && j + q < n) ? src[q] : 0.f;
            }
        } else {
            int j = col0 + bJ, p = k0 + bP;
            const float* src = B + (long)j * ldb + p;
            if (vecB && j < n && p + 3 < k) {
                float4 v = *reinterpret_cast<const float4*>(src);
                bReg[0] = v.x; bReg[1] = v.y; bReg[2] = v.z; bReg[3] = v.w;
            } else {
#pragma unroll
                for (int q = 0; q < 4; q++) bReg[q] = (j < n && p + q < k) ? src[q] : 0.f;
            }
        }
    };
    auto store = [&](int buf) {
#pragma unroll
        for (int q = 0; q < 4; q++) {
            if (TRANS_A) As[buf][aP][aI + q] = aReg[q]; else As[buf][aP + q][aI] = aReg[q];
            if (TRANS_B) Bs[buf][bP + q][bJ] = bReg[q]; else Bs[buf][bP][bJ + q] = bReg[q];
        }
    };

    float acc[8][8];
#pragma unroll
    for (int i = 0; i < 8; i++)
#pragma unroll
        for (int j = 0; j < 8; j++) acc[i][j] = 0.f;

    const int tiles = (k + BK - 1) / BK;
    if (tiles > 0) {
        loadA(0);
        loadB(0);
        store(0);
    }
    __syncthreads();
    int cur = 0;
    for (int kt = 0; kt < tiles; kt++) {
        bool more = kt + 1 < tiles;
        if (more) {
            loadA((kt + 1) * BK);
            loadB((kt + 1) * BK);
        }
#pragma unroll
        for (int p = 0; p < BK; p++) {
            float4 a0 = *reinterpret_cast<const float4*>(&As[cur][p][ty * 4]);
            float4 a1 = *reinterpret_cast<const float4*>(&As[cur][p][64 + ty * 4]);
            float4 b0 = *reinterpret_cast<const float4*>(&Bs[cur][p][tx * 4]);
            float4 b1 = *reinterpret_cast<const float4*>(&Bs[cur][p][64 + tx * 4]);
            float a[8] = {a0.x, a0.y, a0.z, a0.w, a1.x, a1.y, a1.z, a1.w};
            float b[8] = {b0.x, b0.y, b0.z, b0.w, b1.x, b1.y, b1.z, b1.w};
#pragma unroll
            for (int i = 0; i < 8; i++)
#pragma unroll
                for (int j = 0; j < 8; j++) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
        }
        if (more) store(cur ^ 1);
        __syncthreads();
        cur ^= 1;
    }

    // Epilogue: C = alpha·acc + beta·C (C not read when beta == 0).
#pragma unroll
    for (int i = 0; i < 8; i++) {
        int row = row0 + (i < 4 ? ty * 4 + i : 64 + ty * 4 + i - 4);
        if (row >= m) continue;
#pragma unroll
        for (int half = 0; half < 2; half++) {
            int col = col0 + half * 64 + tx * 4;
            float* dst = C + (long)row * ldc + col;
            if (vecC && col + 3 < n) {
                float4 v;
                if (beta == 0.f) {
                    v = make_float4(0.f, 0.f, 0.f, 0.f);
                } else {
                    v = *reinterpret_cast<const float4*>(dst);
                    v.x *= beta; v.y *= beta; v.z *= beta; v.w *= beta;
                }
                v.x += alpha * acc[i][half * 4 + 0];
                v.y += alpha * acc[i][half * 4 + 1];
                v.z += alpha * acc[i][half * 4 + 2];
                v.w += alpha * acc[i][half * 4 + 3];
                *reinterpret_cast<float4*>(dst) = v;
            } else {
#pragma unroll
                for (int q = 0; q < 4; q++) {
                    if (col + q < n) {
                        float old = beta == 0.f ? 0.f : beta * dst[q];
                        dst[q] = alpha * acc[i][half * 4 + q] + old;
                    }
                }
            }
        }
    }
}

// Batch entry blockIdx.z uses A + z·strideA, B + z·strideB, C + z·strideC (pointers already at their offsets).
#define SGEMM_ENTRY(name, TA, TB)                                                                              \
    extern "C" __global__ void __launch_bounds__(256, 2)                                                       \
    name(int m, int n, int k, float alpha, const float* A, int lda, long strideA, const float* B, int ldb,     \
         long strideB, float beta, float* C, int ldc, long strideC, int vecA, int vecB, int vecC) {            \
        long z = blockIdx.z;                                                                                   \
        sgemmTile<TA, TB>(m, n, k, alpha, A + z * strideA, lda, B + z * strideB, ldb, beta, C + z * strideC,   \
                          ldc, vecA, vecB, vecC);                                                              \
    }

SGEMM_ENTRY(pm_sgemm_nn, false, false)
SGEMM_ENTRY(pm_sgemm_nt, false, true)
SGEMM_ENTRY(pm_sgemm_tn, true, false)
SGEMM_ENTRY(pm_sgemm_tt, true, true)
