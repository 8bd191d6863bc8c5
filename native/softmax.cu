// Softmax, log-softmax and cross-entropy over the last dimension, matching ScalarSoftmax: one block per row, the
// max in float, sums in double.
#include "common.cuh"

// log == 0: out = softmax(x); log == 1: out = log-softmax(x).
extern "C" __global__ void pm_softmax(const float* x, float* out, int rows, int cols, int log) {
    __shared__ float maxScratch[32];
    __shared__ double scratch[32];
    long row = (long)blockIdx.x * cols;
    float max = -INFINITY;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) max = fmaxf(max, x[row + c]);
    max = blockMax(max, maxScratch);
    double sum = 0.0;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) sum += exp((double)x[row + c] - max);
    sum = blockSumD(sum, scratch);
    if (log) {
        double logSum = ::log(sum);
        for (int c = threadIdx.x; c < cols; c += blockDim.x) out[row + c] = (float)(x[row + c] - (double)max - logSum);
    } else {
        for (int c = threadIdx.x; c < cols; c += blockDim.x) out[row + c] = (float)(exp((double)x[row + c] - max) / sum);
    }
}

// From the forward output y: softmax dX += y·(dOut − Σ dOut·y); log-softmax dX += dOut − exp(y)·Σ dOut.
extern "C" __global__ void pm_softmax_backward(const float* y, const float* dOut, float* dX, int rows, int cols,
                                               int log) {
    __shared__ double scratch[32];
    long row = (long)blockIdx.x * cols;
    double acc = 0.0;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) {
        acc += log ? (double)dOut[row + c] : (double)dOut[row + c] * y[row + c];
    }
    acc = blockSumD(acc, scratch);
    for (int c = threadIdx.x; c < cols; c += blockDim.x) {
        double g = log ? dOut[row + c] - exp((double)y[row + c]) * acc : y[row + c] * (dOut[row + c] - acc);
        dX[row + c] = (float)(dX[row + c] + g);
    }
}

// probs = softmax(logits); rowLoss[r] = log Σ exp(logits − max) + max − logits[target] (0 for ignored rows).
// The host adds the counted rows' losses in order and divides by their number.
extern "C" __global__ void pm_cross_entropy(const float* logits, const int* targets, int ignoreIndex,
                                            float* probs, double* rowLoss, int rows, int cols) {
    __shared__ float maxScratch[32];
    __shared__ double scratch[32];
    long row = (long)blockIdx.x * cols;
    float max = -INFINITY;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) max = fmaxf(max, logits[row + c]);
    max = blockMax(max, maxScratch);
    double sum = 0.0;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) sum += exp((double)logits[row + c] - max);
    sum = blockSumD(sum, scratch);
    for (int c = threadIdx.x; c < cols; c += blockDim.x) {
        probs[row + c] = (float)(exp((double)logits[row + c] - max) / sum);
    }
    if (threadIdx.x == 0) {
        int t = targets[blockIdx.x];
        rowLoss[blockIdx.x] = t == ignoreIndex ? 0.0 : ::log(sum) + (double)max - (double)logits[row + t];
    }
}

// dLogits += scale·(probs − onehot(target)) on rows whose target is not ignoreIndex; scale = dLoss/count.
extern "C" __global__ void pm_cross_entropy_backward(const float* probs, const int* targets, int ignoreIndex,
                                                     float scale, float* dLogits, int rows, int cols) {
    GRID_STRIDE(i, (long)rows * cols) {
        long r = i / cols;
        int c = (int)(i - r * cols);
        int t = targets[r];
        if (t != ignoreIndex) {
            float g = probs[i] - (c == t ? 1.f : 0.f);
            dLogits[i] = dLogits[i] + scale * g;
        }
    }
}
