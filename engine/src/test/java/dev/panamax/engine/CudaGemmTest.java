package dev.panamax.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import dev.panamax.engine.cuda.CudaBackend;
import dev.panamax.engine.cuda.CudaTestSupport;
import java.lang.foreign.Arena;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The CUDA SGEMM against the scalar reference, over the random shapes, transposes, leading dimensions and
 * scalars of {@link GemmTest}, with the same error bound ({@link GemmAccuracy}); plus offsets that break the
 * 16-byte alignment of the vector loads, strided batches and large tiled sizes. Skipped without a GPU.
 */
class CudaGemmTest {

    private static final ScalarBackend SCALAR = new ScalarBackend();
    private static CudaBackend cuda;

    @BeforeAll
    static void device() {
        cuda = CudaTestSupport.backendOrSkip();
    }

    private static float[] randomArray(SplittableRandom random, int size) {
        float[] x = new float[size];
        for (int i = 0; i < size; i++) {
            x[i] = (float) random.nextDouble(-1, 1);
        }
        return x;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.panamax.engine.GemmTest#randomCases")
    void cudaMatchesScalar(GemmTest.Case tc) {
        boolean ta = tc.transA() == Transpose.T;
        boolean tb = tc.transB() == Transpose.T;
        int aRows = ta ? tc.k() : tc.m();
        int aCols = ta ? tc.m() : tc.k();
        int bRows = tb ? tc.n() : tc.k();
        int bCols = tb ? tc.k() : tc.n();
        int lda = aCols + tc.ldPad();
        int ldb = bCols + tc.ldPad();
        int ldc = tc.n() + tc.ldPad();
        // An offset of 1..3 floats in some cases: rows no longer start on 16 bytes, so the scalar loads run.
        int offset = tc.ldPad() % 4;
        SplittableRandom random = new SplittableRandom(tc.seed());
        float[] a = randomArray(random, aRows * lda);
        float[] b = randomArray(random, bRows * ldb);
        float[] c0 = randomArray(random, tc.m() * ldc);
        try (Arena arena = Arena.ofShared()) {
            Tensor at = Tensor.of(arena, a, a.length);
            Tensor bt = Tensor.of(arena, b, b.length);
            Tensor expected = Tensor.of(arena, c0, c0.length);
            SCALAR.gemm(tc.transA(), tc.transB(), tc.m(), tc.n(), tc.k(), tc.alpha(), at, 0, lda, bt, 0, ldb,
                    tc.beta(), expected, 0, ldc);
            Tensor aShifted = shifted(arena, a, offset);
            Tensor bShifted = shifted(arena, b, offset);
            Tensor actual = shifted(arena, c0, offset);
            cuda.gemm(tc.transA(), tc.transB(), tc.m(), tc.n(), tc.k(), tc.alpha(), aShifted, offset, lda, bShifted,
                    offset, ldb, tc.beta(), actual, offset, ldc);
            float[] got = actual.toArray();
            float[] result = java.util.Arrays.copyOfRange(got, offset, got.length);
            GemmAccuracy.assertWithinBound(tc + " cuda offset=" + offset, ta, tb, tc.m(), tc.n(), tc.k(), tc.alpha(),
                    a, lda, b, ldb, tc.beta(), c0, expected.toArray(), result, ldc);
            for (int i = 0; i < offset; i++) {
                assertFalse(got[i] != 0f, "wrote before the offset");
            }
        }
    }

    /** values after {@code offset} zeros. */
    private static Tensor shifted(Arena arena, float[] values, int offset) {
        float[] v = new float[values.length + offset];
        System.arraycopy(values, 0, v, offset, values.length);
        return Tensor.of(arena, v, v.length);
    }

    @Test
    void largeSquareAndRectangularProductsAcrossManyTiles() {
        int[][] sizes = {{512, 768, 256}, {300, 1000, 129}, {1024, 64, 1024}};
        for (int[] mnk : sizes) {
            for (Transpose ta : Transpose.values()) {
                for (Transpose tb : Transpose.values()) {
                    int m = mnk[0];
                    int n = mnk[1];
                    int k = mnk[2];
                    SplittableRandom random = new SplittableRandom(m * 7L + n);
                    float[] a = randomArray(random, m * k);
                    float[] b = randomArray(random, k * n);
                    float[] c0 = randomArray(random, m * n);
                    int lda = ta == Transpose.T ? m : k;
                    int ldb = tb == Transpose.T ? k : n;
                    try (Arena arena = Arena.ofShared()) {
                        Tensor at = Tensor.of(arena, a, a.length);
                        Tensor bt = Tensor.of(arena, b, b.length);
                        Tensor want = Tensor.of(arena, c0, c0.length);
                        Tensor got = Tensor.of(arena, c0, c0.length);
                        SCALAR.gemm(ta, tb, m, n, k, 0.5f, at, 0, lda, bt, 0, ldb, -1f, want, 0, n);
                        cuda.gemm(ta, tb, m, n, k, 0.5f, at, 0, lda, bt, 0, ldb, -1f, got, 0, n);
                        GemmAccuracy.assertWithinBound(m + "x" + n + "x" + k + " " + ta + tb, ta == Transpose.T,
                                tb == Transpose.T, m, n, k, 0.5f, a, lda, b, ldb, -1f, c0, want.toArray(),
                                got.toArray(), n);
                    }
                }
            }
        }
    }

    @Test
    void stridedBatchesEqualOneGemmPerEntry() {
        int batch = 6;
        int m = 65;
        int n = 33;
        int k = 64;
        try (Arena arena = Arena.ofShared()) {
            Tensor a = Tensor.randn(arena, 3, batch, m, k);
            Tensor b = Tensor.randn(arena, 4, batch, n, k);
            Tensor c = Tensor.randn(arena, 5, batch, m, n);
            Tensor expected = Tensor.of(arena, c.toArray(), batch, m, n);
            cuda.gemmStridedBatched(Transpose.N, Transpose.T, m, n, k, 0.125f, a, 0, k, (long) m * k, b, 0, k,
                    (long) n * k, 0.5f, c, 0, n, (long) m * n, batch);
            for (int i = 0; i < batch; i++) {
                SCALAR.gemm(Transpose.N, Transpose.T, m, n, k, 0.125f, a, (long) i * m * k, k, b, (long) i * n * k,
                        k, 0.5f, expected, (long) i * m * n, n);
            }
            assertClose(expected.toArray(), c.toArray(), 1e-4f);

            // Stride 0 for C: every entry accumulates into the same matrix, in order (beta = 1).
            Tensor sum = Tensor.zeros(arena, m, n);
            Tensor sumExpected = Tensor.zeros(arena, m, n);
            cuda.gemmStridedBatched(Transpose.N, Transpose.T, m, n, k, 1f, a, 0, k, (long) m * k, b, 0, k,
                    (long) n * k, 1f, sum, 0, n, 0, batch);
            for (int i = 0; i < batch; i++) {
                SCALAR.gemm(Transpose.N, Transpose.T, m, n, k, 1f, a, (long) i * m * k, k, b, (long) i * n * k, k,
                        1f, sumExpected, 0, n);
            }
            assertClose(sumExpected.toArray(), sum.toArray(), 1e-4f);

            // Stride 0 for B: one weight matrix shared by every entry (a batched linear layer).
            Tensor shared = Tensor.zeros(arena, batch, m, n);
            Tensor sharedExpected = Tensor.zeros(arena, batch, m, n);
            cuda.gemmStridedBatched(Transpose.N, Transpose.T, m, n, k, 1f, a, 0, k, (long) m * k, b, 0, k, 0, 0f,
                    shared, 0, n, (long) m * n, batch);
            for (int i = 0; i < batch; i++) {
                SCALAR.gemm(Transpose.N, Transpose.T, m, n, k, 1f, a, (long) i * m * k, k, b, 0, k, 0f,
                        sharedExpected, (long) i * m * n, n);
            }
            assertClose(sharedExpected.toArray(), shared.toArray(), 1e-4f);
        }
    }

    @Test
    void betaZeroIgnoresNaNInC() {
        try (Arena arena = Arena.ofShared()) {
            Tensor a = Tensor.randn(arena, 1, 70, 40);
            Tensor b = Tensor.randn(arena, 2, 40, 50);
            Tensor c = Tensor.zeros(arena, 70, 50);
            c.fill(Float.NaN);
            cuda.matmul(a, b, c);
            Tensor reference = Tensor.zeros(arena, 70, 50);
            SCALAR.matmul(a, b, reference);
            assertClose(reference.toArray(), c.toArray(), 1e-4f);
        }
    }

    /** |want − got| ≤ relative·(1 + |want|) element by element. */
    static void assertClose(float[] want, float[] got, float relative) {
        assertEquals(want.length, got.length, "lengths");
        for (int i = 0; i < want.length; i++) {
            if (!(Math.abs(want[i] - got[i]) <= relative * (1 + Math.abs(want[i])))) {
                fail("element " + i + ": want " + want[i] + ", got " + got[i] + " (relative tolerance " + relative
                        + ")");
            }
        }
    }
}
