package dev.panamax.engine;

import dev.panamax.engine.kernel.AttentionShape;
import dev.panamax.engine.kernel.ConvShape;
import dev.panamax.engine.kernel.GemmShape;
import dev.panamax.engine.kernel.scalar.ScalarSoftmax;
import dev.panamax.engine.kernel.simd.attention.SimdAttention;
import dev.panamax.engine.kernel.simd.conv.SimdConv2d;
import dev.panamax.engine.kernel.simd.conv.SimdResample;
import dev.panamax.engine.kernel.simd.gemm.SimdGemm;
import dev.panamax.engine.kernel.simd.ops.SimdActivations;
import dev.panamax.engine.kernel.simd.ops.SimdElementwise;
import dev.panamax.engine.kernel.simd.ops.SimdGroupNorm;
import dev.panamax.engine.kernel.simd.ops.SimdGroupNormSilu;
import dev.panamax.engine.kernel.simd.ops.SimdLeastSquares;
import dev.panamax.engine.kernel.simd.ops.SimdNorms;
import dev.panamax.engine.kernel.simd.ops.SimdSoftmax;
import dev.panamax.engine.parallel.WorkerPool;
import java.lang.foreign.MemorySegment;

/**
 * The CPU backend: Vector API kernels on off-heap memory, multi-threaded on a {@link WorkerPool}. Results do not
 * depend on the number of threads.
 */
public final class SimdBackend extends CheckedBackend {

    /** Elements per thread below which a memory-bound op stays on the caller (a wake-up costs microseconds). */
    private static final long MIN_ELEMENTS_PER_THREAD = 1 << 15;
    /** The same for the group norms, which do several passes per element ({@link #groupGrain}). */
    private static final long MIN_NORM_ELEMENTS_PER_THREAD = 1 << 12;



    /**
     * For work that already runs inside a pool task: a one-thread pool starts no threads and runs a job inline.
     * (Handing it the outer pool would run its parts inline anyway; naming the one-thread pool says so.)
     */
    private static final WorkerPool INLINE = new WorkerPool(1);

    private final WorkerPool fixedPool;
    private final SimdGemm gemm = new SimdGemm();
    private final SimdConv2d conv = new SimdConv2d();

    /** Uses the process-wide {@link WorkerPool#shared()} pool (looked up per call, so resizing it takes effect). */
    public SimdBackend() {
        this(null);
    }

    /** Uses the given pool; {@code null} means the shared one. */
    public SimdBackend(WorkerPool pool) {
        this.fixedPool = pool;
    }

    private WorkerPool pool() {
        return fixedPool != null ? fixedPool : WorkerPool.shared();
    }

    @Override
    public WorkerPool workerPool() {
        return pool();
    }

    @Override
    public String name() {
        return "simd";
    }

    @Override
    public void gemm(Transpose transA, Transpose transB, int m, int n, int k,
                     float alpha, Tensor a, long aOffset, int lda, Tensor b, long bOffset, int ldb,
                     float beta, Tensor c, long cOffset, int ldc) {
        GemmShape.check("gemm", transA, transB, m, n, k, a, aOffset, lda, 0, b, bOffset, ldb, 0,
                c, cOffset, ldc, 0, 1);
        gemm.gemm(transA.isTransposed(), transB.isTransposed(), m, n, k, alpha, a.segment(), aOffset, lda,
                b.segment(), bOffset, ldb, beta, c.segment(), cOffset, ldc, pool());
    }

    @Override
    public void syrk(Transpose trans, int n, int k, float alpha, Tensor a, long aOffset, int lda,
                     float beta, Tensor c, long cOffset, int ldc) {
        Transpose other = trans == Transpose.N ? Transpose.T : Transpose.N;
        GemmShape.check("syrk", trans, other, n, n, k, a, aOffset, lda, 0, a, aOffset, lda, 0, c, cOffset, ldc, 0, 1);
        gemm.syrkLower(trans.isTransposed(), n, k, alpha, a.segment(), aOffset, lda, beta, c.segment(), cOffset,
                ldc, pool());
    }

