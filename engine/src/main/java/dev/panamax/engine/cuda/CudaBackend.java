package dev.panamax.engine.cuda;

import dev.panamax.engine.CheckedBackend;
import dev.panamax.engine.SimdBackend;
import dev.panamax.engine.Tensor;
import dev.panamax.engine.Transpose;
import dev.panamax.engine.kernel.AttentionShape;
import dev.panamax.engine.kernel.ConvShape;
import dev.panamax.engine.kernel.GemmShape;
import dev.panamax.engine.kernel.simd.ops.SimdLeastSquares;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import jcuda.driver.CUdeviceptr;

/**
 * The GPU backend: the CUDA C kernels of {@code native/} (compiled to the PTX resources next to this class),
 * launched through JCuda's driver API on one stream.
 *
 * <p><b>Where tensors live.</b> A {@link Tensor} keeps its host memory as its identity, and this backend keeps a
 * device copy per allocation ({@link DeviceMirror}, attached to the tensor's {@link dev.panamax.engine.TensorMemory}
 * and shared by all its views). A kernel's inputs are uploaded only if the host wrote them since the last upload;
 * its outputs are marked newer on the device and stay there. Data comes back only when host code touches the
 * tensor ({@code get}, {@code toArray}, {@code segment()}, ...), which downloads it first. So a model that only
 * calls {@code Backend} operations between reading inputs and printing a loss keeps its activations, gradients
 * and parameters on the GPU, and models need no change to run here. Fresh {@code Tensor.zeros} allocations are
 * cleared on the device rather than uploaded; device memory comes from a caching pool and returns to it when the
 * tensor's arena closes.
 *
 * <p>The argument checks are those of every backend ({@link CheckedBackend}, {@link GemmShape},
 * {@link AttentionShape}, {@link ConvShape}). The few cases the kernels do not cover (head_dim above 128, shapes
 * beyond the grid limits) run on the SIMD backend, whose host accesses move the data as needed. Results equal the
 * scalar reference within rounding; reductions use a fixed order, so a result is the same on every run.
 *
 * <p>Obtain it with {@code Backends.select("cuda")} (or {@code "auto"} on a machine with a usable GPU); without
 * one, construction throws {@link IllegalStateException} naming the reason ({@link CudaAvailability}).
 */
public final class CudaBackend extends CheckedBackend {

    /** Attention kernels cover head_dim up to this (two template instances: 64 and 128). */
    static final int MAX_HEAD_DIM = 128;

    private final CudaRuntime runtime;
    private SimdBackend cpu;

    /** Throws {@link IllegalStateException} with the reason when no usable GPU is present. */
    public CudaBackend() {
        this.runtime = CudaAvailability.runtime();
    }

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public String toString() {
        return "CudaBackend[" + runtime.description() + "]";
    }

    /** Waits until every queued kernel and copy has finished. */
    public void synchronize() {
        runtime.synchronize();
    }

    /**
     * Runs {@code work} (which queues GPU operations) between two CUDA events and returns the GPU time between
     * them in milliseconds: what the benchmarks report as the device time of an operation.
     */
    public float elapsedMillis(Runnable work) {
        return runtime.elapsedMillis(work);
    }

    private SimdBackend cpu() {
        if (cpu == null) {
            cpu = new SimdBackend();
        }
        return cpu;
    }

    // ---------------------------------------------------------------- device memory of operands

    @Override
    protected MemorySegment memoryOf(Tensor t) {
        runtime.mirror(t.memory());
        return t.memory().rawSegment().asSlice(t.memoryOffset(), t.size() * Float.BYTES);
    }

    private CUdeviceptr in(MemorySegment s) {
        return runtime.mirrorOf(s).forRead(s);
    }

    private CUdeviceptr out(MemorySegment s) {
        return runtime.mirrorOf(s).forWrite(s);
    }

    private CUdeviceptr in(Tensor t) {
        return in(memoryOf(t));
    }

    private CUdeviceptr out(Tensor t) {
        return out(memoryOf(t));
    }

    private KernelLaunch kernel(CudaKernel k) {
        return new KernelLaunch(runtime, k);
    }

    // ---------------------------------------------------------------- GEMM

    @Override
    public void gemm(Transpose transA, Transpose transB, int m, int n, int k, float alpha, Tensor a, long aOffset,
                     int lda, Tensor b, long bOffset, int ldb, float beta, Tensor c, long cOffset, int ldc) {
        GemmShape.check("gemm", transA, transB, m, n, k, a, aOffset, lda, 0, b, bOffset, ldb, 0, c, cOffset, ldc, 0,
                1);
        gemmLaunch(transA, transB, m, n, k, alpha, a, aOffset, lda, 0, b, bOffset, ldb, 0, beta, c, cOffset, ldc, 0,
                1);
    }

