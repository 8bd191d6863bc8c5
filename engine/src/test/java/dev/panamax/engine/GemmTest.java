package dev.panamax.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.panamax.engine.parallel.WorkerPool;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The SIMD GEMM against the scalar reference over random shapes, transposes, scalars and thread counts. */
class GemmTest {

    private static final int[] DIMS = {1, 2, 3, 7, 15, 16, 17, 31, 33, 63, 64, 65, 127, 129, 255, 257, 1000};
    /** Keeps the scalar reference affordable in CI; 1000 still appears, with small partners. */
    private static final long MAX_WORK = 12_000_000L;

    private static final ScalarBackend SCALAR = new ScalarBackend();
    private static WorkerPool[] pools;

    @BeforeAll
    static void startPools() {
        pools = new WorkerPool[] {new WorkerPool(1), new WorkerPool(2), new WorkerPool(3)};
    }

    @AfterAll
    static void stopPools() {
        for (WorkerPool pool : pools) {
            pool.close();
        }
    }

    record Case(Transpose transA, Transpose transB, int m, int n, int k, float alpha, float beta, int ldPad,
                long seed) {
        @Override
        public String toString() {
            return "op(A)=" + transA + " op(B)=" + transB + " m=" + m + " n=" + n + " k=" + k + " alpha=" + alpha
                    + " beta=" + beta + " ldPad=" + ldPad;
        }
    }