    @Override
    public void gemmStridedBatched(Transpose transA, Transpose transB, int m, int n, int k,
                                   float alpha, Tensor a, long aOffset, int lda, long strideA,
                                   Tensor b, long bOffset, int ldb, long strideB,
                                   float beta, Tensor c, long cOffset, int ldc, long strideC, int batch) {
        GemmShape.check("gemmStridedBatched", transA, transB, m, n, k, a, aOffset, lda, strideA, b, bOffset, ldb,
                strideB, c, cOffset, ldc, strideC, batch);
        if (strideC == 0 && batch > 1) {
            // Every entry writes the same C: run in order so the accumulation (beta = 1) is well defined.
            for (int i = 0; i < batch; i++) {
                gemm.gemm(transA.isTransposed(), transB.isTransposed(), m, n, k, alpha, a.segment(),
                        aOffset + i * strideA, lda, b.segment(), bOffset + i * strideB, ldb, beta, c.segment(),
                        cOffset, ldc, pool());
            }
            return;
        }
        WorkerPool pool = pool();
        int parts = pool.threads();
        if (batch >= parts && parts > 1) {
            // Many small matrices (attention heads): give each thread whole matrices, each run single-threaded.
            pool.run(part -> {
                int from = (int) ((long) batch * part / parts);
                int to = (int) ((long) batch * (part + 1) / parts);
                for (int i = from; i < to; i++) {
                    gemm.gemm(transA.isTransposed(), transB.isTransposed(), m, n, k, alpha, a.segment(),
                            aOffset + i * strideA, lda, b.segment(), bOffset + i * strideB, ldb, beta,
                            c.segment(), cOffset + i * strideC, ldc, INLINE);
                }
            });
        } else {
            for (int i = 0; i < batch; i++) {
                gemm.gemm(transA.isTransposed(), transB.isTransposed(), m, n, k, alpha, a.segment(),
                        aOffset + i * strideA, lda, b.segment(), bOffset + i * strideB, ldb, beta, c.segment(),
                        cOffset + i * strideC, ldc, pool);
            }
        }
    }

    @Override
    public void attention(Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, boolean causal, float scale) {
        AttentionShape.Dims d = AttentionShape.forward("attention", q, k, v, out, lse, causal, scale);
        SimdAttention.forward(q.segment(), k.segment(), v.segment(), out.segment(),
                lse == null ? null : lse.segment(), d.batchHeads(), d.tq(), d.tk(), d.headDim(),
                (long) d.tk() * d.headDim(), causal, scale, pool());
    }

    @Override
    public void attentionBackward(Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, Tensor dOut,
                                  Tensor dQ, Tensor dK, Tensor dV, boolean causal, float scale) {
        AttentionShape.Dims d = AttentionShape.backward("attentionBackward", q, k, v, out, lse, dOut, dQ, dK, dV,
                causal, scale);
        SimdAttention.backward(q.segment(), k.segment(), v.segment(), out.segment(), lse.segment(),
                dOut.segment(), dQ.segment(), dK.segment(), dV.segment(), d.batchHeads(), d.tq(), d.tk(),
                d.headDim(), causal, scale, pool());
    }

    @Override
    public void attentionDecode(Tensor q, Tensor kNew, Tensor vNew, Tensor kCache, Tensor vCache, int cached,
                                Tensor out, boolean causal, float scale) {
        AttentionShape.Dims d = AttentionShape.decode("attentionDecode", q, kNew, vNew, kCache, vCache, cached, out,
                causal, scale);
        SimdAttention.decode(q.segment(), kNew.segment(), vNew.segment(), kCache.segment(), vCache.segment(),
                out.segment(), d.batchHeads(), d.tq(), cached, d.maxT(), d.headDim(), causal, scale, pool());
    }

    @Override
    public void conv2d(Tensor input, Tensor weight, Tensor bias, Tensor output, int stride, int padding) {
        ConvShape s = ConvShape.forward(input, weight, bias, output, stride, padding);
        conv.forward(s, input.segment(), weight.segment(), bias == null ? null : bias.segment(), output.segment(),
                pool());
    }

    @Override
    public void conv2dBackwardInput(Tensor dOutput, Tensor weight, Tensor dInput, int stride, int padding) {
        ConvShape s = ConvShape.backwardInput(dOutput, weight, dInput, stride, padding);
        conv.backwardInput(s, dOutput.segment(), weight.segment(), dInput.segment(), pool());
    }

    @Override
    public void conv2dBackwardWeight(Tensor input, Tensor dOutput, Tensor dWeight, Tensor dBias, int stride,
                                     int padding) {
        ConvShape s = ConvShape.backwardWeight(input, dOutput, dWeight, dBias, stride, padding);
        conv.backwardWeight(s, input.segment(), dOutput.segment(), dWeight.segment(),
                dBias == null ? null : dBias.segment(), pool());
    }

    @Override
    public void upsampleNearest2x(Tensor input, Tensor output) {
        int[] d = ConvShape.resample("upsampleNearest2x", "output", output, "input", input, false);
        SimdResample.upsampleNearest2x(input.segment(), output.segment(), d[0] * d[1], d[2], d[3], pool());
    }