    @Override
    public void gemmStridedBatched(Transpose transA, Transpose transB, int m, int n, int k, float alpha, Tensor a,
                                   long aOffset, int lda, long strideA, Tensor b, long bOffset, int ldb,
                                   long strideB, float beta, Tensor c, long cOffset, int ldc, long strideC,
                                   int batch) {
        GemmShape.check("gemmStridedBatched", transA, transB, m, n, k, a, aOffset, lda, strideA, b, bOffset, ldb,
                strideB, c, cOffset, ldc, strideC, batch);
        if (strideC == 0 && batch > 1) {
            // Every entry accumulates into the same C: one launch per entry, in order, as the CPU backends do.
            for (int i = 0; i < batch; i++) {
                gemmLaunch(transA, transB, m, n, k, alpha, a, aOffset + i * strideA, lda, 0, b,
                        bOffset + i * strideB, ldb, 0, beta, c, cOffset, ldc, 0, 1);
            }
            return;
        }
        gemmLaunch(transA, transB, m, n, k, alpha, a, aOffset, lda, strideA, b, bOffset, ldb, strideB, beta, c,
                cOffset, ldc, strideC, batch);
    }

    private void gemmLaunch(Transpose transA, Transpose transB, int m, int n, int k, float alpha, Tensor a,
                            long aOffset, int lda, long strideA, Tensor b, long bOffset, int ldb, long strideB,
                            float beta, Tensor c, long cOffset, int ldc, long strideC, int batch) {
        if (m == 0 || n == 0 || batch == 0) {
            return;
        }
        boolean ta = transA.isTransposed();
        boolean tb = transB.isTransposed();
        CudaKernel kernel = ta ? (tb ? CudaKernel.SGEMM_TT : CudaKernel.SGEMM_TN)
                : (tb ? CudaKernel.SGEMM_NT : CudaKernel.SGEMM_NN);
        CUdeviceptr pa = in(a);
        CUdeviceptr pb = in(b);
        CUdeviceptr pc = out(c);
        long gridX = (n + 127) / 128;
        long gridY = (m + 127) / 128;
        for (int first = 0; first < batch; first += 65535) {
            int count = Math.min(65535, batch - first);
            kernel(kernel).grid(gridX, gridY, count)
                    .i32(m).i32(n).i32(k).f32(alpha)
                    .ptr(pa.withByteOffset((aOffset + first * strideA) * Float.BYTES)).i32(lda).i64(strideA)
                    .ptr(pb.withByteOffset((bOffset + first * strideB) * Float.BYTES)).i32(ldb).i64(strideB)
                    .f32(beta)
                    .ptr(pc.withByteOffset((cOffset + first * strideC) * Float.BYTES)).i32(ldc).i64(strideC)
                    .i32(vectorizable(a, aOffset, lda, strideA)).i32(vectorizable(b, bOffset, ldb, strideB))
                    .i32(vectorizable(c, cOffset, ldc, strideC))
                    .launch();
        }
    }

    /** 1 when every row of the operand starts on a 16-byte boundary on the device, so float4 loads are legal. */
    private static int vectorizable(Tensor t, long offset, int ld, long stride) {
        long start = t.memoryOffset() + offset * Float.BYTES;  // device blocks are 256-byte aligned
        return start % 16 == 0 && ld % 4 == 0 && stride % 4 == 0 ? 1 : 0;
    }

    // ---------------------------------------------------------------- elementwise

    private void binary(CudaKernel k, MemorySegment a, MemorySegment b, MemorySegment o, long n) {
        CUdeviceptr pa = in(a);
        CUdeviceptr pb = in(b);
        kernel(k).elements(n).ptr(pa).ptr(pb).ptr(out(o)).i64(n).launch();
    }

    @Override
    protected void addKernel(MemorySegment a, MemorySegment b, MemorySegment out, long n) {
        binary(CudaKernel.ADD, a, b, out, n);
    }

    @Override
    protected void subKernel(MemorySegment a, MemorySegment b, MemorySegment out, long n) {
        binary(CudaKernel.SUB, a, b, out, n);
    }

    @Override
    protected void mulKernel(MemorySegment a, MemorySegment b, MemorySegment out, long n) {
        binary(CudaKernel.MUL, a, b, out, n);
    }

    @Override
    protected void scaleKernel(MemorySegment a, float s, MemorySegment out, long n) {
        CUdeviceptr pa = in(a);
        kernel(CudaKernel.SCALE).elements(n).ptr(pa).f32(s).ptr(out(out)).i64(n).launch();
    }

    @Override
    protected void axpyKernel(float alpha, MemorySegment x, MemorySegment y, long n) {
        CUdeviceptr px = in(x);
        kernel(CudaKernel.AXPY).elements(n).f32(alpha).ptr(px).ptr(out(y)).i64(n).launch();
    }

    @Override
    protected void addBiasKernel(MemorySegment x, MemorySegment bias, MemorySegment out, int rows, int cols) {
        CUdeviceptr px = in(x);
        CUdeviceptr pb = in(bias);
        kernel(CudaKernel.ADD_BIAS).elements((long) rows * cols).ptr(px).ptr(pb).ptr(out(out)).i64(rows).i32(cols)
                .launch();
    }

    @Override
    protected void addBiasBackwardKernel(MemorySegment dOut, MemorySegment dBias, int rows, int cols) {
        CUdeviceptr pd = in(dOut);
        kernel(CudaKernel.COLUMN_SUMS).grid((cols + 31) / 32, 1, 1).block(32, 16).ptr(pd).ptr(out(dBias)).i32(rows)
                .i32(cols).launch();
    }

