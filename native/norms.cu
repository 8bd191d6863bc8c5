// LayerNorm, RMSNorm and GroupNorm, forward and backward, matching ScalarNorms: statistics are accumulated in
// double (as the reference does), one thread block per row or per (image, group). Parameter gradients are column
// reductions in a separate kernel, in a fixed order (no atomics), so results are the same on every run.
#include "common.cuh"

// x [rows, cols]: out = (x − μ)·rstd·gamma + beta; mean and rstd get one value per row. One block per row.
extern "C" __global__ void pm_layernorm(const float* x, const float* gamma, const float* beta, float* out,
                                        float* mean, float* rstd, int rows, int cols, float eps) {
    __shared__ double scratch[32];
    long row = (long)blockIdx.x * cols;
    double sum = 0.0;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) sum += x[row + c];
    double m = blockSumD(sum, scratch) / cols;
    double var = 0.0;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) {
        double d = x[row + c] - m;
        var += d * d;
    }
    double s = 1.0 / sqrt(blockSumD(var, scratch) / cols + eps);
    for (int c = threadIdx.x; c < cols; c += blockDim.x) {
        double norm = (x[row + c] - m) * s;
        out[row + c] = (float)(norm * gamma[c] + beta[c]);
    }
    if (threadIdx.x == 0) {
        mean[blockIdx.x] = (float)m;
        rstd[blockIdx.x] = (float)s;
    }
}

// dX += (dNorm − mean(dNorm) − norm·mean(dNorm·norm))·rstd with dNorm = gamma·dOut. One block per row.
// mean == nullptr means RMSNorm (norm = x·rstd, no mean(dNorm) term).
extern "C" __global__ void pm_norm_backward_input(const float* x, const float* gamma, const float* mean,
                                                  const float* rstd, const float* dOut, float* dX, int rows,
                                                  int cols) {
    __shared__ double scratch[32];
    long row = (long)blockIdx.x * cols;
    double m = mean ? (double)mean[blockIdx.x] : 0.0;
    double s = rstd[blockIdx.x];
    double dNormSum = 0.0, dNormNormSum = 0.0;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) {
        double norm = (x[row + c] - m) * s;
        double dNorm = (double)gamma[c] * dOut[row + c];
        dNormSum += dNorm;
        dNormNormSum += dNorm * norm;
    }
    double dNormMean = mean ? blockSumD(dNormSum, scratch) / cols : 0.0;
    double dNormNormMean = blockSumD(dNormNormSum, scratch) / cols;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) {
        double norm = (x[row + c] - m) * s;
        double dNorm = (double)gamma[c] * dOut[row + c];
        dX[row + c] = (float)(dX[row + c] + (dNorm - dNormMean - norm * dNormNormMean) * s);
    }
}

// dGamma[c] += Σ_r norm[r, c]·dOut[r, c] and, when dBeta is not null, dBeta[c] += Σ_r dOut[r, c].
// Block (32, 16): 32 columns, 16 row phases combined in a fixed order. mean == nullptr means RMSNorm.
extern "C" __global__ void pm_norm_backward_params(const float* x, const float* mean, const float* rstd,
                                                   const float* dOut, float* dGamma, float* dBeta, int rows,
                                                   int cols) {
    __shared__ double gammaPart[16][33];
    __shared__ double betaPart[16][33];
    int c = blockIdx.x * 32 + threadIdx.x;
    double g = 0.0, b = 0.0;
    if (c < cols) {
        for (int r = threadIdx.y; r < rows; r += 16) {
            double m = mean ? (double)mean[r] : 0.0;
            double go = dOut[(long)r * cols + c];
            g += (x[(long)r * cols + c] - m) * (double)rstd[r] * go;
            b += go;
        }
    }
    gammaPart[threadIdx.y][threadIdx.x] = g;
    betaPart[threadIdx.y][threadIdx.x] = b;
    __syncthreads();
    if (threadIdx.y == 0 && c < cols) {
        double gs = 0.0, bs = 0.0;
        for (int p = 0; p < 16; p++) {
            gs += gammaPart[p][threadIdx.x];
            bs += betaPart[p][threadIdx.x];
        }
        dGamma[c] = (float)(dGamma[c] + gs);
        if (dBeta) dBeta[c] = (float)(dBeta[c] + bs);
    }
}

