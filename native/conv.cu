// 2-D convolution (NCHW, weight [o, c, kh, kw], square stride, zero padding) as implicit GEMM, matching
// ScalarConv2d. No column matrix is stored: the tile loaders compute the input address of each (tap, pixel)
// pair and read zero for taps in the padding.
//
//   forward          y[o, (n, pixel)]    = Σ_{(c,a,b)}   w[o, (c,a,b)] · x[n, c, oy·s − p + a, ox·s − p + b] + bias[o]
//   backward input   dx[c, (n, iy, ix)] += Σ_{(o,a,b)}   w[o, c, a, b] · dy[n, o, (iy + p − a)/s, (ix + p − b)/s]
//                                          (only where the division is exact and lands inside dy)
//   backward weight  dw[o, (c,a,b)]     += Σ_{(n,pixel)} dy[n, o, pixel] · x[n, c, oy·s − p + a, ox·s − p + b]
//
// One generic tiled GEMM (64×64 tile, K step 16, 256 threads, 4×4 per thread at rows ty + 16i, columns
// tx + 16j) with a loader per mode. The weight gradient reduces over n·oh·ow, usually long with few output tiles,
// so that reduction is split over blockIdx.z into partial sums that a second kernel adds in a fixed order.
#include "common.cuh"

#define TM 64
#define TN 64
#define TK 16

struct ConvDims {
    int n, c, h, w, o, kh, kw, stride, padding, oh, ow;
};

enum Mode { FORWARD = 0, BACKWARD_INPUT = 1, BACKWARD_WEIGHT = 2 };

// x[img, c, oy·s − p + a, ox·s − p + b] for tap kk = (c, a, b) and output pixel (img, pix); zero in the padding.
__device__ __forceinline__ float inputTap(const float* x, const ConvDims& s, int kk, int img, int pix) {
    int taps = s.kh * s.kw;
    int c = kk / taps, ab = kk - c * taps;
    int a = ab / s.kw, b = ab - a * s.kw;
    int oy = pix / s.ow, ox = pix - oy * s.ow;
    int iy = oy * s.stride - s.padding + a, ix = ox * s.stride - s.padding + b;
    if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w) return 0.f;
    return x[(((long)img * s.c + c) * s.h + iy) * s.w + ix];
}

template <int MODE>
__device__ __forceinline__ float loadA(const float* a, const ConvDims& s, int row, int kk) {
    if (MODE == FORWARD) {  // w[o, kk]
        return a[(long)row * (s.c * s.kh * s.kw) + kk];
    } else if (MODE == BACKWARD_INPUT) {  // w[o, c, a, b] with row = c, kk = (o, a, b)
        int taps = s.kh * s.kw;
        int o = kk / taps, ab = kk - o * taps;
        return a[((long)o * s.c + row) * taps + ab];
    } else {  // dy[img, o, pix] with row = o, kk = (img, pix)
        int pixels = s.oh * s.ow;
        int img = kk / pixels, pix = kk - img * pixels;
        return a[((long)img * s.o + row) * pixels + pix];
    }
}

template <int MODE>
__device__ __forceinline__ float loadB(const float* bsrc, const ConvDims& s, int kk, int col) {
    if (MODE == FORWARD) {  // x tap kk for output pixel col = (img, pix)
        int pixels = s.oh * s.ow;
        int img = col / pixels;
        return inputTap(bsrc, s, kk, img, col - img * pixels);
    } else if (MODE == BACKWARD_INPUT) {  // dy[img, o, oy, ox] feeding input pixel col = (img, iy, ix) via tap kk
        int taps = s.kh * s.kw;
        int o = kk / taps, ab = kk - o * taps;
        int a = ab / s.kw, b = ab - a * s.kw;
        int plane = s.h * s.w;
        int img = col / plane, rest = col - img * plane;
        int iy = rest / s.w, ix = rest - iy * s.w;
        int ty = iy + s.padding - a, tx = ix + s.padding - b;
        if (ty < 0 || tx < 0 || ty % s.stride != 0 || tx % s.stride != 0) return 0.f;
        int oy = ty / s.stride, ox = tx / s.stride;
        if (oy >= s.oh || ox >= s.ow) return 0.f;
        return bsrc[(((long)img * s.o + o) * s.oh + oy) * s.ow + ox];
    } else {  // x tap col = (c, a, b) for output pixel kk = (img, pix)
        int pixels = s.oh * s.ow;
        int img = kk / pixels;
        return inputTap(bsrc, s, col, img, kk - img * pixels);
    }
}