    /** Runs a partial-sums kernel (one double per block) and adds the partials on the host, in order. */
    private double reduce(KernelLaunch launch, long n, String scratchName) {
        int blocks = (int) Math.max(1, Math.min((n + KernelLaunch.BLOCK - 1) / KernelLaunch.BLOCK, 1024));
        CUdeviceptr partials = runtime.scratch(scratchName, (long) blocks * Double.BYTES);
        launch.grid(blocks, 1, 1).i64(n).ptr(partials).launch();
        double sum = 0;
        for (double p : runtime.downloadDoubles(partials, blocks)) {
            sum += p;
        }
        return sum;
    }

    @Override
    protected double sumKernel(MemorySegment x, long n) {
        return reduce(kernel(CudaKernel.SUM_PARTIALS).ptr(in(x)), n, "partials");
    }

    @Override
    protected double mseKernel(MemorySegment pred, MemorySegment target, long n) {
        CUdeviceptr pp = in(pred);
        return reduce(kernel(CudaKernel.MSE_PARTIALS).ptr(pp).ptr(in(target)), n, "partials") / n;
    }

    @Override
    protected void mseBackwardKernel(MemorySegment pred, MemorySegment target, float dLoss, MemorySegment dPred,
                                     long n) {
        float scale = 2f * dLoss / n;
        CUdeviceptr pp = in(pred);
        CUdeviceptr pt = in(target);
        kernel(CudaKernel.MSE_BACKWARD).elements(n).ptr(pp).ptr(pt).f32(scale).ptr(out(dPred)).i64(n).launch();
    }

    // ---------------------------------------------------------------- activations

    @Override
    protected void activationKernel(Activation kind, MemorySegment x, MemorySegment out, long n) {
        CudaKernel k = switch (kind) {
            case GELU -> CudaKernel.GELU;
            case SILU -> CudaKernel.SILU;
            case RELU -> CudaKernel.RELU;
        };
        CUdeviceptr px = in(x);
        kernel(k).elements(n).ptr(px).ptr(out(out)).i64(n).launch();
    }

    @Override
    protected void activationBackwardKernel(Activation kind, MemorySegment x, MemorySegment dOut, MemorySegment dX,
                                            long n) {
        CudaKernel k = switch (kind) {
            case GELU -> CudaKernel.GELU_BACKWARD;
            case SILU -> CudaKernel.SILU_BACKWARD;
            case RELU -> CudaKernel.RELU_BACKWARD;
        };
        CUdeviceptr px = in(x);
        CUdeviceptr pd = in(dOut);
        kernel(k).elements(n).ptr(px).ptr(pd).ptr(out(dX)).i64(n).launch();
    }

    // ---------------------------------------------------------------- normalizations

    @Override
    protected void layerNormKernel(MemorySegment x, MemorySegment gamma, MemorySegment beta, MemorySegment out,
                                   MemorySegment mean, MemorySegment rstd, int rows, int cols, float eps) {
        CUdeviceptr px = in(x);
        CUdeviceptr pg = in(gamma);
        CUdeviceptr pb = in(beta);
        CUdeviceptr po = out(out);
        CUdeviceptr pm = out(mean);
        kernel(CudaKernel.LAYERNORM).grid(rows, 1, 1).ptr(px).ptr(pg).ptr(pb).ptr(po).ptr(pm).ptr(out(rstd))
                .i32(rows).i32(cols).f32(eps).launch();
    }

    @Override
    protected void layerNormBackwardKernel(MemorySegment x, MemorySegment gamma, MemorySegment mean,
                                           MemorySegment rstd, MemorySegment dOut, MemorySegment dX,
                                           MemorySegment dGamma, MemorySegment dBeta, int rows, int cols) {
        normBackward(x, gamma, mean, rstd, dOut, dX, dGamma, dBeta, rows, cols);
    }

    @Override
    protected void rmsNormKernel(MemorySegment x, MemorySegment gamma, MemorySegment out, MemorySegment rstd,
                                 int rows, int cols, float eps) {
        CUdeviceptr px = in(x);
        CUdeviceptr pg = in(gamma);
        CUdeviceptr po = out(out);
        kernel(CudaKernel.RMSNORM).grid(rows, 1, 1).ptr(px).ptr(pg).ptr(po).ptr(out(rstd)).i32(rows).i32(cols)
                .f32(eps).launch();
    }

    @Override
    protected void rmsNormBackwardKernel(MemorySegment x, MemorySegment gamma, MemorySegment rstd,
                                         MemorySegment dOut, MemorySegment dX, MemorySegment dGamma, int rows,
                                         int cols) {
        normBackward(x, gamma, null, rstd, dOut, dX, dGamma, null, rows, cols);
    }

