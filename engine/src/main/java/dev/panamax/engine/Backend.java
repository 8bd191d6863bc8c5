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
}