    @Override
    public void upsampleNearest2xBackward(Tensor dOutput, Tensor dInput) {
        int[] d = ConvShape.resample("upsampleNearest2xBackward", "dOutput", dOutput, "dInput", dInput, false);
        SimdResample.upsampleNearest2xBackward(dOutput.segment(), dInput.segment(), d[0] * d[1], d[2], d[3], pool());
    }

    @Override
    public void avgPool2x2(Tensor input, Tensor output) {
        int[] d = ConvShape.resample("avgPool2x2", "input", input, "output", output, true);
        SimdResample.avgPool2x2(input.segment(), output.segment(), d[0] * d[1], input.dim(2), input.dim(3), pool());
    }

    @Override
    public void avgPool2x2Backward(Tensor dOutput, Tensor dInput) {
        int[] d = ConvShape.resample("avgPool2x2Backward", "dInput", dInput, "dOutput", dOutput, true);
        SimdResample.avgPool2x2Backward(dOutput.segment(), dInput.segment(), d[0] * d[1], dInput.dim(2),
                dInput.dim(3), pool());
    }

    @Override
    public String toString() {
        return "SimdBackend[" + gemm.blocking() + "]";
    }

    /** Runs a per-element kernel over [0, n), split over threads when n is large. */
    private void elements(long n, WorkerPool.RangeTask task) {
        pool().runRange(n, MIN_ELEMENTS_PER_THREAD, task);
    }

    /** Runs a per-row kernel over [0, rows), split over threads when the rows hold many elements. */
    private void rows(int rows, int cols, WorkerPool.RangeTask task) {
        pool().runRange(rows, Math.max(1, MIN_ELEMENTS_PER_THREAD / Math.max(1, cols)), task);
    }

    @Override
    protected void addKernel(MemorySegment a, MemorySegment b, MemorySegment out, long n) {
        elements(n, (from, to) -> SimdElementwise.add(a, b, out, from, to));
    }

    @Override
    protected void subKernel(MemorySegment a, MemorySegment b, MemorySegment out, long n) {
        elements(n, (from, to) -> SimdElementwise.sub(a, b, out, from, to));
    }

    @Override
    protected void mulKernel(MemorySegment a, MemorySegment b, MemorySegment out, long n) {
        elements(n, (from, to) -> SimdElementwise.mul(a, b, out, from, to));
    }

    @Override
    protected void scaleKernel(MemorySegment a, float s, MemorySegment out, long n) {
        elements(n, (from, to) -> SimdElementwise.scale(a, s, out, from, to));
    }

    @Override
    protected void axpyKernel(float alpha, MemorySegment x, MemorySegment y, long n) {
        elements(n, (from, to) -> SimdElementwise.axpy(alpha, x, y, from, to));
    }

    @Override
    protected void addBiasKernel(MemorySegment x, MemorySegment bias, MemorySegment out, int rows, int cols) {
        rows(rows, cols, (from, to) -> SimdElementwise.addBias(x, bias, out, (int) from, (int) to, cols));
    }

    @Override
    protected void addBiasBackwardKernel(MemorySegment dOut, MemorySegment dBias, int rows, int cols) {
        // Split by columns: each column sums its rows in order, so no thread races and no order change.
        pool().runRange(cols, Math.max(64, MIN_ELEMENTS_PER_THREAD / Math.max(1, rows)),
                (from, to) -> SimdElementwise.accumulateColumnSums(dOut, dBias, rows, cols, (int) from, (int) to));
    }

    @Override
    protected void concatChannelsKernel(MemorySegment a, MemorySegment b, MemorySegment out, int batch, long aBlock,
                                        long bBlock) {
        long outBlock = aBlock + bBlock;
        rows(batch, (int) Math.min(Integer.MAX_VALUE, outBlock), (from, to) -> {
            for (long n = from; n < to; n++) {
                long at = n * outBlock * Float.BYTES;
                MemorySegment.copy(a, n * aBlock * Float.BYTES, out, at, aBlock * Float.BYTES);
                MemorySegment.copy(b, n * bBlock * Float.BYTES, out, at + aBlock * Float.BYTES, bBlock * Float.BYTES);
            }
        });
    }