    /** LayerNorm (mean given) or RMSNorm (mean and dBeta null) backward: dX per row, then dGamma/dBeta per column. */
    private void normBackward(MemorySegment x, MemorySegment gamma, MemorySegment mean, MemorySegment rstd,
                              MemorySegment dOut, MemorySegment dX, MemorySegment dGamma, MemorySegment dBeta,
                              int rows, int cols) {
        CUdeviceptr px = in(x);
        CUdeviceptr pg = in(gamma);
        CUdeviceptr pm = mean == null ? null : in(mean);
        CUdeviceptr pr = in(rstd);
        CUdeviceptr pd = in(dOut);
        kernel(CudaKernel.NORM_BACKWARD_INPUT).grid(rows, 1, 1).ptr(px).ptr(pg).ptr(pm).ptr(pr).ptr(pd).ptr(out(dX))
                .i32(rows).i32(cols).launch();
        CUdeviceptr pdg = out(dGamma);
        CUdeviceptr pdb = dBeta == null ? null : out(dBeta);
        kernel(CudaKernel.NORM_BACKWARD_PARAMS).grid((cols + 31) / 32, 1, 1).block(32, 16).ptr(px).ptr(pm).ptr(pr)
                .ptr(pd).ptr(pdg).ptr(pdb).i32(rows).i32(cols).launch();
    }

    @Override
    protected void groupNormKernel(MemorySegment x, MemorySegment gamma, MemorySegment beta, MemorySegment out,
                                   MemorySegment mean, MemorySegment rstd, int batch, int channels, int spatial,
                                   int groups, float eps) {
        CUdeviceptr px = in(x);
        CUdeviceptr pg = in(gamma);
        CUdeviceptr pb = in(beta);
        CUdeviceptr po = out(out);
        CUdeviceptr pm = out(mean);
        kernel(CudaKernel.GROUPNORM).grid((long) batch * groups, 1, 1).ptr(px).ptr(pg).ptr(pb).ptr(po).ptr(pm)
                .ptr(out(rstd)).i32(batch).i32(channels).i32(spatial).i32(groups).f32(eps).launch();
    }

    @Override
    protected void groupNormBackwardKernel(MemorySegment x, MemorySegment gamma, MemorySegment mean,
                                           MemorySegment rstd, MemorySegment dOut, MemorySegment dX,
                                           MemorySegment dGamma, MemorySegment dBeta, int batch, int channels,
                                           int spatial, int groups) {
        CUdeviceptr px = in(x);
        CUdeviceptr pg = in(gamma);
        CUdeviceptr pm = in(mean);
        CUdeviceptr pr = in(rstd);
        CUdeviceptr pd = in(dOut);
        kernel(CudaKernel.GROUPNORM_BACKWARD_INPUT).grid((long) batch * groups, 1, 1).ptr(px).ptr(pg).ptr(pm)
                .ptr(pr).ptr(pd).ptr(out(dX)).i32(batch).i32(channels).i32(spatial).i32(groups).launch();
        CUdeviceptr pdg = out(dGamma);
        kernel(CudaKernel.GROUPNORM_BACKWARD_PARAMS).grid(channels, 1, 1).ptr(px).ptr(pm).ptr(pr).ptr(pd).ptr(pdg)
                .ptr(out(dBeta)).i32(batch).i32(channels).i32(spatial).i32(groups).launch();
    }

    /** GroupNorm into out, then SiLU in place: two launches (no fused kernel yet). */
    @Override
    protected void groupNormSiluKernel(MemorySegment x, MemorySegment gamma, MemorySegment beta, MemorySegment out,
                                       MemorySegment mean, MemorySegment rstd, int batch, int channels, int spatial,
                                       int groups, float eps) {
        groupNormKernel(x, gamma, beta, out, mean, rstd, batch, channels, spatial, groups, eps);
        activationKernel(Activation.SILU, out, out, (long) batch * channels * spatial);
    }

    /**
     * The composition of the separate kernels: GroupNorm's output is recomputed into a temporary, SiLU's backward takes dOut to a zeroed temporary dY, and GroupNorm's backward takes dY.
     */
    @Override
    protected void groupNormSiluBackwardKernel(MemorySegment x, MemorySegment gamma, MemorySegment beta,
                                               MemorySegment mean, MemorySegment rstd, MemorySegment dOut,
                                               MemorySegment dX, MemorySegment dGamma, MemorySegment dBeta,
                                               int batch, int channels, int spatial, int groups, float eps) {
        int size = Math.multiplyExact(Math.multiplyExact(batch, channels), spatial);
        try (Arena temporaries = Arena.ofConfined()) {
            MemorySegment y = memoryOf(Tensor.zeros(temporaries, size));
            MemorySegment dY = memoryOf(Tensor.zeros(temporaries, size));
            // Into temporaries: the stored mean and rstd stay as the forward left them.
            MemorySegment tmpMean = memoryOf(Tensor.zeros(temporaries, batch * groups));
            MemorySegment tmpRstd = memoryOf(Tensor.zeros(temporaries, batch * groups));
            groupNormKernel(x, gamma, beta, y, tmpMean, tmpRstd, batch, channels, spatial, groups, eps);
            activationBackwardKernel(Activation.SILU, y, dOut, dY, size);
            groupNormBackwardKernel(x, gamma, mean, rstd, dY, dX, dGamma, dBeta, batch, channels, spatial, groups);
        }
    }

