package dev.panamax.engine.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.panamax.engine.Backend;
import dev.panamax.engine.ScalarBackend;
import dev.panamax.engine.SimdBackend;
import dev.panamax.engine.Tensor;
import dev.panamax.engine.kernel.simd.attention.SimdAttention;
import dev.panamax.engine.parallel.WorkerPool;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The forward pass of the scalar and SIMD backends against the naive double-precision oracle, within the error
 * bound derived in {@link NaiveAttention}, over sequence lengths 1..300 (around the block size 64), head
 * sizes 1..80, causal or not, batch × heads > 1, queries shorter than keys; the SIMD result must be
 * bit-identical on 1, 2 and 3 threads.
 */
class AttentionTest {

    static final int[] LENGTHS = {1, 2, 7, 63, 64, 65, 129, 300};
    static final int[] HEAD_DIMS = {1, 7, 16, 64, 80};

    static WorkerPool[] pools;
    static final Backend SCALAR = new ScalarBackend();

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

    /** One problem; {@code magnitude} scales q, so scores range over about ±magnitude·3. */
    record Case(int batch, int heads, int tq, int tk, int d, boolean causal, float magnitude, long seed) {
        @Override
        public String toString() {
            return "B=" + batch + " H=" + heads + " Tq=" + tq + " Tk=" + tk + " d=" + d + (causal ? " causal" : "")
                    + " |q|~" + magnitude;
        }

        int keyBlocks() {
            return (tk + SimdAttention.BLOCK_K - 1) / SimdAttention.BLOCK_K;
        }
    }

    static Stream<Case> cases() {
        List<Case> cases = new ArrayList<>();
        SplittableRandom random = new SplittableRandom(7);
        for (int t : LENGTHS) {
            for (int d : HEAD_DIMS) {
                for (boolean causal : new boolean[] {false, true}) {
                    // Keep the oracle affordable: several (batch, head) pairs only where they are cheap.
                    int batch = 1 + random.nextInt(2);
                    int heads = 1 + random.nextInt(3);
                    while ((long) batch * heads * t * t * d > 1_500_000 && batch * heads > 1) {
                        if (heads > 1) {
                            heads--;
                        } else {
                            batch--;
                        }
                    }
                    float magnitude = random.nextBoolean() ? 1f : 6f;
                    cases.add(new Case(batch, heads, t, t, d, causal, magnitude, random.nextLong()));
                }
            }
        }
        // Queries shorter than keys (the shape of a prefill continuing a cache), causal and not.
        cases.add(new Case(2, 2, 5, 70, 16, true, 3f, 11));
        cases.add(new Case(1, 3, 64, 129, 64, true, 1f, 12));
        cases.add(new Case(1, 2, 65, 130, 7, false, 6f, 13));
        cases.add(new Case(2, 1, 1, 300, 64, true, 1f, 14));
        return cases.stream();
    }

    static float[] random(SplittableRandom random, int n, float magnitude) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) random.nextDouble(-magnitude, magnitude);
        }
        return x;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void forwardMatchesTheNaiveOracle(Case tc) {
        SplittableRandom random = new SplittableRandom(tc.seed());
        int bh = tc.batch() * tc.heads();
        float[] q = random(random, bh * tc.tq() * tc.d(), tc.magnitude());
        float[] k = random(random, bh * tc.tk() * tc.d(), 1f);
        float[] v = random(random, bh * tc.tk() * tc.d(), 1f);
        float scale = (float) (1 / Math.sqrt(tc.d()));
        NaiveAttention oracle = new NaiveAttention(q, k, v, bh, tc.tq(), tc.tk(), tc.d(), tc.causal(), scale);
        try (Arena arena = Arena.ofShared()) {
            Tensor qt = Tensor.of(arena, q, tc.batch(), tc.heads(), tc.tq(), tc.d());
            Tensor kt = Tensor.of(arena, k, tc.batch(), tc.heads(), tc.tk(), tc.d());
            Tensor vt = Tensor.of(arena, v, tc.batch(), tc.heads(), tc.tk(), tc.d());
            Tensor out = Tensor.zeros(arena, tc.batch(), tc.heads(), tc.tq(), tc.d());
            Tensor lse = Tensor.zeros(arena, tc.batch(), tc.heads(), tc.tq());

            SCALAR.attention(qt, kt, vt, out, lse, tc.causal(), scale);
            oracle.assertForward(tc + " scalar", out.toArray(), lse.toArray(), 1);

            float[] firstOut = null;
            float[] firstLse = null;
            for (WorkerPool pool : pools) {
                out.fill(Float.NaN);
                lse.fill(Float.NaN);
                new SimdBackend(pool).attention(qt, kt, vt, out, lse, tc.causal(), scale);
                float[] o = out.toArray();
                float[] l = lse.toArray();
                oracle.assertForward(tc + " simd threads=" + pool.threads(), o, l, tc.keyBlocks());
                if (firstOut == null) {
                    firstOut = o;
                    firstLse = l;
                } else {
                    assertArrayEquals(firstOut, o, 0f, tc + ": out differs between 1 and " + pool.threads() + " threads");
                    assertArrayEquals(firstLse, l, 0f, tc + ": lse differs between 1 and " + pool.threads() + " threads");
                }
            }
        }
    }
}
