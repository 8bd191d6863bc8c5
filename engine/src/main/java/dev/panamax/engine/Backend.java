package dev.panamax.engine;

import dev.panamax.engine.kernel.AttentionShape;
import dev.panamax.engine.kernel.GemmShape;
import dev.panamax.engine.parallel.WorkerPool;

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
     * The pool this backend's CPU kernels run on, for host work that goes with them (an optimizer's update, see
     * {@code StatefulOptimizer.setWorkerPool}); null when it runs everything on the calling thread.
     */
    default WorkerPool workerPool() {
        return null;
    }

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

    /**
     * BLAS ssyrk with the lower triangle: {@code C = alpha·op(A)·op(A)ᵀ + beta·C} for {@code i >= j}, where op(A)
     * is {@code n × k} ({@code trans == T}: A is stored {@code k × n}, and C is the Gram matrix {@code AᵀA} of its
     * columns). Only the lower triangle is defined on return: entries above the diagonal are left as they were or
     * overwritten, depending on the backend, so callers read {@code C[i][j]} with {@code i >= j} only. Half the
     * multiply-adds of the equivalent {@link #gemm}, which is what this default runs (its lower triangle is the
     * same result).
     */
    default void syrk(Transpose trans, int n, int k, float alpha, Tensor a, long aOffset, int lda,
                      float beta, Tensor c, long cOffset, int ldc) {
        Transpose other = trans == Transpose.N ? Transpose.T : Transpose.N;
        gemm(trans, other, n, n, k, alpha, a, aOffset, lda, a, aOffset, lda, beta, c, cOffset, ldc);
    }

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

    // ------------------------------------------------------------------ elementwise
    // Outputs may alias inputs. Backward methods ACCUMULATE into their gradient tensors (dX += ...), so a value
    // used twice receives both contributions; callers zero gradients before a step.

    /** out = a + b (same shapes). */
    void add(Tensor a, Tensor b, Tensor out);

    /** out = a − b (same shapes). */
    void sub(Tensor a, Tensor b, Tensor out);

    /** out = a ∘ b (same shapes). */
    void mul(Tensor a, Tensor b, Tensor out);

    /** out = s·a. */
    void scale(Tensor a, float s, Tensor out);

    /** y += alpha·x (same shapes): gradient accumulation. */
    void axpy(float alpha, Tensor x, Tensor y);

    /** out[.., c] = x[.., c] + bias[c]: bias has the size of x's last dimension. */
    void addBias(Tensor x, Tensor bias, Tensor out);

    /** dBias[c] += Σ over all rows of dOut[.., c]: the backward of {@link #addBias} for the bias. */
    void addBiasBackward(Tensor dOut, Tensor dBias);

    /** Σ x, accumulated in double. */
    double sum(Tensor x);

    /** The mean of x, accumulated in double. */
    default double mean(Tensor x) {
        return sum(x) / x.size();
    }

    // ------------------------------------------------------------------ activations

    /** GELU, GPT-2's tanh approximation. */
    void gelu(Tensor x, Tensor out);

    /** dX += dOut · GELU'(x). */
    void geluBackward(Tensor x, Tensor dOut, Tensor dX);

    /** SiLU: x·sigmoid(x). */
    void silu(Tensor x, Tensor out);

    /** dX += dOut · SiLU'(x). */
    void siluBackward(Tensor x, Tensor dOut, Tensor dX);

    /** ReLU: max(0, x). */
    void relu(Tensor x, Tensor out);

    /** dX += dOut where x > 0. */
    void reluBackward(Tensor x, Tensor dOut, Tensor dX);

    // ------------------------------------------------------------------ normalizations

    /**
     * LayerNorm over the last dimension C: out = (x − μ)/√(σ² + eps)·gamma + beta. gamma, beta are [C]; mean and
     * rstd receive one value per row (size = x.size()/C) for the backward.
     */
    void layerNorm(Tensor x, Tensor gamma, Tensor beta, Tensor out, Tensor mean, Tensor rstd, float eps);

    /** Accumulates the LayerNorm gradients into dX, dGamma and dBeta. */
    void layerNormBackward(Tensor x, Tensor gamma, Tensor mean, Tensor rstd, Tensor dOut, Tensor dX, Tensor dGamma,
                           Tensor dBeta);

    /** RMSNorm over the last dimension: out = x/√(mean(x²) + eps)·gamma; rstd receives one value per row. */
    void rmsNorm(Tensor x, Tensor gamma, Tensor out, Tensor rstd, float eps);

    /** Accumulates the RMSNorm gradients into dX and dGamma. */
    void rmsNormBackward(Tensor x, Tensor gamma, Tensor rstd, Tensor dOut, Tensor dX, Tensor dGamma);

    /**
     * GroupNorm of x [N, C, ...] with {@code groups} groups of C/groups channels; gamma and beta are [C]; mean
     * and rstd receive N·groups values.
     */
    void groupNorm(Tensor x, int groups, Tensor gamma, Tensor beta, Tensor out, Tensor mean, Tensor rstd, float eps);

    /** Accumulates the GroupNorm gradients into dX, dGamma and dBeta. */
    void groupNormBackward(Tensor x, int groups, Tensor gamma, Tensor mean, Tensor rstd, Tensor dOut, Tensor dX,
                           Tensor dGamma, Tensor dBeta);

    /**
     * SiLU(GroupNorm(x)) in one pass over x: out = y·sigmoid(y) with y = GroupNorm(x) (as {@link #groupNorm},
     * whose mean and rstd it stores). y itself is not stored: the backward recomputes it from x, mean and rstd.
     */
    void groupNormSilu(Tensor x, int groups, Tensor gamma, Tensor beta, Tensor out, Tensor mean, Tensor rstd,
                       float eps);

    /**
     * Accumulates the gradients of {@link #groupNormSilu} into dX, dGamma and dBeta, given its inputs (eps
     * included: a backend without a fused kernel recomputes GroupNorm's output with it) and the mean and rstd it
     * stored.
     */
    void groupNormSiluBackward(Tensor x, int groups, Tensor gamma, Tensor beta, Tensor mean, Tensor rstd, float eps,
                               Tensor dOut, Tensor dX, Tensor dGamma, Tensor dBeta);

    // ------------------------------------------------------------------ softmax and losses

    /** Softmax over the last dimension (max-subtracted). */
    void softmax(Tensor x, Tensor out);

    /** From the softmax output y: dX += y ∘ (dOut − Σ dOut·y). */
    void softmaxBackward(Tensor y, Tensor dOut, Tensor dX);

    /** Log-softmax over the last dimension. */
    void logSoftmax(Tensor x, Tensor out);

    /** From the log-softmax output y: dX += dOut − exp(y)·Σ dOut. */
    void logSoftmaxBackward(Tensor y, Tensor dOut, Tensor dX);

    /**
     * Cross-entropy of softmax(logits) against one integer target per row (logits [rows, classes]), averaged
     * over rows whose target is not {@code ignoreIndex}. Writes the probabilities to {@code probs} for the
     * backward and returns the mean loss (0 if every row is ignored).
     */
    double crossEntropy(Tensor logits, int[] targets, int ignoreIndex, Tensor probs);

    /** dLogits += dLoss/count · (probs − onehot(target)) on the counted rows. */
    void crossEntropyBackward(Tensor probs, int[] targets, int ignoreIndex, float dLoss, Tensor dLogits);

    /** mean((pred − target)²). */
    double mse(Tensor pred, Tensor target);

    /** dPred += dLoss·2(pred − target)/n. */
    void mseBackward(Tensor pred, Tensor target, float dLoss, Tensor dPred);

    // ------------------------------------------------------------------ data movement

    /** out[r, :] = table[ids[r], :]; table is [vocab, width], out is [ids.length, width] (or any shape of that size). */
    void embedding(Tensor table, int[] ids, Tensor out);

    /** dTable[ids[r], :] += dOut[r, :] (scatter-add, rows in order). */
    void embeddingBackward(int[] ids, Tensor dOut, Tensor dTable);

    /** out = [a, b] along dimension 1 (channels): a [N, Ca, ...], b [N, Cb, ...], out [N, Ca + Cb, ...]. */
    void concatChannels(Tensor a, Tensor b, Tensor out);

    /** dA += dOut[:, :Ca], dB += dOut[:, Ca:]. */
    void concatChannelsBackward(Tensor dOut, Tensor dA, Tensor dB);

    /**
     * Swaps the last two dimensions: x [..., m, n] → out [..., n, m] (a batch of matrix transposes), e.g. an image
     * [N, C, H·W] into the tokens [N, H·W, C] that attention reads.
     */
    void transpose(Tensor x, Tensor out);

    /**
     * out[n, c, ...] = x[n, c, ...] + bias[n, c]: a per-sample, per-channel offset broadcast over the spatial
     * positions (a U-Net adds its time embedding this way). x and out [N, C, ...], bias [N, C].
     */
    void addChannelBias(Tensor x, Tensor bias, Tensor out);

    /** dBias[n, c] += Σ over the spatial positions of dOut[n, c, ...]. */
    void addChannelBiasBackward(Tensor dOut, Tensor dBias);

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

    // ------------------------------------------------------------------ least squares in double, on heap rows
    // The two streaming passes of a closed-form least-squares fit: they read the caller's double[][] rows, which
    // float32 tensors cannot hold without losing the digits the fit needs.

    /**
     * The normal equations' pass over rows {@code [from, to)} of {@code x} (each row of length
     * {@code d = sum.length}) and of {@code y}, in double: with {@code v = x[i] − center[0..d)} and
     * {@code t = y[i] − center[d]} ({@code center} has d + 1 entries, the target's last), adds v to {@code sum},
     * v·t to {@code crossTarget}, and v·vᵀ to the lower triangle of {@code gram} (row-major d × d,
     * {@code gram[j·d + k]} for {@code k <= j}; entries above the diagonal are left as they are). Returns Σt.
     * A double-precision SYRK fused with the shift and the sums: the input is read once.
     */
    double crossProducts(double[][] x, double[] y, int from, int to, double[] center, double[] gram, double[] sum,
                         double[] crossTarget);

    /**
     * Adds {@code Σᵢ (x[i] − means)·rᵢ} over rows {@code [from, to)} to {@code gradient}, in double, where
     * {@code rᵢ = y[i] − intercept − x[i]·coefficients}: the gradient of a fitted model's residuals, which
     * iterative refinement of the normal equations needs in full precision.
     */
    void residualGradient(double[][] x, double[] y, int from, int to, double intercept, double[] coefficients,
                          double[] means, double[] gradient);
}
