package dev.panamax.engine.kernel.simd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panamax.engine.kernel.scalar.ScalarGemm;
import dev.panamax.engine.kernel.simd.gemm.GemmBlocking;
import dev.panamax.engine.kernel.simd.gemm.MicroKernel;
import dev.panamax.engine.kernel.simd.gemm.MicroKernel4x2;
import dev.panamax.engine.kernel.simd.gemm.MicroKernel6x2;
import dev.panamax.engine.kernel.simd.gemm.MicroKernel8x2;
import dev.panamax.engine.kernel.simd.gemm.SimdGemm;
import dev.panamax.engine.parallel.WorkerPool;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every micro-kernel (not only the one this CPU picks: an AVX-512 machine runs 8x2, an AVX2 one 4x2) with tiny
 * cache blocks, so that the MC, KC and NC loops, the shared B panel and the edge tiles all run many times.
 */
class BlockedGemmTest {

    static Stream<MicroKernel> kernels() {
        return Stream.of(new MicroKernel4x2(), new MicroKernel6x2(), new MicroKernel8x2());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernels")
    void tinyBlocksMatchTheScalarReference(MicroKernel kernel) {
        SplittableRandom random = new SplittableRandom(kernel.mr() * 1000L + kernel.nr());
        int[][] shapes = {{2, 2, 1}, {37, 45, 29}, {65, 130, 17}, {3, 200, 64}, {129, 33, 100}};
        try (Arena arena = Arena.ofShared(); WorkerPool two = new WorkerPool(2); WorkerPool one = new WorkerPool(1)) {
            SimdGemm gemm = new SimdGemm(GemmBlocking.of(kernel, 2 * kernel.mr(), 7, 2 * kernel.nr()));
            for (int[] shape : shapes) {
                for (int t = 0; t < 4; t++) {
                    boolean ta = (t & 1) != 0;
                    boolean tb = (t & 2) != 0;
                    int m = shape[0];
                    int n = shape[1];
                    int k = shape[2];
                    MemorySegment a = random(arena, random, (long) m * k);
                    MemorySegment b = random(arena, random, (long) k * n);
                    MemorySegment c0 = random(arena, random, (long) m * n);
                    MemorySegment want = arena.allocate(c0.byteSize(), 64).copyFrom(c0);
                    MemorySegment got1 = arena.allocate(c0.byteSize(), 64).copyFrom(c0);
                    MemorySegment got2 = arena.allocate(c0.byteSize(), 64).copyFrom(c0);
                    int lda = ta ? m : k;
                    int ldb = tb ? k : n;
                    ScalarGemm.gemm(ta, tb, m, n, k, 0.5f, a, 0, lda, b, 0, ldb, 2f, want, 0, n);
                    gemm.gemm(ta, tb, m, n, k, 0.5f, a, 0, lda, b, 0, ldb, 2f, got1, 0, n, one);
                    gemm.gemm(ta, tb, m, n, k, 0.5f, a, 0, lda, b, 0, ldb, 2f, got2, 0, n, two);
                    float[] w = want.toArray(ValueLayout.JAVA_FLOAT);
                    float[] g = got1.toArray(ValueLayout.JAVA_FLOAT);
                    assertArrayEquals(g, got2.toArray(ValueLayout.JAVA_FLOAT), 0f, "1 vs 2 threads must agree bit for bit");
                    for (int i = 0; i < w.length; i++) {
                        // |a|, |b| < 1 and |c| < 1: the bound 2·γ(k+2)·(0.5·k + 2) of GemmAccuracy, simplified.
                        double bound = 2 * (k + 2) * Math.scalb(1.0, -24) / (1 - (k + 2) * Math.scalb(1.0, -24))
                                * (0.5 * k + 2);
                        assertTrue(Math.abs(w[i] - g[i]) <= bound, kernel + " " + m + "x" + n + "x" + k + " ta=" + ta
                                + " tb=" + tb + " element " + i + ": " + g[i] + " vs " + w[i]);
                    }
                }
            }
        }
    }

    private static MemorySegment random(Arena arena, SplittableRandom random, long size) {
        MemorySegment s = arena.allocate(size * Float.BYTES, 64);
        for (long i = 0; i < size; i++) {
            s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) random.nextDouble(-1, 1));
        }
        return s;
    }

    /**
     * {@code multiplyInto} (Winograd's products, written in place) gives the tile {@code multiply} stores with
     * alpha 1 and beta 0, bit for bit, at the given offset of a row-major array of stride NR, and nothing else.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("kernels")
    void multiplyIntoWritesTheSameTileInPlace(MicroKernel kernel) {
        SplittableRandom random = new SplittableRandom(kernel.mr() * 77L + kernel.nr());
        int mr = kernel.mr();
        int nr = kernel.nr();
        for (int kc : new int[] {1, 7, 64}) {
            float[] a = new float[3 + kc * mr];
            float[] b = new float[5 + kc * nr];
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) random.nextDouble(-1, 1);
            }
            for (int i = 0; i < b.length; i++) {
                b[i] = (float) random.nextDouble(-1, 1);
            }
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment c = arena.allocate((long) mr * nr * Float.BYTES, 64);
                kernel.multiply(kc, a, 3, b, 5, 1f, 0f, c, 0, nr, mr, nr, new float[mr * nr]);
                float[] out = new float[11 + mr * nr + 4];
                java.util.Arrays.fill(out, -7f);
                kernel.multiplyInto(kc, a, 3, b, 5, out, 11);
                float[] tile = java.util.Arrays.copyOfRange(out, 11, 11 + mr * nr);
                assertArrayEquals(c.toArray(ValueLayout.JAVA_FLOAT), tile, 0f, kernel + " kc=" + kc);
                for (int i = 0; i < 11; i++) {
                    assertTrue(out[i] == -7f && out[out.length - 1 - i % 4] == -7f, "wrote outside its tile");
                }
            }
        }
    }
}
