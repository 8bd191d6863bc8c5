// Elementwise, activation, data-movement and resampling kernels, and AdamW. Each one matches the scalar reference
// in engine/src/main/java/dev/panamax/engine/kernel/scalar/ (named in the comment above it). Outputs may alias
// inputs: every element is read before it is written, by the same thread. Backward kernels ACCUMULATE (dX += ...).
#include "common.cuh"

// ---------------------------------------------------------------- ScalarElementwise

extern "C" __global__ void pm_add(const float* a, const float* b, float* out, long n) {
    GRID_STRIDE(i, n) out[i] = a[i] + b[i];
}

extern "C" __global__ void pm_sub(const float* a, const float* b, float* out, long n) {
    GRID_STRIDE(i, n) out[i] = a[i] - b[i];
}

extern "C" __global__ void pm_mul(const float* a, const float* b, float* out, long n) {
    GRID_STRIDE(i, n) out[i] = a[i] * b[i];
}

extern "C" __global__ void pm_scale(const float* a, float s, float* out, long n) {
    GRID_STRIDE(i, n) out[i] = s * a[i];
}

extern "C" __global__ void pm_axpy(float alpha, const float* x, float* y, long n) {
    GRID_STRIDE(i, n) y[i] = y[i] + alpha * x[i];
}

// out[r, c] = x[r, c] + bias[c]
extern "C" __global__ void pm_add_bias(const float* x, const float* bias, float* out, long rows, int cols) {
    GRID_STRIDE(i, rows * cols) out[i] = x[i] + bias[i % cols];
}

// out[c] += Σ_r x[r, c] (ScalarElementwise.accumulateColumnSums). Block (32, 16): 32 columns, 16 row phases that
// are summed in a fixed order, so the result does not vary between runs (no atomics).
extern "C" __global__ void pm_column_sums(const float* x, float* out, int rows, int cols) {
    __shared__ float partial[16][33];
    int c = blockIdx.x * 32 + threadIdx.x;
    float sum = 0.f;
    if (c < cols) {
        for (int r = threadIdx.y; r < rows; r += 16) sum += x[(long)r * cols + c];
    }
    partial[threadIdx.y][threadIdx.x] = sum;
    __syncthreads();
    if (threadIdx.y == 0 && c < cols) {
        float total = 0.f;
        for (int p = 0; p < 16; p++) total += partial[p][threadIdx.x];
        out[c] += total;
    }
}

// One double partial sum per block of Σ x (the host adds the partials in order): ScalarElementwise.sum.
extern "C" __global__ void pm_sum_partials(const float* x, long n, double* partials) {
    __shared__ double scratch[32];
    double sum = 0.0;
    GRID_STRIDE(i, n) sum += (double)x[i];
    sum = blockSumD(sum, scratch);
    if (threadIdx.x == 0) partials[blockIdx.x] = sum;
}

// One double partial sum per block of Σ (pred − target)²: ScalarTensorOps.mse (the host divides by n).
extern "C" __global__ void pm_mse_partials(const float* pred, const float* target, long n, double* partials) {
    __shared__ double scratch[32];
    double sum = 0.0;
    GRID_STRIDE(i, n) {
        double d = (double)pred[i] - (double)target[i];
        sum += d * d;
    }
    sum = blockSumD(sum, scratch);
    if (threadIdx.x == 0) partials[blockIdx.x] = sum;
}

// dPred += scale·(pred − target) with scale = 2·dLoss/n computed on the host as the reference does.
extern "C" __global__ void pm_mse_backward(const float* pred, const float* target, float scale, float* dPred,
                                           long n) {
    GRID_STRIDE(i, n) dPred[i] = dPred[i] + scale * (pred[i] - target[i]);
}

// ---------------------------------------------------------------- ScalarActivations (double math, rounded once)

#define SQRT_2_OVER_PI 0.7978845608028654
#define GELU_CUBIC 0.044715

__device__ __forceinline__ double geluD(double x) {
    return 0.5 * x * (1.0 + tanh(SQRT_2_OVER_PI * (x + GELU_CUBIC * x * x * x)));
}

__device__ __forceinline__ double geluDerivativeD(double x) {
    double u = SQRT_2_OVER_PI * (x + GELU_CUBIC * x * x * x);
    double t = tanh(u);
    double du = SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_CUBIC * x * x);
    return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du;
}

extern "C" __global__ void pm_gelu(const float* x, float* out, long n) {
    GRID_STRIDE(i, n) out[i] = (float)geluD(x[i]);
}

extern "C" __global__ void pm_gelu_backward(const float* x, const float* dOut, float* dX, long n) {
    GRID_STRIDE(i, n) dX[i] = dX[i] + (float)(dOut[i] * geluDerivativeD(x[i]));
}

extern "C" __global__ void pm_silu(const float* x, float* out, long n) {
    GRID_STRIDE(i, n) {
        double v = x[i];
        out[i] = (float)(v / (1.0 + exp(-v)));
    }
}

