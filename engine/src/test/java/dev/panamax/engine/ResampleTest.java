package dev.panamax.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.panamax.engine.parallel.WorkerPool;
import java.lang.foreign.Arena;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * SIMD 2× upsampling and 2×2 average pooling against the scalar reference. Both sum a window in the same order
 * and scale by 0.25 (exact), so they must agree bit for bit, on every thread count; sizes cover rows shorter than
 * a vector, vector tails and odd pooled sizes. Backward calls start from non-zero gradients (accumulation).
 */
class ResampleTest {

    private static final int[] SIZES = {1, 2, 3, 7, 8, 9, 15, 16, 17, 33};
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

    @Test
    void upsamplingMatchesTheScalarReferenceBitForBit() {
        SplittableRandom random = new SplittableRandom(11);
        try (Arena arena = Arena.ofShared()) {
            for (int h : SIZES) {
                for (int w : SIZES) {
                    int n = 1 + random.nextInt(2);
                    int c = 1 + random.nextInt(40);
                    Tensor x = Tensor.of(arena, ConvTest.uniform(random, n, c, h, w), n, c, h, w);
                    Tensor g = Tensor.of(arena, ConvTest.uniform(random, n, c, 2 * h, 2 * w), n, c, 2 * h, 2 * w);
                    float[] d0 = ConvTest.uniform(random, n, c, h, w);
                    Tensor want = Tensor.zeros(arena, n, c, 2 * h, 2 * w);
                    SCALAR.upsampleNearest2x(x, want);
                    Tensor wantD = Tensor.of(arena, d0, n, c, h, w);
                    SCALAR.upsampleNearest2xBackward(g, wantD);
                    for (WorkerPool pool : pools) {
                        SimdBackend simd = new SimdBackend(pool);
                        String what = "[" + n + ", " + c + ", " + h + ", " + w + "] on " + pool.threads() + " threads";
                        Tensor got = Tensor.zeros(arena, n, c, 2 * h, 2 * w);
                        got.fill(Float.NaN);
                        simd.upsampleNearest2x(x, got);
                        assertArrayEquals(want.toArray(), got.toArray(), 0f, "upsampleNearest2x " + what);
                        Tensor gotD = Tensor.of(arena, d0, n, c, h, w);
                        simd.upsampleNearest2xBackward(g, gotD);
                        assertArrayEquals(wantD.toArray(), gotD.toArray(), 0f, "upsampleNearest2xBackward " + what);
                    }
                }
            }
        }
    }

    @Test
    void averagePoolingMatchesTheScalarReferenceBitForBit() {
        SplittableRandom random = new SplittableRandom(12);
        int[] bigSizes = {2, 3, 4, 7, 15, 16, 17, 18, 33, 34};
        try (Arena arena = Arena.ofShared()) {
            for (int bh : bigSizes) {
                for (int bw : bigSizes) {
                    int n = 1 + random.nextInt(2);
                    int c = 1 + random.nextInt(40);
                    int h = bh / 2;
                    int w = bw / 2;
                    Tensor x = Tensor.of(arena, ConvTest.uniform(random, n, c, bh, bw), n, c, bh, bw);
                    Tensor g = Tensor.of(arena, ConvTest.uniform(random, n, c, h, w), n, c, h, w);
                    float[] d0 = ConvTest.uniform(random, n, c, bh, bw);
                    Tensor want = Tensor.zeros(arena, n, c, h, w);
                    SCALAR.avgPool2x2(x, want);
                    Tensor wantD = Tensor.of(arena, d0, n, c, bh, bw);
                    SCALAR.avgPool2x2Backward(g, wantD);
                    for (WorkerPool pool : pools) {
                        SimdBackend simd = new SimdBackend(pool);
                        String what = "[" + n + ", " + c + ", " + bh + ", " + bw + "] on " + pool.threads()
                                + " threads";
                        Tensor got = Tensor.zeros(arena, n, c, h, w);
                        got.fill(Float.NaN);
                        simd.avgPool2x2(x, got);
                        assertArrayEquals(want.toArray(), got.toArray(), 0f, "avgPool2x2 " + what);
                        Tensor gotD = Tensor.of(arena, d0, n, c, bh, bw);
                        simd.avgPool2x2Backward(g, gotD);
                        assertArrayEquals(wantD.toArray(), gotD.toArray(), 0f, "avgPool2x2Backward " + what);
                    }
                }
            }
        }
    }

    @Test
    void theReferenceIsWhatTheNamesSay() {
        try (Arena arena = Arena.ofShared()) {
            Tensor x = Tensor.of(arena, new float[] {1, 2, 3, 4, 5, 6}, 1, 1, 2, 3);
            Tensor up = Tensor.zeros(arena, 1, 1, 4, 6);
            SCALAR.upsampleNearest2x(x, up);
            assertArrayEquals(new float[] {1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 4, 4, 5, 5, 6, 6},
                    up.toArray());
            Tensor pooled = Tensor.zeros(arena, 1, 1, 1, 1);
            SCALAR.avgPool2x2(x, pooled);         // 2x3 input: the third column is dropped
            assertArrayEquals(new float[] {3f}, pooled.toArray());
        }
    }
}