    @Override
    protected void concatChannelsBackwardKernel(MemorySegment dOut, MemorySegment dA, MemorySegment dB, int batch,
                                                long aBlock, long bBlock) {
        // Per image: dA += dOut's first aBlock floats, dB += the rest (axpy with alpha 1 adds exactly, as the
        // scalar reference does), split by image over the threads.
        long outBlock = aBlock + bBlock;
        rows(batch, (int) Math.min(Integer.MAX_VALUE, outBlock), (from, to) -> {
            for (long n = from; n < to; n++) {
                long at = n * outBlock * Float.BYTES;
                SimdElementwise.axpy(1f, dOut.asSlice(at, aBlock * Float.BYTES),
                        dA.asSlice(n * aBlock * Float.BYTES, aBlock * Float.BYTES), 0, aBlock);
                SimdElementwise.axpy(1f, dOut.asSlice(at + aBlock * Float.BYTES, bBlock * Float.BYTES),
                        dB.asSlice(n * bBlock * Float.BYTES, bBlock * Float.BYTES), 0, bBlock);
            }
        });
    }

    @Override
    protected void addChannelBiasKernel(MemorySegment x, MemorySegment bias, MemorySegment out, int planes,
                                        int spatial) {
        rows(planes, spatial, (from, to) -> SimdElementwise.addChannelBias(x, bias, out, (int) from, (int) to,
                spatial));
    }

    @Override
    protected void addChannelBiasBackwardKernel(MemorySegment dOut, MemorySegment dBias, int planes, int spatial) {
        // Split by planes: each dBias[p] is one thread's row sum, so the thread count does not change it.
        rows(planes, spatial, (from, to) -> SimdElementwise.accumulatePlaneSums(dOut, dBias, (int) from, (int) to,
                spatial));
    }

    @Override
    protected void activationKernel(Activation kind, MemorySegment x, MemorySegment out, long n) {
        switch (kind) {
            case GELU -> elements(n, (from, to) -> SimdActivations.gelu(x, out, from, to));
            case SILU -> elements(n, (from, to) -> SimdActivations.silu(x, out, from, to));
            case RELU -> elements(n, (from, to) -> SimdActivations.relu(x, out, from, to));
        }
    }

    @Override
    protected void activationBackwardKernel(Activation kind, MemorySegment x, MemorySegment dOut, MemorySegment dX,
                                            long n) {
        switch (kind) {
            case GELU -> elements(n, (from, to) -> SimdActivations.geluBackward(x, dOut, dX, from, to));
            case SILU -> elements(n, (from, to) -> SimdActivations.siluBackward(x, dOut, dX, from, to));
            case RELU -> elements(n, (from, to) -> SimdActivations.reluBackward(x, dOut, dX, from, to));
        }
    }

    @Override
    protected void groupNormKernel(MemorySegment x, MemorySegment gamma, MemorySegment beta, MemorySegment out,
                                   MemorySegment mean, MemorySegment rstd, int batch, int channels, int spatial,
                                   int groups, float eps) {
        pool().runRange(groups, groupGrain(batch, channels, spatial, groups), (from, to) -> SimdGroupNorm.forward(x,
                gamma, beta, out, mean, rstd, batch, channels, spatial, groups, eps, (int) from, (int) to));
    }

    @Override
    protected void groupNormBackwardKernel(MemorySegment x, MemorySegment gamma, MemorySegment mean,
                                           MemorySegment rstd, MemorySegment dOut, MemorySegment dX,
                                           MemorySegment dGamma, MemorySegment dBeta, int batch, int channels,
                                           int spatial, int groups) {
        pool().runRange(groups, groupGrain(batch, channels, spatial, groups), (from, to) -> SimdGroupNorm.backward(
                x, gamma, mean, rstd, dOut, dX, dGamma, dBeta, batch, channels, spatial, groups, (int) from,
                (int) to));
    }

    @Override
    protected void groupNormSiluKernel(MemorySegment x, MemorySegment gamma, MemorySegment beta, MemorySegment out,
                                       MemorySegment mean, MemorySegment rstd, int batch, int channels, int spatial,
                                       int groups, float eps) {
        pool().runRange(groups, groupGrain(batch, channels, spatial, groups), (from, to) ->
                SimdGroupNormSilu.forward(x, gamma, beta, out, mean, rstd, batch, channels, spatial, groups, eps,
                        (int) from, (int) to));
    }

    @Override
    protected void groupNormSiluBackwardKernel(MemorySegment x, MemorySegment gamma, MemorySegment beta,
                                               MemorySegment mean, MemorySegment rstd, MemorySegment dOut,
                                               MemorySegment dX, MemorySegment dGamma, MemorySegment dBeta,
                                               int batch, int channels, int spatial, int groups, float eps) {
        pool().runRange(groups, groupGrain(batch, channels, spatial, groups), (from, to) ->
                SimdGroupNormSilu.backward(x, gamma, beta, mean, rstd, dOut, dX, dGamma, dBeta, batch, channels,
                        spatial, groups, (int) from, (int) to));
    }