    // ---------------------------------------------------------------- softmax and losses

    @Override
    protected void softmaxKernel(MemorySegment x, MemorySegment out, int rows, int cols, boolean log) {
        CUdeviceptr px = in(x);
        kernel(CudaKernel.SOFTMAX).grid(rows, 1, 1).ptr(px).ptr(out(out)).i32(rows).i32(cols).i32(log ? 1 : 0)
                .launch();
    }

    @Override
    protected void softmaxBackwardKernel(MemorySegment y, MemorySegment dOut, MemorySegment dX, int rows, int cols,
                                         boolean log) {
        CUdeviceptr py = in(y);
        CUdeviceptr pd = in(dOut);
        kernel(CudaKernel.SOFTMAX_BACKWARD).grid(rows, 1, 1).ptr(py).ptr(pd).ptr(out(dX)).i32(rows).i32(cols)
                .i32(log ? 1 : 0).launch();
    }

    @Override
    protected double crossEntropyKernel(MemorySegment logits, int[] targets, int ignoreIndex, MemorySegment probs,
                                        int rows, int cols) {
        CUdeviceptr pl = in(logits);
        CUdeviceptr pp = out(probs);
        CUdeviceptr pt = runtime.uploadInts("targets", targets);
        CUdeviceptr rowLoss = runtime.scratch("rowLoss", (long) rows * Double.BYTES);
        kernel(CudaKernel.CROSS_ENTROPY).grid(rows, 1, 1).ptr(pl).ptr(pt).i32(ignoreIndex).ptr(pp).ptr(rowLoss)
                .i32(rows).i32(cols).launch();
        double[] losses = runtime.downloadDoubles(rowLoss, rows);
        double total = 0;
        int counted = 0;
        for (int r = 0; r < rows; r++) {
            if (targets[r] != ignoreIndex) {
                total += losses[r];
                counted++;
            }
        }
        return counted == 0 ? 0 : total / counted;
    }

    @Override
    protected void crossEntropyBackwardKernel(MemorySegment probs, int[] targets, int ignoreIndex, float dLoss,
                                              MemorySegment dLogits, int rows, int cols) {
        int counted = 0;
        for (int t : targets) {
            if (t != ignoreIndex) {
                counted++;
            }
        }
        if (counted == 0) {
            return;
        }
        CUdeviceptr pp = in(probs);
        CUdeviceptr pt = runtime.uploadInts("targets", targets);
        kernel(CudaKernel.CROSS_ENTROPY_BACKWARD).elements((long) rows * cols).ptr(pp).ptr(pt).i32(ignoreIndex)
                .f32(dLoss / counted).ptr(out(dLogits)).i32(rows).i32(cols).launch();
    }

    // ---------------------------------------------------------------- data movement

    @Override
    protected void embeddingKernel(MemorySegment table, int[] ids, MemorySegment out, int width) {
        CUdeviceptr pt = in(table);
        CUdeviceptr pi = runtime.uploadInts("ids", ids);
        kernel(CudaKernel.EMBEDDING).elements((long) ids.length * width).ptr(pt).ptr(pi).ptr(out(out))
                .i32(ids.length).i32(width).launch();
    }

    @Override
    protected void embeddingBackwardKernel(int[] ids, MemorySegment dOut, MemorySegment dTable, int width) {
        CUdeviceptr pi = runtime.uploadInts("ids", ids);
        CUdeviceptr pd = in(dOut);
        kernel(CudaKernel.EMBEDDING_BACKWARD).grid((width + KernelLaunch.BLOCK - 1) / KernelLaunch.BLOCK, 1, 1)
                .ptr(pi).i32(ids.length).ptr(pd).ptr(out(dTable)).i32(width).launch();
    }

    @Override
    protected void concatChannelsKernel(MemorySegment a, MemorySegment b, MemorySegment out, int batch, long aBlock,
                                        long bBlock) {
        CUdeviceptr pa = in(a);
        CUdeviceptr pb = in(b);
        kernel(CudaKernel.CONCAT_CHANNELS).elements(batch * (aBlock + bBlock)).ptr(pa).ptr(pb).ptr(out(out))
                .i32(batch).i64(aBlock).i64(bBlock).launch();
    }

    @Override
    protected void concatChannelsBackwardKernel(MemorySegment dOut, MemorySegment dA, MemorySegment dB, int batch,
                                                long aBlock, long bBlock) {
        CUdeviceptr pd = in(dOut);
        CUdeviceptr pa = out(dA);
        kernel(CudaKernel.CONCAT_CHANNELS_BACKWARD).elements(batch * (aBlock + bBlock)).ptr(pd).ptr(pa).ptr(out(dB))
                .i32(batch).i64(aBlock).i64(bBlock).launch();
    }

    // ---------------------------------------------------------------- attention

    /** The kernel family for a head size, or null when the kernels do not cover it on this device. */
    private AttentionTiles tiles(int headDim) {
        AttentionTiles t = headDim <= 64 ? AttentionTiles.D64 : headDim <= MAX_HEAD_DIM ? AttentionTiles.D128 : null;
        return t != null && t.backwardKeyBytes() <= runtime.maxSharedBytesPerBlock() ? t : null;
    }

