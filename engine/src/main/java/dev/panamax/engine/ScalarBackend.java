package dev.panamax.engine;

import dev.panamax.engine.kernel.GemmShape;
import dev.panamax.engine.kernel.scalar.ScalarGemm;

/** The reference backend: plain single-threaded loops, obviously correct; the oracle for every other backend. */
public final class ScalarBackend implements Backend {

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public void gemm(Transpose transA, Transpose transB, int m, int n, int k,
                     float alpha, Tensor a, long aOffset, int lda, Tensor b, long bOffset, int ldb,
                     float beta, Tensor c, long cOffset, int ldc) {
        GemmShape.check("gemm", transA, transB, m, n, k, a, aOffset, lda, 0, b, bOffset, ldb, 0,
                c, cOffset, ldc, 0, 1);
        ScalarGemm.gemm(transA.isTransposed(), transB.isTransposed(), m, n, k, alpha, a.segment(), aOffset, lda,
                b.segment(), bOffset, ldb, beta, c.segment(), cOffset, ldc);
    }

    @Override
    public void gemmStridedBatched(Transpose transA, Transpose transB, int m, int n, int k,
                                   float alpha, Tensor a, long aOffset, int lda, long strideA,
                                   Tensor b, long bOffset, int ldb, long strideB,
                                   float beta, Tensor c, long cOffset, int ldc, long strideC, int batch) {
        GemmShape.check("gemmStridedBatched", transA, transB, m, n, k, a, aOffset, lda, strideA, b, bOffset, ldb,
                strideB, c, cOffset, ldc, strideC, batch);
        for (int i = 0; i < batch; i++) {
            ScalarGemm.gemm(transA.isTransposed(), transB.isTransposed(), m, n, k, alpha,
                    a.segment(), aOffset + i * strideA, lda, b.segment(), bOffset + i * strideB, ldb,
                    beta, c.segment(), cOffset + i * strideC, ldc);
        }
    }

    @Override
    public String toString() {
        return "ScalarBackend";
    }
}