    /**
     * Groups per thread at least, so that a thread gets {@code MIN_NORM_ELEMENTS_PER_THREAD} values. Group norms
     * make two or three passes over their values (with an exp per value when fused with SiLU), so they pay for a
     * second thread sooner than a one-pass op: with the one-pass grain the U-Net's 7×7 levels (8 groups of 6,272
     * values) ran on one thread.
     */
    private static long groupGrain(int batch, int channels, int spatial, int groups) {
        long perGroup = (long) batch * (channels / groups) * spatial;
        return Math.max(1, MIN_NORM_ELEMENTS_PER_THREAD / Math.max(1, perGroup));
    }

    @Override
    protected void layerNormKernel(MemorySegment x, MemorySegment gamma, MemorySegment beta, MemorySegment out,
                                   MemorySegment mean, MemorySegment rstd, int rows, int cols, float eps) {
        rows(rows, cols, (from, to) -> SimdNorms.layerNorm(x, gamma, beta, out, mean, rstd, (int) from, (int) to,
                cols, eps));
    }

    @Override
    protected void layerNormBackwardKernel(MemorySegment x, MemorySegment gamma, MemorySegment mean,
                                           MemorySegment rstd, MemorySegment dOut, MemorySegment dX,
                                           MemorySegment dGamma, MemorySegment dBeta, int rows, int cols) {
        rows(rows, cols, (from, to) -> SimdNorms.layerNormBackwardInput(x, gamma, mean, rstd, dOut, dX, (int) from,
                (int) to, cols));
        pool().runRange(cols, Math.max(64, MIN_ELEMENTS_PER_THREAD / Math.max(1, rows)),
                (from, to) -> SimdNorms.layerNormBackwardParams(x, mean, rstd, dOut, dGamma, dBeta, rows, cols,
                        (int) from, (int) to));
    }

    @Override
    protected void softmaxKernel(MemorySegment x, MemorySegment out, int rows, int cols, boolean log) {
        if (log) {
            ScalarSoftmax.logSoftmax(x, out, rows, cols);   // rare in training; no SIMD kernel yet
        } else {
            rows(rows, cols, (from, to) -> SimdSoftmax.softmax(x, out, (int) from, (int) to, cols));
        }
    }

    /** Per-row losses of the last cross-entropy, summed in row order afterwards (thread-count independent). */
    private static final ThreadLocal<double[][]> ROW_LOSSES = ThreadLocal.withInitial(() -> new double[1][0]);

    @Override
    protected double crossEntropyKernel(MemorySegment logits, int[] targets, int ignoreIndex, MemorySegment probs,
                                        int rows, int cols) {
        double[][] holder = ROW_LOSSES.get();
        if (holder[0].length < rows) {
            holder[0] = new double[rows];
        }
        double[] rowLoss = holder[0];
        rows(rows, cols, (from, to) -> SimdSoftmax.crossEntropy(logits, targets, ignoreIndex, probs, rowLoss,
                (int) from, (int) to, cols));
        double total = 0;
        int counted = 0;
        for (int r = 0; r < rows; r++) {
            if (targets[r] != ignoreIndex) {
                total += rowLoss[r];
                counted++;
            }
        }
        return counted == 0 ? 0 : total / counted;
    }

    @Override
    protected void crossEntropyBackwardKernel(MemorySegment probs, int[] targets, int ignoreIndex, float dLoss,
                                              MemorySegment dLogits, int rows, int cols) {
        int counted = 0;
        for (int target : targets) {
            if (target != ignoreIndex) {
                counted++;
            }
        }
        if (counted == 0) {
            return;
        }
        float scale = dLoss / counted;
        rows(rows, cols, (from, to) -> SimdSoftmax.crossEntropyBackward(probs, targets, ignoreIndex, scale, dLogits,
                (int) from, (int) to, cols));
    }

    @Override
    protected double crossProductsKernel(double[][] x, double[] y, int from, int to, double[] center,
                                         double[] gram, double[] sum, double[] crossTarget) {
        return SimdLeastSquares.crossProducts(x, y, from, to, center, gram, sum, crossTarget);
    }

    @Override
    protected void residualGradientKernel(double[][] x, double[] y, int from, int to, double intercept,
                                          double[] coefficients, double[] means, double[] gradient) {
        SimdLeastSquares.residualGradient(x, y, from, to, intercept, coefficients, means, gradient);
    }
}