    @Override
    public void attention(Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, boolean causal, float scale) {
        AttentionShape.Dims d = AttentionShape.forward("attention", q, k, v, out, lse, causal, scale);
        AttentionTiles t = tiles(d.headDim());
        int heads = d.batch() * d.heads();
        if (t == null || heads > 65535) {
            cpu().attention(q, k, v, out, lse, causal, scale);
            return;
        }
        CUdeviceptr pq = in(q);
        CUdeviceptr pk = in(k);
        CUdeviceptr pv = in(v);
        CUdeviceptr pl = lse == null ? null : out(lse);
        attentionForward(t, pq, pk, pv, out(out), pl, heads, d.tq(), d.tk(), d.headDim(),
                (long) d.tk() * d.headDim(), causal, scale);
    }

    private void attentionForward(AttentionTiles t, CUdeviceptr q, CUdeviceptr k, CUdeviceptr v, CUdeviceptr out,
                                  CUdeviceptr lse, int heads, int tq, int tk, int headDim, long kvHeadStride,
                                  boolean causal, float scale) {
        kernel(t.forward).grid((tq + t.rows - 1) / t.rows, heads, 1).sharedBytes(t.forwardBytes())
                .ptr(q).ptr(k).ptr(v).ptr(out).ptr(lse).i32(tq).i32(tk).i32(headDim).i64(kvHeadStride)
                .i32(causal ? 1 : 0).f32(scale).launch();
    }

    @Override
    public void attentionBackward(Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, Tensor dOut, Tensor dQ,
                                  Tensor dK, Tensor dV, boolean causal, float scale) {
        AttentionShape.Dims d = AttentionShape.backward("attentionBackward", q, k, v, out, lse, dOut, dQ, dK, dV,
                causal, scale);
        AttentionTiles t = tiles(d.headDim());
        int heads = d.batch() * d.heads();
        if (t == null || heads > 65535) {
            cpu().attentionBackward(q, k, v, out, lse, dOut, dQ, dK, dV, causal, scale);
            return;
        }
        CUdeviceptr pq = in(q);
        CUdeviceptr pk = in(k);
        CUdeviceptr pv = in(v);
        CUdeviceptr po = in(out);
        CUdeviceptr pl = in(lse);
        CUdeviceptr pd = in(dOut);
        CUdeviceptr pdq = out(dQ);
        CUdeviceptr pdk = out(dK);
        CUdeviceptr pdv = out(dV);
        long rows = (long) heads * d.tq();
        CUdeviceptr delta = runtime.scratch("attentionDelta", rows * Float.BYTES);
        int warpsPerBlock = KernelLaunch.BLOCK / 32;
        kernel(CudaKernel.ATTENTION_DELTA).grid((rows + warpsPerBlock - 1) / warpsPerBlock, 1, 1).ptr(po).ptr(pd)
                .ptr(delta).i64(rows).i32(d.headDim()).launch();
        int c = causal ? 1 : 0;
        kernel(t.backwardQuery).grid((d.tq() + t.rows - 1) / t.rows, heads, 1).sharedBytes(t.backwardQueryBytes())
                .ptr(pq).ptr(pk).ptr(pv).ptr(pl).ptr(delta).ptr(pd).ptr(pdq).i32(d.tq()).i32(d.tk())
                .i32(d.headDim()).i32(c).f32(scale).launch();
        kernel(t.backwardKey).grid((d.tk() + t.rows - 1) / t.rows, heads, 1).sharedBytes(t.backwardKeyBytes())
                .ptr(pq).ptr(pk).ptr(pv).ptr(pl).ptr(delta).ptr(pd).ptr(pdk).ptr(pdv).i32(d.tq()).i32(d.tk())
                .i32(d.headDim()).i32(c).f32(scale).launch();
    }

    @Override
    public void attentionDecode(Tensor q, Tensor kNew, Tensor vNew, Tensor kCache, Tensor vCache, int cached,
                                Tensor out, boolean causal, float scale) {
        AttentionShape.Dims d = AttentionShape.decode("attentionDecode", q, kNew, vNew, kCache, vCache, cached, out,
                causal, scale);
        AttentionTiles t = tiles(d.headDim());
        int heads = d.batch() * d.heads();
        if (t == null || heads > 65535) {
            cpu().attentionDecode(q, kNew, vNew, kCache, vCache, cached, out, causal, scale);
            return;
        }
        CUdeviceptr pq = in(q);
        CUdeviceptr pkn = in(kNew);
        CUdeviceptr pvn = in(vNew);
        CUdeviceptr pkc = out(kCache);
        CUdeviceptr pvc = out(vCache);
        kernel(CudaKernel.KV_APPEND).elements((long) heads * d.tq() * d.headDim()).ptr(pkn).ptr(pvn).ptr(pkc)
                .ptr(pvc).i32(heads).i32(d.tq()).i32(cached).i32(d.maxT()).i32(d.headDim()).launch();
        attentionForward(t, pq, pkc, pvc, out(out), null, heads, d.tq(), d.tk(), d.headDim(),
                (long) d.maxT() * d.headDim(), causal, scale);
    }

