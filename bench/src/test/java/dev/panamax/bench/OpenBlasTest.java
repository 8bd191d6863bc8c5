package dev.panamax.bench;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.panamax.engine.ScalarBackend;
import dev.panamax.engine.Tensor;
import dev.panamax.engine.Transpose;
import java.lang.foreign.Arena;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The OpenBLAS binding is what the benchmark report calls "1.00x", so a wrong argument order or transpose code
 * would make every ratio meaningless without any visible failure. These tests hold {@code cblas_sgemm} against the
 * engine's scalar reference on shapes that exercise each argument: both transposes, offsets, leading dimensions
 * wider than the rows, alpha and beta. They are skipped, with the reason, on machines without OpenBLAS.
 */
class OpenBlasTest {

    /** Unit roundoff of float32. */
    private static final double U = Math.ulp(1.0f) / 2;

    @BeforeAll
    static void explainSkipping() {
        if (!OpenBlas.isAvailable()) {
            System.out.println("OpenBlasTest: skipping every test, " + OpenBlas.unavailableReason());
        }
    }

    /** Per test rather than per class, so that each skipped test is counted as skipped in the build summary. */
    @BeforeEach
    void requireOpenBlas() {
        assumeTrue(OpenBlas.isAvailable(), () -> "OpenBLAS is not available: " + OpenBlas.unavailableReason());
    }

    @ParameterizedTest(name = "{0}{1} m={2} n={3} k={4} pad={5} alpha={6} beta={7}")
    @CsvSource({
            // transA, transB, m, n, k, padding added to every leading dimension, alpha, beta
            "N, N,   1,   1,   1, 0, 1.0, 0.0",
            "N, N,  37,  29,  41, 0, 1.0, 0.0",
            "N, T,  16,  33,   7, 3, 1.0, 0.0",
            "T, N,  65,  17, 128, 5, 1.0, 0.0",
            "T, T,  31,  64,  19, 1, 1.0, 0.0",
            "N, N,   1, 257, 300, 7, 1.0, 0.0",
            "T, N, 100,   1,  65, 2, 0.5, 2.0",
            "N, T,  48,  40, 200, 9, -1.5, 0.25",
    })
    void sgemmMatchesScalarBackend(Transpose transA, Transpose transB, int m, int n, int k, int padding,
                                   float alpha, float beta) {
        OpenBlas.setNumThreads(2);
        try (Arena arena = Arena.ofShared()) {
            int aRows = transA == Transpose.N ? m : k;
            int aCols = transA == Transpose.N ? k : m;
            int bRows = transB == Transpose.N ? k : n;
            int bCols = transB == Transpose.N ? n : k;
            int lda = aCols + padding;
            int ldb = bCols + padding;
            int ldc = n + padding;
            // Offsets push every operand off its tensor's first element, so a dropped offset cannot go unnoticed.
            long aOffset = 3;
            long bOffset = 5;
            long cOffset = 2;
            Tensor a = Tensor.randn(arena, 11, (int) (aOffset + (long) aRows * lda));
            Tensor b = Tensor.randn(arena, 12, (int) (bOffset + (long) bRows * ldb));
            Tensor cInitial = Tensor.randn(arena, 13, (int) (cOffset + (long) m * ldc));
            Tensor expected = Tensor.of(arena, cInitial.toArray(), cInitial.shape());
            Tensor actual = Tensor.of(arena, cInitial.toArray(), cInitial.shape());

            new ScalarBackend().gemm(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb,
                    beta, expected, cOffset, ldc);
            OpenBlas.sgemm(transA, transB, m, n, k, alpha, a.segment(), aOffset, lda, b.segment(), bOffset, ldb,
                    beta, actual.segment(), cOffset, ldc);

            float[] av = a.toArray();
            float[] bv = b.toArray();
            float[] c0 = cInitial.toArray();
            float[] want = expected.toArray();
            float[] got = actual.toArray();
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < ldc; j++) {
                    int at = (int) (cOffset + (long) i * ldc + j);
                    if (j >= n) {
                        // Padding between rows of C is not part of the matrix: neither side may touch it.
                        if (Float.floatToRawIntBits(got[at]) != Float.floatToRawIntBits(c0[at])) {
                            fail("OpenBLAS wrote C padding at row " + i + ", column " + j);
                        }
                        continue;
                    }
                    // Standard bound for a K-term dot product in float32 (plus the alpha and beta roundings),
                    // computed in double: each result is within it of the exact value, the two of each other.
                    double magnitude = 0;
                    for (int p = 0; p < k; p++) {
                        double aip = av[(int) (aOffset + (transA == Transpose.N ? (long) i * lda + p : (long) p * lda + i))];
                        double bpj = bv[(int) (bOffset + (transB == Transpose.N ? (long) p * ldb + j : (long) j * ldb + p))];
                        magnitude += Math.abs(aip * bpj);
                    }
                    double bound = (k + 2) * U * (Math.abs(alpha) * magnitude + Math.abs(beta) * Math.abs(c0[at]));
                    double difference = Math.abs((double) got[at] - want[at]);
                    if (!(difference <= 2 * bound)) {
                        fail("C[" + i + "][" + j + "]: OpenBLAS " + got[at] + ", scalar backend " + want[at]
                                + ", difference " + difference + " exceeds " + 2 * bound);
                    }
                }
            }
            // The elements before the offset belong to no matrix either.
            for (int at = 0; at < cOffset; at++) {
                if (Float.floatToRawIntBits(got[at]) != Float.floatToRawIntBits(c0[at])) {
                    fail("OpenBLAS wrote C before its offset, at element " + at);
                }
            }
        }
    }

    @Test
    void rejectsOperandsThatDoNotFitTheirSegment() {
        try (Arena arena = Arena.ofShared()) {
            Tensor a = Tensor.zeros(arena, 4, 4);
            Tensor b = Tensor.zeros(arena, 4, 4);
            Tensor c = Tensor.zeros(arena, 4, 4);
            // A 4x5 A does not fit 16 floats: native code would read past the end, so the binding must refuse.
            assertThrows(IllegalArgumentException.class, () -> OpenBlas.sgemm(Transpose.N, Transpose.N, 4, 4, 5,
                    1f, a.segment(), 0, 5, b.segment(), 0, 4, 0f, c.segment(), 0, 4));
            // A leading dimension below the row width.
            assertThrows(IllegalArgumentException.class, () -> OpenBlas.sgemm(Transpose.N, Transpose.T, 4, 4, 4,
                    1f, a.segment(), 0, 4, b.segment(), 0, 3, 0f, c.segment(), 0, 4));
            // An offset that pushes C past its end.
            assertThrows(IllegalArgumentException.class, () -> OpenBlas.sgemm(Transpose.N, Transpose.N, 4, 4, 4,
                    1f, a.segment(), 0, 4, b.segment(), 0, 4, 0f, c.segment(), 1, 4));
        }
    }
}
