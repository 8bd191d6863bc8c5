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
 * Generation with a KV cache: a prefill followed by steps of one or several tokens gives exactly (bit for bit)
 * the rows of the full causal forward pass, of the same backend; the cache is written in place and positions not
 * yet filled are never read (they hold NaN here, which would poison any result that touched them).
 */
class AttentionDecodeTest {

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
                    assertArrayEquals(rows(want, batch * heads, t, d, cached, nq), out.toArray(), 0f,
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