extern "C" __global__ void pm_silu_backward(const float* x, const float* dOut, float* dX, long n) {
    GRID_STRIDE(i, n) {
        double v = x[i];
        double s = 1.0 / (1.0 + exp(-v));
        dX[i] = dX[i] + (float)(dOut[i] * (s * (1.0 + v * (1.0 - s))));
    }
}

extern "C" __global__ void pm_relu(const float* x, float* out, long n) {
    GRID_STRIDE(i, n) out[i] = fmaxf(0.f, x[i]);
}

extern "C" __global__ void pm_relu_backward(const float* x, const float* dOut, float* dX, long n) {
    GRID_STRIDE(i, n) dX[i] = dX[i] + (x[i] > 0.f ? dOut[i] : 0.f);
}

// ---------------------------------------------------------------- ScalarTensorOps

// out[r, :] = table[ids[r], :]
extern "C" __global__ void pm_embedding(const float* table, const int* ids, float* out, int count, int width) {
    GRID_STRIDE(i, (long)count * width) {
        long r = i / width;
        int c = (int)(i - r * width);
        out[i] = table[(long)ids[r] * width + c];
    }
}

// dTable[ids[r], :] += dOut[r, :], rows in order: one thread per column walks the rows, so repeated ids add up in
// the reference's order without atomics.
extern "C" __global__ void pm_embedding_backward(const int* ids, int count, const float* dOut, float* dTable,
                                                 int width) {
    int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= width) return;
    for (int r = 0; r < count; r++) {
        long at = (long)ids[r] * width + c;
        dTable[at] = dTable[at] + dOut[(long)r * width + c];
    }
}

// out = [a, b] along channels: per batch entry, aBlock floats of a then bBlock floats of b.
extern "C" __global__ void pm_concat_channels(const float* a, const float* b, float* out, int batch, long aBlock,
                                              long bBlock) {
    long block = aBlock + bBlock;
    GRID_STRIDE(i, batch * block) {
        long n = i / block, at = i - n * block;
        out[i] = at < aBlock ? a[n * aBlock + at] : b[n * bBlock + at - aBlock];
    }
}

extern "C" __global__ void pm_concat_channels_backward(const float* dOut, float* dA, float* dB, int batch,
                                                       long aBlock, long bBlock) {
    long block = aBlock + bBlock;
    GRID_STRIDE(i, batch * block) {
        long n = i / block, at = i - n * block;
        if (at < aBlock) {
            long to = n * aBlock + at;
            dA[to] = dA[to] + dOut[i];
        } else {
            long to = n * bBlock + at - aBlock;
            dB[to] = dB[to] + dOut[i];
        }
    }
}

// out[b, j, i] = x[b, i, j] for batch matrices of rows × cols. Block (32, 8) moves one 32×32 tile through shared
// memory, so that both the reads (along a row of x) and the writes (along a row of out) are coalesced; the row
// padding (33) puts the tile's column reads in 32 different banks. Grid (column tiles, row tiles, batch), with y
// and z capped at 65535 and looped over.
#define TRANSPOSE_TILE 32
#define TRANSPOSE_ROWS 8

extern "C" __global__ void pm_transpose(const float* x, float* out, int batch, int rows, int cols) {
    __shared__ float tile[TRANSPOSE_TILE][TRANSPOSE_TILE + 1];
    int rowTiles = (rows + TRANSPOSE_TILE - 1) / TRANSPOSE_TILE;
    long plane = (long)rows * cols;
    int col0 = blockIdx.x * TRANSPOSE_TILE;
    // The loop bounds depend on the block only, so every thread reaches the same __syncthreads.
    for (int b = blockIdx.z; b < batch; b += gridDim.z) {
        const float* in = x + b * plane;
        float* to = out + b * plane;
        for (int rowTile = blockIdx.y; rowTile < rowTiles; rowTile += gridDim.y) {
            int row0 = rowTile * TRANSPOSE_TILE;
            for (int k = threadIdx.y; k < TRANSPOSE_TILE; k += TRANSPOSE_ROWS) {
                int i = row0 + k, j = col0 + threadIdx.x;
                if (i < rows && j < cols) tile[k][threadIdx.x] = in[(long)i * cols + j];
            }
            __syncthreads();
            for (int k = threadIdx.y; k < TRANSPOSE_TILE; k += TRANSPOSE_ROWS) {
                int j = col0 + k, i = row0 + threadIdx.x;
                if (j < cols && i < rows) to[(long)j * rows + i] = tile[threadIdx.x][k];
            }
            __syncthreads();  // the tile is refilled by the next iteration
        }
    }
}

// out[p, s] = x[p, s] + bias[p] for planes (= N·C) of spatial values.
extern "C" __global__ void pm_add_channel_bias(const float* x, const float* bias, float* out, int planes,
                                               int spatial) {
    GRID_STRIDE(i, (long)planes * spatial) out[i] = x[i] + bias[i / spatial];
}

