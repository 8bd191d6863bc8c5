package dev.panamax.engine;

import dev.panamax.engine.kernel.GemmShape;

/**
 * The operations models need, implemented once per kind of hardware. Models talk only to {@code Backend} and
 * {@link Tensor}; they never see a vector register or a device pointer.
 *
 * <p>All offsets, strides and leading dimensions count floats from the start of the tensor. Arguments are checked
 * before any kernel runs: bad input throws {@link IllegalArgumentException} (or {@link IllegalStateException} for
 * a closed tensor) naming the operation, the argument and the shapes, and never produces a wrong result.
 */
public interface Backend {

    /** The name {@link Backends#select} knows it by: "scalar", "simd", ... */
    String name();

    /**
     * BLAS sgemm on row-major storage: {@code C = alpha·op(A)·op(B) + beta·C}, where op(A) is {@code m × k},
     * op(B) is {@code k × n} and C is {@code m × n}. With {@code beta == 0} C is write-only (it may hold NaN).
     * C must not overlap A or B.
     */
    void gemm(Transpose transA, Transpose transB, int m, int n, int k,
              float alpha, Tensor a, long aOffset, int lda,
              Tensor b, long bOffset, int ldb,
              float beta, Tensor c, long cOffset, int ldc);

    /**
     * {@code batch} independent GEMMs; matrix {@code i} of each operand starts {@code i·stride} floats after the
     * first (attention heads, batched convolution). A stride of 0 reuses one matrix for every batch entry.
     */
    void gemmStridedBatched(Transpose transA, Transpose transB, int m, int n, int k,
                            float alpha, Tensor a, long aOffset, int lda, long strideA,
                            Tensor b, long bOffset, int ldb, long strideB,
                            float beta, Tensor c, long cOffset, int ldc, long strideC, int batch);

    /** {@code c = op(a)·op(b)·alpha + beta·c} for 2-D tensors, with dimensions taken from the shapes. */
    default void gemm(Transpose transA, Transpose transB, float alpha, Tensor a, Tensor b, float beta, Tensor c) {
        int[] mnk = GemmShape.matrixDims("gemm", transA, transB, a, b, c);
        gemm(transA, transB, mnk[0], mnk[1], mnk[2], alpha, a, 0, a.dim(1), b, 0, b.dim(1), beta, c, 0, c.dim(1));
    }

    /** {@code c = a·b} for 2-D tensors: a is [m, k], b is [k, n], c is [m, n]. */
    default void matmul(Tensor a, Tensor b, Tensor c) {
        int[] mnk = GemmShape.matrixDims("matmul", Transpose.N, Transpose.N, a, b, c);
        gemm(Transpose.N, Transpose.N, mnk[0], mnk[1], mnk[2], 1f, a, 0, a.dim(1), b, 0, b.dim(1), 0f, c, 0, c.dim(1));
    }

    // ------------------------------------------------------------------ convolution (NCHW)
    // The forward writes its output; backward methods ACCUMULATE into their gradient tensors (dX += ...), so a
    // value used twice receives both contributions; callers zero gradients before a step. Shapes:
    //   input [n, c, h, w], weight [o, c, kh, kw], bias [o], output [n, o, oh, ow],
    //   oh = (h + 2·padding − kh) / stride + 1, ow likewise; taps outside the input read zero.

    /** {@code output = conv2d(input, weight) + bias}; {@code bias} may be null. */
    void conv2d(Tensor input, Tensor weight, Tensor bias, Tensor output, int stride, int padding);

    /**
     * {@code dInput += ∂output/∂input · dOutput}, the gradient of {@link #conv2d} with respect to its input
     * (dInput has the input's shape, which fixes h and w when the stride is above 1).
     */
    void conv2dBackwardInput(Tensor dOutput, Tensor weight, Tensor dInput, int stride, int padding);

    /**
     * {@code dWeight += ∂output/∂weight · dOutput} and, when {@code dBias} is not null,
     * {@code dBias[o] += Σ_{n, y, x} dOutput[n, o, y, x]}.
     */
    void conv2dBackwardWeight(Tensor input, Tensor dOutput, Tensor dWeight, Tensor dBias, int stride, int padding);

    /** Nearest-neighbour 2× upsampling: input [n, c, h, w], output [n, c, 2h, 2w]. */
    void upsampleNearest2x(Tensor input, Tensor output);

    /** {@code dInput[y, x] += Σ} of the 2×2 block of dOutput it was copied to. */
    void upsampleNearest2xBackward(Tensor dOutput, Tensor dInput);

    /**
     * 2×2 average pooling with stride 2: input [n, c, h, w], output [n, c, h/2, w/2] (an odd last row or column
     * is dropped, as in PyTorch's {@code AvgPool2d(2)}).
     */
    void avgPool2x2(Tensor input, Tensor output);

    /** {@code dInput += 0.25·dOutput} spread over each 2×2 window. */
    void avgPool2x2Backward(Tensor dOutput, Tensor dInput);
}
