package dev.panamax.engine;

import dev.panamax.engine.kernel.AttentionShape;
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

    // ---------------------------------------------------------------- attention

    /**
     * Fused scaled-dot-product attention (FlashAttention: the T×T score matrix is never stored).
     *
     * <p>Layout: q and out are {@code (batch, heads, T_q, head_dim)}, k and v {@code (batch, heads, T_k,
     * head_dim)}, all row-major; lse, when not null, receives {@code (batch, heads, T_q)}. Each query row i gets
     * {@code out_i = Σ_j softmax_j(scale·q_i·k_j)·v_j} and {@code lse_i = log Σ_j exp(scale·q_i·k_j)} over the
     * keys it sees: all of them, or with {@code causal} those at positions {@code j ≤ T_k − T_q + i} (the
     * queries are the last T_q positions; for self-attention T_q = T_k and this is the lower triangle). The
     * backward pass needs lse.
     *
     * @param scale a finite number &gt; 0, usually {@code 1/√head_dim}
     */
    void attention(Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, boolean causal, float scale);

    /** {@link #attention(Tensor, Tensor, Tensor, Tensor, Tensor, boolean, float)} with scale {@code 1/√head_dim}. */
    default void attention(Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, boolean causal) {
        attention(q, k, v, out, lse, causal, AttentionShape.defaultScale("attention", q));
    }

    /**
     * The gradients of {@link #attention}: given its inputs, its out and lse, and {@code dOut} = ∂L/∂out, writes
     * dQ (shaped like q), dK and dV (like k and v). They are overwritten, not accumulated. Probabilities are
     * recomputed from q, k and lse (FlashAttention-2), so nothing else from the forward pass is needed.
     */
    void attentionBackward(Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, Tensor dOut,
                           Tensor dQ, Tensor dK, Tensor dV, boolean causal, float scale);

    /**
     * One generation step with a KV cache. {@code kCache} and {@code vCache} are preallocated
     * {@code (batch, heads, maxT, head_dim)} buffers whose first {@code cached} positions are filled. The new
     * keys and values ({@code kNew}, {@code vNew}: {@code (batch, heads, T_new, head_dim)}, like q) are written
     * into positions {@code [cached, cached + T_new)} of the caches, in place (nothing is copied elsewhere), and
     * the T_new queries attend to all {@code cached + T_new} positions; with {@code causal}, query i sits at
     * position {@code cached + i}. Writes out (like q). The caller advances {@code cached} by T_new.
     */
    void attentionDecode(Tensor q, Tensor kNew, Tensor vNew, Tensor kCache, Tensor vCache, int cached,
                         Tensor out, boolean causal, float scale);
}