// dBias[p] += Σ_s dOut[p, s], summed in double: one block per plane (grid x = planes), a fixed-order block
// reduction, so the result is the same on every run (no atomics).
extern "C" __global__ void pm_add_channel_bias_backward(const float* dOut, float* dBias, int spatial) {
    __shared__ double scratch[32];
    const float* plane = dOut + (long)blockIdx.x * spatial;
    double sum = 0.0;
    for (int s = threadIdx.x; s < spatial; s += blockDim.x) sum += plane[s];
    sum = blockSumD(sum, scratch);
    if (threadIdx.x == 0) dBias[blockIdx.x] = (float)(dBias[blockIdx.x] + sum);
}

// Copies kNew and vNew, (heads, nq, d), into rows [cached, cached + nq) of the caches (heads, maxT, d).
extern "C" __global__ void pm_kv_append(const float* kNew, const float* vNew, float* kCache, float* vCache,
                                        int heads, int nq, int cached, int maxT, int d) {
    GRID_STRIDE(i, (long)heads * nq * d) {
        long h = i / ((long)nq * d);
        long rest = i - h * nq * d;
        long to = (h * maxT + cached) * d + rest;
        kCache[to] = kNew[i];
        vCache[to] = vNew[i];
    }
}

// ---------------------------------------------------------------- ScalarResample

// (top-left + bottom-left) + (top-right + bottom-right), the reference's order.
__device__ __forceinline__ float windowSum(const float* big, long p, int bigH, int bigW, int y, int x) {
    long top = (p * bigH + 2L * y) * bigW + 2L * x;
    long bottom = top + bigW;
    return (big[top] + big[bottom]) + (big[top + 1] + big[bottom + 1]);
}

// in [planes, h, w] → out [planes, 2h, 2w]
extern "C" __global__ void pm_upsample2x(const float* in, float* out, int planes, int h, int w) {
    long outW = 2L * w, outPlane = 4L * h * w;
    GRID_STRIDE(i, planes * outPlane) {
        long p = i / outPlane, rest = i - p * outPlane;
        long y = rest / outW, x = rest - y * outW;
        out[i] = in[(p * h + y / 2) * w + x / 2];
    }
}

// dIn [planes, h, w] += window sums of dOut [planes, 2h, 2w]
extern "C" __global__ void pm_upsample2x_backward(const float* dOut, float* dIn, int planes, int h, int w) {
    long plane = (long)h * w;
    GRID_STRIDE(i, planes * plane) {
        long p = i / plane, rest = i - p * plane;
        int y = (int)(rest / w), x = (int)(rest - (long)y * w);
        dIn[i] = dIn[i] + windowSum(dOut, p, 2 * h, 2 * w, y, x);
    }
}

// in [planes, bigH, bigW] → out [planes, bigH/2, bigW/2] (an odd last row or column is dropped)
extern "C" __global__ void pm_avgpool2x2(const float* in, float* out, int planes, int bigH, int bigW) {
    int h = bigH / 2, w = bigW / 2;
    long plane = (long)h * w;
    GRID_STRIDE(i, planes * plane) {
        long p = i / plane, rest = i - p * plane;
        int y = (int)(rest / w), x = (int)(rest - (long)y * w);
        out[i] = 0.25f * windowSum(in, p, bigH, bigW, y, x);
    }
}

// dIn [planes, bigH, bigW] += 0.25·dOut spread over each window (the dropped odd row/column gets nothing)
extern "C" __global__ void pm_avgpool2x2_backward(const float* dOut, float* dIn, int planes, int bigH, int bigW) {
    int h = bigH / 2, w = bigW / 2;
    long plane = (long)(2 * h) * (2 * w);
    GRID_STRIDE(i, planes * plane) {
        long p = i / plane, rest = i - p * plane;
        int y = (int)(rest / (2 * w)), x = (int)(rest - (long)y * (2 * w));
        long at = (p * bigH + y) * bigW + x;
        dIn[at] = dIn[at] + 0.25f * dOut[(p * h + y / 2) * w + x / 2];
    }
}

// ---------------------------------------------------------------- optim/UpdateKernels.adam

// Adam / AdamW on one parameter, the same arithmetic (and fma placement) as UpdateKernels.adam:
// g' = p·l2 + g (L2 form), p' = p·decay (decoupled form), m = β1·m + (1−β1)·g', v = β2·v + (1−β2)·g'²,
// p = p' − stepSize·m/(√v/√(1−β2^t) + eps), stepSize = lr/(1−β1^t).
extern "C" __global__ void pm_adam(float* p, const float* g, float* m, float* v, long n, float l2,
                                   float decayFactor, float beta1, float oneMinusBeta1, float beta2,
                                   float oneMinusBeta2, float stepSize, float sqrtBiasCorrection2, float eps) {
    GRID_STRIDE(i, n) {
        float pi = p[i];
        float gi = fmaf(pi, l2, g[i]);
        pi = pi * decayFactor;
        float mi = fmaf(m[i], beta1, gi * oneMinusBeta1);
        float vi = fmaf(v[i], beta2, gi * gi * oneMinusBeta2);
        m[i] = mi;
        v[i] = vi;
        float denominator = __fsqrt_rn(vi) / sqrtBiasCorrection2 + eps;
        p[i] = fmaf(__fdiv_rn(mi, denominator), -stepSize, pi);
    }
}