    // ---------------------------------------------------------------- convolution

    /** The ConvDims struct of conv.cu, field by field. */
    private static int[] dims(ConvShape s) {
        return new int[] {s.n(), s.c(), s.h(), s.w(), s.o(), s.kh(), s.kw(), s.stride(), s.padding(), s.oh(), s.ow()};
    }

    /** The implicit-GEMM kernels index with int: true when every flattened extent fits. */
    private static boolean fitsInt(ConvShape s) {
        long limit = Integer.MAX_VALUE - 64L;
        return (long) s.n() * s.pixels() < limit && (long) s.n() * s.h() * s.w() < limit
                && (long) s.o() * s.kh() * s.kw() < limit && (long) s.c() * s.kh() * s.kw() < limit;
    }

    @Override
    public void conv2d(Tensor input, Tensor weight, Tensor bias, Tensor output, int stride, int padding) {
        ConvShape s = ConvShape.forward(input, weight, bias, output, stride, padding);
        if (!fitsInt(s)) {
            cpu().conv2d(input, weight, bias, output, stride, padding);
            return;
        }
        CUdeviceptr px = in(input);
        CUdeviceptr pw = in(weight);
        CUdeviceptr pb = bias == null ? null : in(bias);
        kernel(CudaKernel.CONV2D_FORWARD).grid(((long) s.n() * s.pixels() + 63) / 64, (s.o() + 63) / 64, 1)
                .ptr(px).ptr(pw).ptr(pb).ptr(out(output)).ints(dims(s)).launch();
    }

    @Override
    public void conv2dBackwardInput(Tensor dOutput, Tensor weight, Tensor dInput, int stride, int padding) {
        ConvShape s = ConvShape.backwardInput(dOutput, weight, dInput, stride, padding);
        if (!fitsInt(s)) {
            cpu().conv2dBackwardInput(dOutput, weight, dInput, stride, padding);
            return;
        }
        CUdeviceptr pd = in(dOutput);
        CUdeviceptr pw = in(weight);
        kernel(CudaKernel.CONV2D_BACKWARD_INPUT).grid(((long) s.n() * s.h() * s.w() + 63) / 64, (s.c() + 63) / 64, 1)
                .ptr(pd).ptr(pw).ptr(out(dInput)).ints(dims(s)).launch();
    }

    @Override
    public void conv2dBackwardWeight(Tensor input, Tensor dOutput, Tensor dWeight, Tensor dBias, int stride,
                                     int padding) {
        ConvShape s = ConvShape.backwardWeight(input, dOutput, dWeight, dBias, stride, padding);
        if (!fitsInt(s)) {
            cpu().conv2dBackwardWeight(input, dOutput, dWeight, dBias, stride, padding);
            return;
        }
        CUdeviceptr px = in(input);
        CUdeviceptr pd = in(dOutput);
        CUdeviceptr pw = out(dWeight);
        int taps = s.k();
        long reduction = (long) s.n() * s.pixels();
        long tiles = (long) ((taps + 63) / 64) * ((s.o() + 63) / 64);
        // Split the long reduction so that about two blocks per multiprocessor run, each over at least 256 terms.
        long splits = Math.max(1, Math.min((2L * runtime.multiprocessors() + tiles - 1) / tiles, reduction / 256));
        splits = Math.min(splits, 65535);
        long chunk = ((reduction + splits - 1) / splits + 15) / 16 * 16;
        splits = (reduction + chunk - 1) / chunk;
        long size = (long) s.o() * taps;
        CUdeviceptr partial = runtime.scratch("convPartial", splits * size * Float.BYTES);
        kernel(CudaKernel.CONV2D_BACKWARD_WEIGHT).grid((taps + 63) / 64, (s.o() + 63) / 64, splits)
                .ptr(px).ptr(pd).ptr(partial).ints(dims(s)).i32((int) chunk).launch();
        kernel(CudaKernel.CONV2D_REDUCE_SPLITS).elements(size).ptr(partial).i32((int) splits).i64(size).ptr(pw)
                .launch();
        if (dBias != null) {
            kernel(CudaKernel.CONV2D_BIAS_GRAD).grid(s.o(), 1, 1).ptr(pd).ptr(out(dBias)).i32(s.n()).i32(s.o())
                    .i32(s.pixels()).launch();
        }
    }

    @Override
    public void upsampleNearest2x(Tensor input, Tensor output) {
        int[] d = ConvShape.resample("upsampleNearest2x", "output", output, "input", input, false);
        CUdeviceptr pi = in(input);
        kernel(CudaKernel.UPSAMPLE2X).elements(output.size()).ptr(pi).ptr(out(output)).i32(d[0] * d[1]).i32(d[2])
                .i32(d[3]).launch();
    }

    @Override
    public void upsampleNearest2xBackward(Tensor dOutput, Tensor dInput) {
        int[] d = ConvShape.resample("upsampleNearest2xBackward", "dOutput", dOutput, "dInput", dInput, false);
        CUdeviceptr pd = in(dOutput);
        kernel(CudaKernel.UPSAMPLE2X_BACKWARD).elements(dInput.size()).ptr(pd).ptr(out(dInput)).i32(d[0] * d[1])
                .i32(d[2]).i32(d[3]).launch();
    }

