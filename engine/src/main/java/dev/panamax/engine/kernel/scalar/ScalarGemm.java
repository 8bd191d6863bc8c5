package dev.panamax.engine.kernel.scalar;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The reference GEMM: {@code C = alpha·op(A)·op(B) + beta·C}, row-major with leading dimensions, as plain loops.
 * Each C element is a float sum over k in ascending order. It is the oracle the SIMD and CUDA kernels are tested
 * against, so it stays obviously correct rather than fast. Offsets and leading dimensions count floats.
 */
public final class ScalarGemm {

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    private ScalarGemm() {
    }

    public static void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                            MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb,
                            float beta, MemorySegment c, long cOff, int ldc) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float sum = 0f;
                for (int p = 0; p < k; p++) {
                    float aip = a.getAtIndex(F, transA ? aOff + (long) p * lda + i : aOff + (long) i * lda + p);
                    float bpj = b.getAtIndex(F, transB ? bOff + (long) j * ldb + p : bOff + (long) p * ldb + j);
                    sum += aip * bpj;
                }
                long ci = cOff + (long) i * ldc + j;
                // BLAS semantics: with beta == 0, C is not read, so NaN garbage in C does not leak.
                float old = beta == 0f ? 0f : beta * c.getAtIndex(F, ci);
                c.setAtIndex(F, ci, alpha * sum + old);
            }
        }
    }

    /**
     * The reference SYRK, lower triangle: {@code C[i][j] = alpha·Σ_p op(A)[i][p]·op(A)[j][p] + beta·C[i][j]} for
     * {@code i >= j}, op(A) being {@code n × k}; the strictly upper triangle is not touched.
     */
    public static void syrkLower(boolean trans, int n, int k, float alpha, MemorySegment a, long aOff, int lda,
                                 float beta, MemorySegment c, long cOff, int ldc) {
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                float sum = 0f;
                for (int p = 0; p < k; p++) {
                    float aip = a.getAtIndex(F, trans ? aOff + (long) p * lda + i : aOff + (long) i * lda + p);
                    float ajp = a.getAtIndex(F, trans ? aOff + (long) p * lda + j : aOff + (long) j * lda + p);
                    sum += aip * ajp;
                }
                long ci = cOff + (long) i * ldc + j;
                float old = beta == 0f ? 0f : beta * c.getAtIndex(F, ci);
                c.setAtIndex(F, ci, alpha * sum + old);
            }
        }
    }
}