// RMSNorm: out = x·rstd·gamma with rstd = 1/√(mean(x²) + eps). One block per row.
extern "C" __global__ void pm_rmsnorm(const float* x, const float* gamma, float* out, float* rstd, int rows,
                                      int cols, float eps) {
    __shared__ double scratch[32];
    long row = (long)blockIdx.x * cols;
    double ms = 0.0;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) {
        double v = x[row + c];
        ms += v * v;
    }
    double s = 1.0 / sqrt(blockSumD(ms, scratch) / cols + eps);
    for (int c = threadIdx.x; c < cols; c += blockDim.x) out[row + c] = (float)(x[row + c] * s * gamma[c]);
    if (threadIdx.x == 0) rstd[blockIdx.x] = (float)s;
}

// GroupNorm of x [batch, channels, spatial]: one block per (image, group), whose perGroup·spatial values are
// contiguous. mean and rstd are [batch, groups].
extern "C" __global__ void pm_groupnorm(const float* x, const float* gamma, const float* beta, float* out,
                                        float* mean, float* rstd, int batch, int channels, int spatial, int groups,
                                        float eps) {
    __shared__ double scratch[32];
    int n = blockIdx.x / groups, g = blockIdx.x % groups;
    int perGroup = channels / groups;
    long size = (long)perGroup * spatial;
    long start = ((long)n * channels + (long)g * perGroup) * spatial;
    double sum = 0.0;
    for (long i = threadIdx.x; i < size; i += blockDim.x) sum += x[start + i];
    double m = blockSumD(sum, scratch) / size;
    double var = 0.0;
    for (long i = threadIdx.x; i < size; i += blockDim.x) {
        double d = x[start + i] - m;
        var += d * d;
    }
    double s = 1.0 / sqrt(blockSumD(var, scratch) / size + eps);
    for (long i = threadIdx.x; i < size; i += blockDim.x) {
        int channel = g * perGroup + (int)(i / spatial);
        out[start + i] = (float)((x[start + i] - m) * s * gamma[channel] + beta[channel]);
    }
    if (threadIdx.x == 0) {
        mean[blockIdx.x] = (float)m;
        rstd[blockIdx.x] = (float)s;
    }
}

// GroupNorm dX, one block per (image, group): dX += (dNorm − mean(dNorm) − norm·mean(dNorm·norm))·rstd.
extern "C" __global__ void pm_groupnorm_backward_input(const float* x, const float* gamma, const float* mean,
                                                       const float* rstd, const float* dOut, float* dX, int batch,
                                                       int channels, int spatial, int groups) {
    __shared__ double scratch[32];
    int g = blockIdx.x % groups;
    int perGroup = channels / groups;
    long size = (long)perGroup * spatial;
    long start = ((long)(blockIdx.x / groups) * channels + (long)g * perGroup) * spatial;
    double m = mean[blockIdx.x], s = rstd[blockIdx.x];
    double dNormSum = 0.0, dNormNormSum = 0.0;
    for (long i = threadIdx.x; i < size; i += blockDim.x) {
        double gain = gamma[g * perGroup + (int)(i / spatial)];
        double dNorm = gain * dOut[start + i];
        dNormSum += dNorm;
        dNormNormSum += dNorm * (x[start + i] - m) * s;
    }
    double dNormMean = blockSumD(dNormSum, scratch) / size;
    double dNormNormMean = blockSumD(dNormNormSum, scratch) / size;
    for (long i = threadIdx.x; i < size; i += blockDim.x) {
        double gain = gamma[g * perGroup + (int)(i / spatial)];
        double norm = (x[start + i] - m) * s;
        double dNorm = gain * dOut[start + i];
        dX[start + i] = (float)(dX[start + i] + (dNorm - dNormMean - norm * dNormNormMean) * s);
    }
}

// GroupNorm dGamma[ch] += Σ_{n, i} dOut·norm and dBeta[ch] += Σ_{n, i} dOut: one block per channel.
extern "C" __global__ void pm_groupnorm_backward_params(const float* x, const float* mean, const float* rstd,
                                                        const float* dOut, float* dGamma, float* dBeta, int batch,
                                                        int channels, int spatial, int groups) {
    __shared__ double scratch[32];
    int ch = blockIdx.x;
    int g = ch / (channels / groups);
    double gs = 0.0, bs = 0.0;
    for (int n = 0; n < batch; n++) {
        long base = ((long)n * channels + ch) * spatial;
        double m = mean[n * groups + g], s = rstd[n * groups + g];
        for (int i = threadIdx.x; i < spatial; i += blockDim.x) {
            double go = dOut[base + i];
            gs += go * (x[base + i] - m) * s;
            bs += go;
        }
    }
    gs = blockSumD(gs, scratch);
    bs = blockSumD(bs, scratch);
    if (threadIdx.x == 0) {
        dGamma[ch] = (float)(dGamma[ch] + gs);
        dBeta[ch] = (float)(dBeta[ch] + bs);
    }
}
