package dev.panamax.engine;

import dev.panamax.engine.kernel.ConvShape;
import dev.panamax.engine.kernel.GemmShape;
import dev.panamax.engine.kernel.simd.conv.SimdConv2d;
import dev.panamax.engine.kernel.simd.conv.SimdResample;
import dev.panamax.engine.kernel.simd.gemm.SimdGemm;
import dev.panamax.engine.parallel.WorkerPool;

/**
 * The CPU backend: Vector API kernels on off-heap memory, multi-threaded on a {@link WorkerPool}. Results do not
 * depend on the number of threads.
 */
public final class SimdBackend implements Backend {

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
                            c.segment(), cOffset + i * strideC, ldc, pool);
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
}
