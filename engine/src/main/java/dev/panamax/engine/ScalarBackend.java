package dev.panamax.engine;

import dev.panamax.engine.kernel.AttentionShape;
import dev.panamax.engine.kernel.scalar.ScalarAttention;
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
    public void attention(Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, boolean causal, float scale) {
        AttentionShape.Dims d = AttentionShape.forward("attention", q, k, v, out, lse, causal, scale);
        ScalarAttention.forward(q.segment(), k.segment(), v.segment(), out.segment(),
                lse == null ? null : lse.segment(), d.batchHeads(), d.tq(), d.tk(), d.headDim(),
                (long) d.tk() * d.headDim(), causal, scale);
    }

    @Override
    public void attentionBackward(Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, Tensor dOut,
                                  Tensor dQ, Tensor dK, Tensor dV, boolean causal, float scale) {
        AttentionShape.Dims d = AttentionShape.backward("attentionBackward", q, k, v, out, lse, dOut, dQ, dK, dV,
                causal, scale);
        ScalarAttention.backward(q.segment(), k.segment(), v.segment(), out.segment(), lse.segment(),
                dOut.segment(), dQ.segment(), dK.segment(), dV.segment(), d.batchHeads(), d.tq(), d.tk(),
                d.headDim(), causal, scale);
    }

    @Override
    public void attentionDecode(Tensor q, Tensor kNew, Tensor vNew, Tensor kCache, Tensor vCache, int cached,
                                Tensor out, boolean causal, float scale) {
        AttentionShape.Dims d = AttentionShape.decode("attentionDecode", q, kNew, vNew, kCache, vCache, cached, out,
                causal, scale);
        ScalarAttention.decode(q.segment(), kNew.segment(), vNew.segment(), kCache.segment(), vCache.segment(),
                out.segment(), d.batchHeads(), d.tq(), cached, d.maxT(), d.headDim(), causal, scale);
    }

    @Override
    public String toString() {
        return "ScalarBackend";
    }
}
