package dev.panamax.engine.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panamax.engine.Backend;
import dev.panamax.engine.ScalarBackend;
import dev.panamax.engine.SimdBackend;
import dev.panamax.engine.Tensor;
import dev.panamax.engine.parallel.WorkerPool;
import java.lang.foreign.Arena;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Generation with a KV cache: a prefill followed by steps of one or several tokens gives the rows of the full
 * causal forward pass of the same backend, exactly (bit for bit) except for the SIMD backend's single-token steps
 * (their own kernel, equal within float rounding); the cache is written in place and positions not
 * yet filled are never read (they hold NaN here, which would poison any result that touched them).
 */
class AttentionDecodeTest {

    /**
     * The single-query kernel against the forward pass: both are within a few float ulps of exact attention, whose
     * outputs here are of order one (convex combinations of values in [−1, 1]).
     */
    private static final float SINGLE_QUERY_TOLERANCE = 2e-6f;

    static WorkerPool pool;

    @BeforeAll
    static void startPool() {
        pool = new WorkerPool(2);
    }

    @AfterAll
    static void stopPool() {
        pool.close();
    }

    static Stream<Backend> backends() {
        return Stream.of(new ScalarBackend(), new SimdBackend(pool));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void decodeStepsEqualTheRowsOfTheFullForwardPass(Backend backend) {
        int batch = 2;
        int heads = 3;
        int t = 150;
        int maxT = 200;
        for (int d : new int[] {7, 64}) {
            SplittableRandom random = new SplittableRandom(d);
            float[] q = AttentionTest.random(random, batch * heads * t * d, 2f);
            float[] k = AttentionTest.random(random, batch * heads * t * d, 1f);
            float[] v = AttentionTest.random(random, batch * heads * t * d, 1f);
            float scale = (float) (1 / Math.sqrt(d));
            try (Arena arena = Arena.ofShared()) {
                Tensor full = Tensor.zeros(arena, batch, heads, t, d);
                backend.attention(Tensor.of(arena, q, batch, heads, t, d), Tensor.of(arena, k, batch, heads, t, d),
                        Tensor.of(arena, v, batch, heads, t, d), full, null, true, scale);
                float[] want = full.toArray();

                Tensor kCache = Tensor.zeros(arena, batch, heads, maxT, d);
                Tensor vCache = Tensor.zeros(arena, batch, heads, maxT, d);
                kCache.fill(Float.NaN);
                vCache.fill(Float.NaN);
                long kAddress = kCache.segment().address();
                // A prefill across a block boundary, single tokens, then chunks of several tokens.
                List<Integer> steps = List.of(100, 1, 1, 1, 25, 1, 7, 13, 1);
                int cached = 0;
                for (int nq : steps) {
                    Tensor qNew = Tensor.of(arena, rows(q, batch * heads, t, d, cached, nq), batch, heads, nq, d);
                    Tensor kNew = Tensor.of(arena, rows(k, batch * heads, t, d, cached, nq), batch, heads, nq, d);
                    Tensor vNew = Tensor.of(arena, rows(v, batch * heads, t, d, cached, nq), batch, heads, nq, d);
                    Tensor out = Tensor.zeros(arena, batch, heads, nq, d);
                    backend.attentionDecode(qNew, kNew, vNew, kCache, vCache, cached, out, true, scale);
                    // One new token takes the SIMD backend's single-query kernel, which sums in another order:
                    // equal within float rounding of the scores and of the weighted sum of values (|v| ≤ 1).
                    float tolerance = nq == 1 && backend instanceof SimdBackend ? SINGLE_QUERY_TOLERANCE : 0f;
                    assertArrayEquals(rows(want, batch * heads, t, d, cached, nq), out.toArray(), tolerance,
                            backend.name() + " d=" + d + ": decode of positions " + cached + ".." + (cached + nq - 1)
                                    + " differs from the full forward pass");
                    cached += nq;
                }
                assertEquals(t, cached);
                assertEquals(kAddress, kCache.segment().address(), "the cache is written in place");
                float[] kc = kCache.toArray();
                float[] vc = vCache.toArray();
                for (int h = 0; h < batch * heads; h++) {
                    for (int i = 0; i < maxT; i++) {
                        for (int c = 0; c < d; c++) {
                            int at = (h * maxT + i) * d + c;
                            if (i < t) {
                                assertEquals(k[(h * t + i) * d + c], kc[at], 0f, "kCache position " + i);
                                assertEquals(v[(h * t + i) * d + c], vc[at], 0f, "vCache position " + i);
                            } else {
                                assertTrue(Float.isNaN(kc[at]) && Float.isNaN(vc[at]),
                                        "cache position " + i + " beyond the filled part was written");
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * The SIMD single-query kernel against the scalar reference's decode, over head sizes and cache lengths that
     * are not whole vectors (and shorter than one), causal and not, on one and two threads. The cache beyond the
     * filled rows holds NaN, so reading past them would show.
     */
    @org.junit.jupiter.api.Test
    void singleTokenStepsMatchTheScalarReference() {
        SplittableRandom random = new SplittableRandom(29);
        ScalarBackend scalar = new ScalarBackend();
        try (WorkerPool one = new WorkerPool(1)) {
            for (Backend simd : List.of(new SimdBackend(one), new SimdBackend(pool))) {
                for (int d : new int[] {1, 2, 3, 7, 8, 16, 17, 64, 65, 80}) {
                    for (int cached : new int[] {0, 1, 2, 3, 4, 16, 62, 63, 64, 299}) {
                        int heads = 1 + random.nextInt(3);
                        int maxT = cached + 1 + random.nextInt(3);
                        boolean causal = random.nextBoolean();
                        float[] k = AttentionTest.random(random, heads * cached * d, 1f);
                        float[] v = AttentionTest.random(random, heads * cached * d, 1f);
                        float[] q = AttentionTest.random(random, heads * d, 2f);
                        float[] kNew = AttentionTest.random(random, heads * d, 1f);
                        float[] vNew = AttentionTest.random(random, heads * d, 1f);
                        float scale = (float) (1 / Math.sqrt(d));
                        float[][] results = new float[2][];
                        Backend[] backends = {scalar, simd};
                        for (int b = 0; b < 2; b++) {
                            try (Arena arena = Arena.ofShared()) {
                                Tensor kCache = Tensor.zeros(arena, 1, heads, maxT, d);
                                Tensor vCache = Tensor.zeros(arena, 1, heads, maxT, d);
                                kCache.fill(Float.NaN);
                                vCache.fill(Float.NaN);
                                for (int h = 0; h < heads; h++) {
                                    for (int i = 0; i < cached * d; i++) {
                                        kCache.segment().setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT,
                                                (long) h * maxT * d + i, k[h * cached * d + i]);
                                        vCache.segment().setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT,
                                                (long) h * maxT * d + i, v[h * cached * d + i]);
                                    }
                                }
                                Tensor out = Tensor.zeros(arena, 1, heads, 1, d);
                                backends[b].attentionDecode(Tensor.of(arena, q, 1, heads, 1, d),
                                        Tensor.of(arena, kNew, 1, heads, 1, d), Tensor.of(arena, vNew, 1, heads, 1, d),
                                        kCache, vCache, cached, out, causal, scale);
                                results[b] = out.toArray();
                            }
                        }
                        assertArrayEquals(results[0], results[1], SINGLE_QUERY_TOLERANCE,
                                "d=" + d + " cached=" + cached + " heads=" + heads + " causal=" + causal);
                    }
                }
            }
        }
    }

    /** Non-causal decode: the new queries see the whole cache, including each other. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void nonCausalDecodeEqualsAttentionOverTheFilledCache(Backend backend) {
        int heads = 2;
        int d = 16;
        int cached = 70;
        int nq = 3;
        int maxT = 80;
        SplittableRandom random = new SplittableRandom(5);
        float[] k = AttentionTest.random(random, heads * (cached + nq) * d, 1f);
        float[] v = AttentionTest.random(random, heads * (cached + nq) * d, 1f);
        float[] q = AttentionTest.random(random, heads * nq * d, 3f);
        try (Arena arena = Arena.ofShared()) {
            Tensor kCache = Tensor.zeros(arena, 1, heads, maxT, d);
            Tensor vCache = Tensor.zeros(arena, 1, heads, maxT, d);
            kCache.fill(Float.NaN);
            vCache.fill(Float.NaN);
            float[] kc = kCache.toArray();
            float[] vc = vCache.toArray();
            for (int h = 0; h < heads; h++) {
                System.arraycopy(k, h * (cached + nq) * d, kc, h * maxT * d, cached * d);
                System.arraycopy(v, h * (cached + nq) * d, vc, h * maxT * d, cached * d);
            }
            kCache.copyFrom(kc);
            vCache.copyFrom(vc);
            Tensor qt = Tensor.of(arena, q, 1, heads, nq, d);
            Tensor out = Tensor.zeros(arena, 1, heads, nq, d);
            backend.attentionDecode(qt, Tensor.of(arena, rows(k, heads, cached + nq, d, cached, nq), 1, heads, nq, d),
                    Tensor.of(arena, rows(v, heads, cached + nq, d, cached, nq), 1, heads, nq, d), kCache, vCache,
                    cached, out, false, 0.3f);
            Tensor want = Tensor.zeros(arena, 1, heads, nq, d);
            backend.attention(qt, Tensor.of(arena, k, 1, heads, cached + nq, d),
                    Tensor.of(arena, v, 1, heads, cached + nq, d), want, null, false, 0.3f);
            assertArrayEquals(want.toArray(), out.toArray(), 0f);
        }
    }

    /** Rows {@code [from, from+n)} of every head of a {@code (heads, t, d)} array. */
    static float[] rows(float[] x, int heads, int t, int d, int from, int n) {
        float[] y = new float[heads * n * d];
        for (int h = 0; h < heads; h++) {
            System.arraycopy(x, (h * t + from) * d, y, h * n * d, n * d);
        }
        return y;
    }
}