    static Stream<Arguments> randomCases() {
        SplittableRandom random = new SplittableRandom(20261129);
        List<Arguments> cases = new ArrayList<>();
        float[] alphas = {1f, -0.75f, 2.5f};
        float[] betas = {0f, 1f, 0.5f, -1.25f};
        for (Transpose ta : Transpose.values()) {
            for (Transpose tb : Transpose.values()) {
                int made = 0;
                while (made < 18) {
                    int m = DIMS[random.nextInt(DIMS.length)];
                    int n = DIMS[random.nextInt(DIMS.length)];
                    int k = DIMS[random.nextInt(DIMS.length)];
                    if ((long) m * n * k > MAX_WORK) {
                        continue;
                    }
                    cases.add(Arguments.of(new Case(ta, tb, m, n, k, alphas[made % alphas.length],
                            betas[made % betas.length], made % 3 == 0 ? 0 : 1 + random.nextInt(9),
                            random.nextLong())));
                    made++;
                }
            }
        }
        // Shapes that take the special paths: matrix-vector both ways, dot product, one micro-tile, K = 1.
        int[][] fixed = {{1, 1, 1}, {1, 2304, 768}, {1000, 1, 257}, {1, 1, 1000}, {6, 16, 5}, {8, 32, 3},
                {257, 255, 1}, {768, 65, 128}, {129, 1000, 17}};
        for (int[] mnk : fixed) {
            for (Transpose ta : Transpose.values()) {
                for (Transpose tb : Transpose.values()) {
                    cases.add(Arguments.of(new Case(ta, tb, mnk[0], mnk[1], mnk[2], 1.5f, 0.25f, 3, mnk[0] * 31L + mnk[2])));
                }
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("randomCases")
    void simdMatchesScalarOnEveryThreadCount(Case tc) {
        boolean ta = tc.transA() == Transpose.T;
        boolean tb = tc.transB() == Transpose.T;
        int aRows = ta ? tc.k() : tc.m();
        int aCols = ta ? tc.m() : tc.k();
        int bRows = tb ? tc.n() : tc.k();
        int bCols = tb ? tc.k() : tc.n();
        int lda = aCols + tc.ldPad();
        int ldb = bCols + tc.ldPad();
        int ldc = tc.n() + tc.ldPad();
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
            float[] reference = expected.toArray();

            float[] firstSimd = null;
            for (WorkerPool pool : pools) {
                Tensor actual = Tensor.of(arena, c0, c0.length);
                new SimdBackend(pool).gemm(tc.transA(), tc.transB(), tc.m(), tc.n(), tc.k(), tc.alpha(), at, 0,
                        lda, bt, 0, ldb, tc.beta(), actual, 0, ldc);
                float[] result = actual.toArray();
                GemmAccuracy.assertWithinBound(tc + " threads=" + pool.threads(), ta, tb, tc.m(), tc.n(), tc.k(),
                        tc.alpha(), a, lda, b, ldb, tc.beta(), c0, reference, result, ldc);
                if (firstSimd == null) {
                    firstSimd = result;
                } else {
                    assertArrayEquals(firstSimd, result, 0f,
                            tc + ": the result must be bit-identical for 1 and " + pool.threads() + " threads");
                }
            }
        }
    }

    @Test
    void betaZeroIgnoresNaNInC() {
        try (Arena arena = Arena.ofShared(); WorkerPool pool = new WorkerPool(2)) {
            Tensor a = Tensor.randn(arena, 1, 70, 40);
            Tensor b = Tensor.randn(arena, 2, 40, 50);
            Tensor c = Tensor.zeros(arena, 70, 50);
            c.fill(Float.NaN);
            new SimdBackend(pool).matmul(a, b, c);
            Tensor reference = Tensor.zeros(arena, 70, 50);
            SCALAR.matmul(a, b, reference);
            for (float v : c.toArray()) {
                assertEquals(false, Float.isNaN(v), "beta = 0 must not read C");
            }
        }
    }

    @Test
    void stridedBatchedMatchesOneGemmPerEntry() {
        int batch = 5;
        int m = 33;
        int n = 17;
        int k = 64;
        try (Arena arena = Arena.ofShared(); WorkerPool pool = new WorkerPool(2)) {
            Tensor a = Tensor.randn(arena, 3, batch, m, k);
            Tensor b = Tensor.randn(arena, 4, batch, n, k);   // used transposed, as K in attention scores
            Tensor c = Tensor.randn(arena, 5, batch, m, n);
            Tensor expected = Tensor.of(arena, c.toArray(), batch, m, n);
            SimdBackend simd = new SimdBackend(pool);
            simd.gemmStridedBatched(Transpose.N, Transpose.T, m, n, k, 0.125f, a, 0, k, (long) m * k, b, 0, k,
                    (long) n * k, 0.5f, c, 0, n, (long) m * n, batch);
            for (int i = 0; i < batch; i++) {
                SCALAR.gemm(Transpose.N, Transpose.T, m, n, k, 0.125f, a, (long) i * m * k, k, b, (long) i * n * k,
                        k, 0.5f, expected, (long) i * m * n, n);
            }
            float[] want = expected.toArray();
            float[] got = c.toArray();
            for (int i = 0; i < want.length; i++) {
                assertEquals(want[i], got[i], 1e-4f * (1 + Math.abs(want[i])), "element " + i);
            }
            // The same batched call on one thread gives the same bits.
            Tensor again = Tensor.of(arena, expected.toArray(), batch, m, n);
            try (WorkerPool one = new WorkerPool(1)) {
                Tensor c1 = Tensor.randn(arena, 5, batch, m, n);
                new SimdBackend(one).gemmStridedBatched(Transpose.N, Transpose.T, m, n, k, 0.125f, a, 0, k,
                        (long) m * k, b, 0, k, (long) n * k, 0.5f, c1, 0, n, (long) m * n, batch);
                assertArrayEquals(got, c1.toArray(), 0f);
            }
            assertEquals(want.length, again.size());
        }
    }

    /**
     * Batched GEMMs big enough to be multi-threaded on their own (m·n·k above the parallel threshold), with more
     * entries than threads: each thread takes whole entries, and each entry must then run on that thread alone.
     * (Regression: the entries were handed the pool again, ran their parts inline one after the other, and their
     * barriers paired with the other thread's, so a part computed with B panels not yet packed.)
     */
    @Test
    void stridedBatchedWithLargeEntriesOnSeveralThreads() {
        int batch = 4;
        int m = 64;
        int n = 96;
        int k = 48;
        try (Arena arena = Arena.ofShared()) {
            Tensor a = Tensor.randn(arena, 13, batch, m, k);
            Tensor b = Tensor.randn(arena, 14, batch, n, k);
            Tensor expected = Tensor.zeros(arena, batch, m, n);
            for (int i = 0; i < batch; i++) {
                SCALAR.gemm(Transpose.N, Transpose.T, m, n, k, 1f, a, (long) i * m * k, k, b, (long) i * n * k, k,
                        0f, expected, (long) i * m * n, n);
            }
            float[] want = expected.toArray();
            for (WorkerPool pool : pools) {
                Tensor c = Tensor.zeros(arena, batch, m, n);
                new SimdBackend(pool).gemmStridedBatched(Transpose.N, Transpose.T, m, n, k, 1f, a, 0, k, (long) m * k,
                        b, 0, k, (long) n * k, 0f, c, 0, n, (long) m * n, batch);
                float[] got = c.toArray();
                for (int i = 0; i < want.length; i++) {
                    assertEquals(want[i], got[i], 1e-4f * (1 + Math.abs(want[i])), "threads=" + pool.threads()
                            + ", element " + i);
                }
            }
        }
    }

    @Test
    void subMatrixViewsThroughOffsetsAndLeadingDimensions() {
        // C[2:5, 1:4] = A[1:4, 0:6] · B[0:6, 3:6] inside larger matrices.
        try (Arena arena = Arena.ofShared(); WorkerPool pool = new WorkerPool(2)) {
            Tensor a = Tensor.randn(arena, 7, 8, 10);
            Tensor b = Tensor.randn(arena, 8, 6, 9);
            Tensor c = Tensor.zeros(arena, 7, 11);
            new SimdBackend(pool).gemm(Transpose.N, Transpose.N, 3, 3, 6, 1f, a, 10, 10, b, 3, 9, 0f, c, 2 * 11 + 1, 11);
            for (int i = 0; i < 7; i++) {
                for (int j = 0; j < 11; j++) {
                    float want = 0f;
                    if (i >= 2 && i < 5 && j >= 1 && j < 4) {
                        for (int p = 0; p < 6; p++) {
                            want += a.get(i - 1, p) * b.get(p, j + 2);
                        }
                    }
                    assertEquals(want, c.get(i, j), 1e-5f, "C[" + i + "," + j + "]");
                }
            }
        }
    }

    private static float[] randomArray(SplittableRandom random, int size) {
        float[] x = new float[size];
        for (int i = 0; i < size; i++) {
            x[i] = (float) random.nextDouble(-1, 1);
        }
        return x;
    }
}
