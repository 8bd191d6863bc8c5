package dev.panamax.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panamax.engine.parallel.WorkerPool;
import java.lang.foreign.Arena;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
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

/**
 * SYRK (lower triangle of {@code alpha·op(A)·op(A)ᵀ + beta·C}): the SIMD kernel against the scalar reference
 * over random shapes, both transposes and thread counts, and the scalar reference against the GEMM it replaces.
 */
class SyrkTest {

    private static final int[] DIMS = {1, 2, 3, 7, 15, 16, 17, 31, 33, 63, 64, 65, 127, 129, 257, 1000};
    private static final long MAX_WORK = 6_000_000L;
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

    record Case(Transpose trans, int n, int k, float alpha, float beta, int ldPad, long seed) {
        @Override
        public String toString() {
            return "op(A)=" + trans + " n=" + n + " k=" + k + " alpha=" + alpha + " beta=" + beta + " ldPad=" + ldPad;
        }
    }

    static Stream<Arguments> randomCases() {
        SplittableRandom random = new SplittableRandom(20261130);
        List<Arguments> cases = new ArrayList<>();
        float[] alphas = {1f, -0.5f, 2f};
        float[] betas = {0f, 1f, 0.75f};
        for (Transpose trans : Transpose.values()) {
            int made = 0;
            while (made < 24) {
                int n = DIMS[random.nextInt(DIMS.length)];
                int k = DIMS[random.nextInt(DIMS.length)];
                if ((long) n * n * k > MAX_WORK) {
                    continue;
                }
                cases.add(Arguments.of(new Case(trans, n, k, alphas[made % 3], betas[made % 3],
                        made % 2 == 0 ? 0 : 1 + random.nextInt(7), random.nextLong())));
                made++;
            }
            // The regression Gram's shape (a block of rows × 64 features, and 65 with a GEMV tail column).
            cases.add(Arguments.of(new Case(trans, 64, 1024, 1f, 0f, 0, 64)));
            cases.add(Arguments.of(new Case(trans, 65, 300, 1f, 1f, 2, 65)));
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("randomCases")
    void simdLowerTriangleMatchesTheScalarReference(Case tc) {
        boolean t = tc.trans() == Transpose.T;
        int rows = t ? tc.k() : tc.n();
        int cols = t ? tc.n() : tc.k();
        int lda = cols + tc.ldPad();
        int ldc = tc.n() + tc.ldPad();
        SplittableRandom random = new SplittableRandom(tc.seed());
        float[] a = randomArray(random, rows * lda);
        float[] c0 = randomArray(random, tc.n() * ldc);
        try (Arena arena = Arena.ofShared()) {
            Tensor at = Tensor.of(arena, a, a.length);
            Tensor expected = Tensor.of(arena, c0, c0.length);
            SCALAR.syrk(tc.trans(), tc.n(), tc.k(), tc.alpha(), at, 0, lda, tc.beta(), expected, 0, ldc);
            float[] reference = expected.toArray();
            float[] first = null;
            for (WorkerPool pool : pools) {
                Tensor actual = Tensor.of(arena, c0, c0.length);
                new SimdBackend(pool).syrk(tc.trans(), tc.n(), tc.k(), tc.alpha(), at, 0, lda, tc.beta(), actual, 0,
                        ldc);
                float[] result = actual.toArray();
                // Only the lower triangle is defined: take the reference's upper triangle, then compare everything
                // (the bound check also catches writes past each row's width).
                float[] lower = result.clone();
                for (int i = 0; i < tc.n(); i++) {
                    for (int j = i + 1; j < tc.n(); j++) {
                        lower[i * ldc + j] = reference[i * ldc + j];
                    }
                }
                GemmAccuracy.assertWithinBound(tc + " threads=" + pool.threads(), t, !t, tc.n(), tc.n(), tc.k(),
                        tc.alpha(), a, lda, a, lda, tc.beta(), c0, reference, lower, ldc);
                if (first == null) {
                    first = result;
                } else {
                    assertArrayEquals(first, result, 0f, tc + ": bit-identical for 1 and " + pool.threads() + " threads");
                }
            }
        }
    }

    @Test
    void scalarReferenceIsTheGemmsLowerTriangleAndLeavesTheUpperOne() {
        int n = 37;
        int k = 53;
        try (Arena arena = Arena.ofShared()) {
            for (Transpose trans : Transpose.values()) {
                Tensor a = Tensor.randn(arena, 3, trans == Transpose.T ? k : n, trans == Transpose.T ? n : k);
                Tensor c = Tensor.randn(arena, 4, n, n);
                float[] before = c.toArray();
                Tensor viaGemm = Tensor.of(arena, before, n, n);
                SCALAR.syrk(trans, n, k, 0.5f, a, 0, a.dim(1), 2f, c, 0, n);
                // The interface's default runs the full GEMM; its lower triangle is the same result.
                defaultSyrkOver(SCALAR).syrk(trans, n, k, 0.5f, a, 0, a.dim(1), 2f, viaGemm, 0, n);
                float[] got = c.toArray();
                float[] full = viaGemm.toArray();
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < n; j++) {
                        float want = j <= i ? full[i * n + j] : before[i * n + j];
                        assertEquals(want, got[i * n + j], 0f, trans + ": C[" + i + "," + j + "]");
                    }
                }
            }
        }
    }

    /** A backend that runs {@code delegate}'s operations but the interface's default {@code syrk}. */
    private static Backend defaultSyrkOver(Backend delegate) {
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                (proxy, method, args) -> method.getName().equals("syrk")
                        ? InvocationHandler.invokeDefault(proxy, method, args)
                        : method.invoke(delegate, args));
    }

    @Test
    void badShapesNameTheOperation() {
        try (Arena arena = Arena.ofShared()) {
            Tensor a = Tensor.zeros(arena, 10, 4);
            Tensor c = Tensor.zeros(arena, 4, 4);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new SimdBackend().syrk(Transpose.T, 4, 11, 1f, a, 0, 4, 0f, c, 0, 4));
            assertTrue(e.getMessage().startsWith("syrk"), e.getMessage());
            IllegalArgumentException ld = assertThrows(IllegalArgumentException.class,
                    () -> new SimdBackend().syrk(Transpose.T, 4, 10, 1f, a, 0, 4, 0f, c, 0, 3));
            assertTrue(ld.getMessage().startsWith("syrk"), ld.getMessage());
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
