package dev.panamax.engine;

import dev.panamax.engine.kernel.AttentionShape;
import dev.panamax.engine.kernel.simd.attention.SimdAttention;
import dev.panamax.engine.kernel.GemmShape;
import dev.panamax.engine.kernel.simd.gemm.SimdGemm;
import dev.panamax.engine.parallel.WorkerPool;

/**
 * The CPU backend: Vector API kernels on off-heap memory, multi-threaded on a {@link WorkerPool}. Results do not
 * depend on the number of threads.
 */
public final class SimdBackend implements Backend {

    /**
     * For work that already runs inside a pool task: a one-thread pool starts no threads and runs a job inline.
     * (Handing such work the outer pool again runs its parts one after the other on one thread while their
     * barriers pair with the other threads' parts: wrong results.)
     */
    private static final WorkerPool INLINE = new WorkerPool(1);

    private final WorkerPool fixedPool;
    private final SimdGemm gemm = new SimdGemm();

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
    public String toString() {
        return "SimdBackend[" + gemm.blocking() + "]";
    }
}