    @Override
    public void avgPool2x2(Tensor input, Tensor output) {
        int[] d = ConvShape.resample("avgPool2x2", "input", input, "output", output, true);
        CUdeviceptr pi = in(input);
        kernel(CudaKernel.AVGPOOL2X2).elements(output.size()).ptr(pi).ptr(out(output)).i32(d[0] * d[1])
                .i32(input.dim(2)).i32(input.dim(3)).launch();
    }

    @Override
    public void avgPool2x2Backward(Tensor dOutput, Tensor dInput) {
        int[] d = ConvShape.resample("avgPool2x2Backward", "dInput", dInput, "dOutput", dOutput, true);
        CUdeviceptr pd = in(dOutput);
        kernel(CudaKernel.AVGPOOL2X2_BACKWARD).elements(dInput.size()).ptr(pd).ptr(out(dInput)).i32(d[0] * d[1])
                .i32(dInput.dim(2)).i32(dInput.dim(3)).launch();
    }

    // ---------------------------------------------------------------- transpose and per-channel bias

    @Override
    protected void transposeKernel(MemorySegment x, MemorySegment out, int batch, int rows, int cols) {
        if (batch == 0 || rows == 0 || cols == 0) {
            return;
        }
        CUdeviceptr px = in(x);
        // 32×32 tiles, block (32, 8); the kernel loops over row tiles and matrices beyond the y/z grid limits.
        long rowTiles = (rows + 31L) / 32;
        kernel(CudaKernel.TRANSPOSE).grid((cols + 31L) / 32, Math.min(rowTiles, 65535), Math.min(batch, 65535))
                .block(32, 8).ptr(px).ptr(out(out)).i32(batch).i32(rows).i32(cols).launch();
    }

    @Override
    protected void addChannelBiasKernel(MemorySegment x, MemorySegment bias, MemorySegment out, int planes,
                                        int spatial) {
        CUdeviceptr px = in(x);
        CUdeviceptr pb = in(bias);
        kernel(CudaKernel.ADD_CHANNEL_BIAS).elements((long) planes * spatial).ptr(px).ptr(pb).ptr(out(out))
                .i32(planes).i32(spatial).launch();
    }

    @Override
    protected void addChannelBiasBackwardKernel(MemorySegment dOut, MemorySegment dBias, int planes, int spatial) {
        if (planes == 0) {
            return;
        }
        CUdeviceptr pd = in(dOut);
        kernel(CudaKernel.ADD_CHANNEL_BIAS_BACKWARD).grid(planes, 1, 1).ptr(pd).ptr(out(dBias)).i32(spatial)
                .launch();
    }

    // ---------------------------------------------------------------- optimizer

    /**
     * One Adam/AdamW step on a parameter, on the device, with the arithmetic of the CPU optimizers
     * ({@code optim.AdaptiveMoments}): {@code g' = g + l2·p}, {@code p' = decayFactor·p},
     * {@code m = β1·m + (1−β1)·g'}, {@code v = β2·v + (1−β2)·g'²},
     * {@code p = p' − stepSize·m/(√v/sqrtBiasCorrection2 + eps)}. All four tensors have the same size.
     */
    public void adamStep(Tensor param, Tensor grad, Tensor m, Tensor v, float l2, float decayFactor, float beta1,
                         float beta2, float stepSize, float sqrtBiasCorrection2, float eps) {
        String[] names = {"param", "grad", "m", "v"};
        Tensor[] all = {param, grad, m, v};
        for (int i = 0; i < all.length; i++) {
            if (all[i] == null) {
                throw new IllegalArgumentException("adamStep: " + names[i] + " is null");
            }
            all[i].requireAlive("adamStep (" + names[i] + ")");
            if (all[i].size() != param.size()) {
                throw new IllegalArgumentException("adamStep: " + names[i] + " " + all[i].shapeString() + " has "
                        + all[i].size() + " elements, param " + param.shapeString() + " has " + param.size());
            }
        }
        CUdeviceptr pg = in(grad);
        CUdeviceptr pp = out(param);
        CUdeviceptr pm = out(m);
        CUdeviceptr pv = out(v);
        long n = param.size();
        kernel(CudaKernel.ADAM).elements(n).ptr(pp).ptr(pg).ptr(pm).ptr(pv).i64(n).f32(l2).f32(decayFactor)
                .f32(beta1).f32(1 - beta1).f32(beta2).f32(1 - beta2).f32(stepSize).f32(sqrtBiasCorrection2).f32(eps)
                .launch();
    }

    // ---------------------------------------------------------------- least squares on host rows

    /**
     * The least-squares passes read the caller's heap {@code double[][]}, which has no device copy, so they run on
     * the CPU (the SIMD kernel). {@link CheckedBackend} hands them the block tensor's host segment, and taking it
     * marks the device copy stale, so the SYRK that follows on the GPU uploads the new block.
     */
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
