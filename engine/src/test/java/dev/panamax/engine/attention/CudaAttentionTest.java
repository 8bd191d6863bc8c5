package dev.panamax.engine.attention;

import static dev.panamax.engine.attention.AttentionBackwardTest.toFloat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.panamax.engine.ScalarBackend;
import dev.panamax.engine.Tensor;
import dev.panamax.engine.attention.AttentionTest.Case;
import dev.panamax.engine.cuda.CudaBackend;
import dev.panamax.engine.cuda.CudaTestSupport;
import java.lang.foreign.Arena;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The CUDA flash-attention kernels against the double-precision oracle, with the bounds the CPU kernels meet, over
 * the shapes of {@link AttentionTest} (plus head sizes around the two kernel instances, 64 and 128, and one above,
 * which runs on the CPU); and decode steps against the scalar reference. Skipped without a GPU.
 */
class CudaAttentionTest {

    /** The smaller tile of the CUDA kernels: the bound's key-block count uses the larger number of blocks. */
    private static final int CUDA_BLOCK_K = 32;

    private static CudaBackend cuda;

    @BeforeAll
    static void device() {
        cuda = CudaTestSupport.backendOrSkip();
    }

    static Stream<Case> cases() {
        return Stream.concat(AttentionTest.cases(), Stream.of(
                new Case(1, 2, 65, 65, 96, true, 2f, 21),
                new Case(2, 1, 33, 97, 128, false, 1f, 22),
                new Case(1, 1, 70, 70, 128, true, 6f, 23),
                new Case(1, 1, 40, 40, 129, true, 1f, 24),
                new Case(3, 4, 130, 130, 32, true, 1f, 25)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void forwardMatchesTheOracle(Case tc) {
        SplittableRandom random = new SplittableRandom(tc.seed());
        int bh = tc.batch() * tc.heads();
        float[] q = AttentionTest.random(random, bh * tc.tq() * tc.d(), tc.magnitude());
        float[] k = AttentionTest.random(random, bh * tc.tk() * tc.d(), 1f);
        float[] v = AttentionTest.random(random, bh * tc.tk() * tc.d(), 1f);
        float scale = (float) (1 / Math.sqrt(tc.d()));
        NaiveAttention oracle = new NaiveAttention(q, k, v, bh, tc.tq(), tc.tk(), tc.d(), tc.causal(), scale);
        try (Arena arena = Arena.ofShared()) {
            Tensor qt = Tensor.of(arena, q, tc.batch(), tc.heads(), tc.tq(), tc.d());
            Tensor kt = Tensor.of(arena, k, tc.batch(), tc.heads(), tc.tk(), tc.d());
            Tensor vt = Tensor.of(arena, v, tc.batch(), tc.heads(), tc.tk(), tc.d());
            Tensor out = Tensor.zeros(arena, tc.batch(), tc.heads(), tc.tq(), tc.d());
            Tensor lse = Tensor.zeros(arena, tc.batch(), tc.heads(), tc.tq());
            out.fill(Float.NaN);
            cuda.attention(qt, kt, vt, out, lse, tc.causal(), scale);
            int keyBlocks = (tc.tk() + CUDA_BLOCK_K - 1) / CUDA_BLOCK_K;
            oracle.assertForward(tc + " cuda", out.toArray(), lse.toArray(), keyBlocks);
            // Without lse (inference).
            Tensor out2 = Tensor.zeros(arena, tc.batch(), tc.heads(), tc.tq(), tc.d());
            cuda.attention(qt, kt, vt, out2, null, tc.causal(), scale);
            oracle.assertForward(tc + " cuda without lse", out2.toArray(), null, keyBlocks);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void gradientsMatchTheOracle(Case tc) {
        SplittableRandom random = new SplittableRandom(tc.seed());
        int bh = tc.batch() * tc.heads();
        float[] q = AttentionTest.random(random, bh * tc.tq() * tc.d(), tc.magnitude());
        float[] k = AttentionTest.random(random, bh * tc.tk() * tc.d(), 1f);
        float[] v = AttentionTest.random(random, bh * tc.tk() * tc.d(), 1f);
        float[] dOut = AttentionTest.random(random, bh * tc.tq() * tc.d(), 1f);
        float scale = (float) (1 / Math.sqrt(tc.d()));
        NaiveAttention oracle = new NaiveAttention(q, k, v, bh, tc.tq(), tc.tk(), tc.d(), tc.causal(), scale);
        double[] dOutD = NaiveAttention.toDouble(dOut);
        NaiveAttention.Gradients exact = oracle.gradients(dOutD);
        int[] qShape = {tc.batch(), tc.heads(), tc.tq(), tc.d()};
        int[] kShape = {tc.batch(), tc.heads(), tc.tk(), tc.d()};
        try (Arena arena = Arena.ofShared()) {
            Tensor qt = Tensor.of(arena, q, qShape);
            Tensor kt = Tensor.of(arena, k, kShape);
            Tensor vt = Tensor.of(arena, v, kShape);
            Tensor out = Tensor.of(arena, toFloat(oracle.out), qShape);
            Tensor lse = Tensor.of(arena, toFloat(oracle.lse), tc.batch(), tc.heads(), tc.tq());
            Tensor dOutT = Tensor.of(arena, dOut, qShape);
            Tensor dq = Tensor.zeros(arena, qShape);
            Tensor dk = Tensor.zeros(arena, kShape);
            Tensor dv = Tensor.zeros(arena, kShape);
            dq.fill(Float.NaN);   // overwritten, not accumulated
            dk.fill(Float.NaN);
            dv.fill(Float.NaN);
            cuda.attentionBackward(qt, kt, vt, out, lse, dOutT, dq, dk, dv, tc.causal(), scale);
            oracle.assertBackward(tc + " cuda", dOutD, exact, dq.toArray(), dk.toArray(), dv.toArray());
        }
    }

    @Test
    void decodeStepsMatchTheScalarReference() {
        ScalarBackend scalar = new ScalarBackend();
        int batch = 2;
        int heads = 3;
        int maxT = 80;
        for (int d : new int[] {16, 64, 100}) {
            for (boolean causal : new boolean[] {true, false}) {
                SplittableRandom random = new SplittableRandom(d * 31L + (causal ? 1 : 0));
                try (Arena arena = Arena.ofShared()) {
                    Tensor kCache = Tensor.zeros(arena, batch, heads, maxT, d);
                    Tensor vCache = Tensor.zeros(arena, batch, heads, maxT, d);
                    Tensor kWant = Tensor.zeros(arena, batch, heads, maxT, d);
                    Tensor vWant = Tensor.zeros(arena, batch, heads, maxT, d);
                    int cached = 0;
                    // A prompt of 37 positions, then single tokens, then a chunk of 5.
                    for (int step : new int[] {37, 1, 1, 5, 1}) {
                        int n = batch * heads * step * d;
                        Tensor q = Tensor.of(arena, AttentionTest.random(random, n, 2f), batch, heads, step, d);
                        Tensor kNew = Tensor.of(arena, AttentionTest.random(random, n, 1f), batch, heads, step, d);
                        Tensor vNew = Tensor.of(arena, AttentionTest.random(random, n, 1f), batch, heads, step, d);
                        Tensor out = Tensor.zeros(arena, batch, heads, step, d);
                        Tensor want = Tensor.zeros(arena, batch, heads, step, d);
                        float scale = (float) (1 / Math.sqrt(d));
                        cuda.attentionDecode(q, kNew, vNew, kCache, vCache, cached, out, causal, scale);
                        scalar.attentionDecode(q, kNew, vNew, kWant, vWant, cached, want, causal, scale);
                        cached += step;
                        assertNear("d=" + d + " causal=" + causal + " step to " + cached, want.toArray(),
                                out.toArray(), 2e-5);
                    }
                    assertEquals(0f, compare(kWant.toArray(), kCache.toArray()), "the key cache holds the new keys");
                    assertEquals(0f, compare(vWant.toArray(), vCache.toArray()), "the value cache holds the new values");
                }
            }
        }
    }

    private static float compare(float[] a, float[] b) {
        float worst = 0;
        for (int i = 0; i < a.length; i++) {
            worst = Math.max(worst, Math.abs(a[i] - b[i]));
        }
        return worst;
    }

    private static void assertNear(String what, float[] want, float[] got, double tolerance) {
        for (int i = 0; i < want.length; i++) {
            if (!(Math.abs(want[i] - got[i]) <= tolerance * (1 + Math.abs(want[i])))) {
                fail(what + ": element " + i + " is " + got[i] + ", scalar reference " + want[i]);
            }
        }
    }
}