// C[m × n] (+)= A[m × k]·B[k × n] over the reduction range [kBegin, kEnd).
template <int MODE>
__device__ void convGemm(const float* a, const float* b, const float* bias, float* out, ConvDims s, int m, int n,
                         int kBegin, int kEnd) {
    __shared__ float As[TK][TM + 4];
    __shared__ float Bs[TK][TN + 4];
    const int t = threadIdx.x, tx = t & 15, ty = t >> 4;
    const int row0 = blockIdx.y * TM, col0 = blockIdx.x * TN;
    float acc[4][4];
#pragma unroll
    for (int i = 0; i < 4; i++)
#pragma unroll
        for (int j = 0; j < 4; j++) acc[i][j] = 0.f;

    for (int k0 = kBegin; k0 < kEnd; k0 += TK) {
        // A tile: consecutive threads walk k (contiguous for the weight and for dy).
#pragma unroll
        for (int q = 0; q < 4; q++) {
            int e = t + 256 * q;
            int p = e % TK, r = e / TK;
            int row = row0 + r, kk = k0 + p;
            As[p][r] = (row < m && kk < kEnd) ? loadA<MODE>(a, s, row, kk) : 0.f;
        }
        // B tile: consecutive threads walk output pixels (forward, input gradient) or the reduction (weight grad).
#pragma unroll
        for (int q = 0; q < 4; q++) {
            int e = t + 256 * q;
            int p = MODE == BACKWARD_WEIGHT ? e % TK : e / TN;
            int cl = MODE == BACKWARD_WEIGHT ? e / TK : e % TN;
            int col = col0 + cl, kk = k0 + p;
            Bs[p][cl] = (col < n && kk < kEnd) ? loadB<MODE>(b, s, kk, col) : 0.f;
        }
        __syncthreads();
#pragma unroll
        for (int p = 0; p < TK; p++) {
            float av[4], bv[4];
#pragma unroll
            for (int i = 0; i < 4; i++) av[i] = As[p][ty + 16 * i];
#pragma unroll
            for (int j = 0; j < 4; j++) bv[j] = Bs[p][tx + 16 * j];
#pragma unroll
            for (int i = 0; i < 4; i++)
#pragma unroll
                for (int j = 0; j < 4; j++) acc[i][j] = fmaf(av[i], bv[j], acc[i][j]);
        }
        __syncthreads();
    }

#pragma unroll
    for (int i = 0; i < 4; i++) {
        int row = row0 + ty + 16 * i;
        if (row >= m) continue;
#pragma unroll
        for (int j = 0; j < 4; j++) {
            int col = col0 + tx + 16 * j;
            if (col >= n) continue;
            if (MODE == FORWARD) {  // y[img, o, pix] = acc + bias[o]
                int pixels = s.oh * s.ow;
                int img = col / pixels;
                long at = ((long)img * s.o + row) * pixels + (col - img * pixels);
                out[at] = acc[i][j] + (bias != nullptr ? bias[row] : 0.f);
            } else if (MODE == BACKWARD_INPUT) {  // dx[img, c, pixel] += acc
                int plane = s.h * s.w;
                int img = col / plane;
                long at = ((long)img * s.c + row) * plane + (col - img * plane);
                out[at] = out[at] + acc[i][j];
            } else {  // partial[z][o, (c,a,b)] = acc
                out[(long)blockIdx.z * m * n + (long)row * n + col] = acc[i][j];
            }
        }
    }
}

// grid (ceil(n·oh·ow / 64), ceil(o / 64)); bias may be null.
extern "C" __global__ void __launch_bounds__(256) pm_conv2d_forward(const float* x, const float* w,
                                                                    const float* bias, float* y, ConvDims s) {
    convGemm<FORWARD>(w, x, bias, y, s, s.o, s.n * s.oh * s.ow, 0, s.c * s.kh * s.kw);
}

// grid (ceil(n·h·w / 64), ceil(c / 64)); dx += ...
extern "C" __global__ void __launch_bounds__(256) pm_conv2d_backward_input(const float* dy, const float* w,
                                                                           float* dx, ConvDims s) {
    convGemm<BACKWARD_INPUT>(w, dy, nullptr, dx, s, s.c, s.n * s.h * s.w, 0, s.o * s.kh * s.kw);
}

// grid (ceil(c·kh·kw / 64), ceil(o / 64), splits); split z covers reduction range [z·chunk, (z+1)·chunk) of
// n·oh·ow (chunk a multiple of 16) and writes partial[z][o, c·kh·kw].
extern "C" __global__ void __launch_bounds__(256) pm_conv2d_backward_weight(const float* x, const float* dy,
                                                                            float* partial, ConvDims s, int chunk) {
    int total = s.n * s.oh * s.ow;
    int begin = blockIdx.z * chunk;
    int end = min(total, begin + chunk);
    convGemm<BACKWARD_WEIGHT>(dy, x, nullptr, partial, s, s.o, s.c * s.kh * s.kw, begin, end);
}

// dw[i] += Σ_z partial[z][i], z ascending.
extern "C" __global__ void pm_conv2d_reduce_splits(const float* partial, int splits, long size, float* dw) {
    GRID_STRIDE(i, size) {
        float sum = 0.f;
        for (int z = 0; z < splits; z++) sum += partial[(long)z * size + i];
        dw[i] = dw[i] + sum;
    }
}

// dBias[o] += Σ_{img, pixel} dy[img, o, pixel]: one block per output channel.
extern "C" __global__ void pm_conv2d_bias_grad(const float* dy, float* dBias, int n, int o, int pixels) {
    __shared__ double scratch[32];
    double sum = 0.0;
    for (int img = 0; img < n; img++) {
        const float* plane = dy + ((long)img * o + blockIdx.x) * pixels;
        for (int p = threadIdx.x; p < pixels; p += blockDim.x) sum += plane[p];
    }
    sum = blockSumD(sum, scratch);
    if (threadIdx.x == 0) dBias[blockIdx.x] = (float)(dBias[blockIdx.x] + sum);
}
