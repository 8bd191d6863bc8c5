package dev.panamax.engine.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panamax.engine.Backend;
import dev.panamax.engine.ScalarBackend;
import dev.panamax.engine.SimdBackend;
import dev.panamax.engine.Tensor;
import dev.panamax.engine.attention.AttentionTest.Case;
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
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The backward pass: both backends against the naive double-precision gradients within the bound derived in
 * {@link NaiveAttention} (SIMD bit-identical on 1, 2 and 3 threads), the oracle's own gradients against finite
 * differences, and each backend's forward + backward pair against finite differences of its forward pass.
 */
class AttentionBackwardTest {

    static final int[] LENGTHS = {1, 2, 7, 64, 65, 129};
    static final int[] HEAD_DIMS = {1, 7, 64, 80};

    static WorkerPool[] pools;

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

    static Stream<Case> cases() {
        List<Case> cases = new ArrayList<>();
        SplittableRandom random = new SplittableRandom(8);
        for (int t : LENGTHS) {
            for (int d : HEAD_DIMS) {
                for (boolean causal : new boolean[] {false, true}) {
                    // Keep the oracle affordable: several (batch, head) pairs only where they are cheap.
                    int batch = 1 + random.nextInt(2);
                    int heads = 1 + random.nextInt(3);
                    while ((long) batch * heads * t * t * d > 400_000 && batch * heads > 1) {
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
        cases.add(new Case(1, 1, 300, 300, 64, true, 1f, 21));
        cases.add(new Case(2, 2, 5, 70, 16, true, 3f, 22));
        cases.add(new Case(1, 3, 64, 129, 64, true, 1f, 23));
        cases.add(new Case(1, 2, 65, 130, 7, false, 6f, 24));
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void gradientsMatchTheNaiveOracle(Case tc) {
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

            new ScalarBackend().attentionBackward(qt, kt, vt, out, lse, dOutT, dq, dk, dv, tc.causal(), scale);
            oracle.assertBackward(tc + " scalar", dOutD, exact, dq.toArray(), dk.toArray(), dv.toArray());

            float[][] first = null;
            for (WorkerPool pool : pools) {
                dq.fill(Float.NaN);
                dk.fill(Float.NaN);
                dv.fill(Float.NaN);
                new SimdBackend(pool).attentionBackward(qt, kt, vt, out, lse, dOutT, dq, dk, dv, tc.causal(), scale);
                float[][] got = {dq.toArray(), dk.toArray(), dv.toArray()};
                oracle.assertBackward(tc + " simd threads=" + pool.threads(), dOutD, exact, got[0], got[1], got[2]);
                if (first == null) {
                    first = got;
                } else {
                    for (int x = 0; x < 3; x++) {
                        assertArrayEquals(first[x], got[x], 0f, tc + ": gradient " + "QKV".charAt(x)
                                + " differs between 1 and " + pool.threads() + " threads");
                    }
                }
            }
        }
    }

    /** The oracle's analytic gradients against central differences of its own (double) forward pass. */
    @Test
    void oracleGradientsMatchFiniteDifferences() {
        for (boolean causal : new boolean[] {false, true}) {
            int heads = 2;
            int tq = 3;
            int tk = 5;
            int d = 3;
            SplittableRandom random = new SplittableRandom(31);
            double[] q = doubles(random, heads * tq * d);
            double[] k = doubles(random, heads * tk * d);
            double[] v = doubles(random, heads * tk * d);
            double[] dOut = doubles(random, heads * tq * d);
            double scale = 0.7;
            NaiveAttention.Gradients g = new NaiveAttention(q, k, v, heads, tq, tk, d, causal, scale).gradients(dOut);
            double h = 1e-6;
            double[][] inputs = {q, k, v};
            double[][] analytic = {g.dq(), g.dk(), g.dv()};
            for (int which = 0; which < 3; which++) {
                double[] x = inputs[which];
                for (int at = 0; at < x.length; at++) {
                    double keep = x[at];
                    x[at] = keep + h;
                    double up = loss(new NaiveAttention(q, k, v, heads, tq, tk, d, causal, scale).out, dOut);
                    x[at] = keep - h;
                    double down = loss(new NaiveAttention(q, k, v, heads, tq, tk, d, causal, scale).out, dOut);
                    x[at] = keep;
                    double fd = (up - down) / (2 * h);
                    assertTrue(Math.abs(fd - analytic[which][at]) <= 1e-7 * (1 + Math.abs(fd)),
                            "oracle d" + "QKV".charAt(which) + "[" + at + "] = " + analytic[which][at]
                                    + ", finite difference " + fd + (causal ? " (causal)" : ""));
                }
            }
        }
    }

    /**
     * Each backend's backward pass against central differences of its own float forward pass, on a tiny problem:
     * L = Σ dOut∘out, step h = 1e-2. The difference quotient has a truncation error of order h²·|L'''| and a
     * rounding error of order u·|L|/h, both about 1e-4 here, so 2e-3 (relative, floor 1) separates a right
     * gradient from a wrong one without depending on the oracle.
     */
    @Test
    void backendGradientsMatchFiniteDifferencesOfTheirForwardPass() {
        for (Backend backend : List.of(new ScalarBackend(), new SimdBackend(pools[1]))) {
            for (boolean causal : new boolean[] {false, true}) {
                int[] qShape = {1, 2, 4, 3};
                int[] kShape = {1, 2, 6, 3};
                SplittableRandom random = new SplittableRandom(causal ? 41 : 42);
                float[] q = AttentionTest.random(random, 24, 1.5f);
                float[] k = AttentionTest.random(random, 36, 1.5f);
                float[] v = AttentionTest.random(random, 36, 1f);
                float[] dOut = AttentionTest.random(random, 24, 1f);
                float scale = 0.8f;
                try (Arena arena = Arena.ofShared()) {
                    Tensor[] in = {Tensor.of(arena, q, qShape), Tensor.of(arena, k, kShape), Tensor.of(arena, v, kShape)};
                    Tensor out = Tensor.zeros(arena, qShape);
                    Tensor lse = Tensor.zeros(arena, 1, 2, 4);
                    Tensor dOutT = Tensor.of(arena, dOut, qShape);
                    Tensor[] grads = {Tensor.zeros(arena, qShape), Tensor.zeros(arena, kShape), Tensor.zeros(arena, kShape)};
                    backend.attention(in[0], in[1], in[2], out, lse, causal, scale);
                    backend.attentionBackward(in[0], in[1], in[2], out, lse, dOutT, grads[0], grads[1], grads[2],
                            causal, scale);
                    float h = 1e-2f;
                    for (int which = 0; which < 3; which++) {
                        float[] analytic = grads[which].toArray();
                        float[] x = in[which].toArray();
                        for (int at = 0; at < x.length; at++) {
                            float keep = x[at];
                            x[at] = keep + h;
                            in[which].copyFrom(x);
                            backend.attention(in[0], in[1], in[2], out, null, causal, scale);
                            double up = loss(NaiveAttention.toDouble(out.toArray()), NaiveAttention.toDouble(dOut));
                            x[at] = keep - h;
                            in[which].copyFrom(x);
                            backend.attention(in[0], in[1], in[2], out, null, causal, scale);
                            double down = loss(NaiveAttention.toDouble(out.toArray()), NaiveAttention.toDouble(dOut));
                            x[at] = keep;
                            in[which].copyFrom(x);
                            double fd = (up - down) / ((double) (keep + h) - (keep - h));
                            assertTrue(Math.abs(fd - analytic[at]) <= 2e-3 * Math.max(1, Math.abs(fd)),
                                    backend.name() + (causal ? " causal" : "") + ": d" + "QKV".charAt(which) + "["
                                            + at + "] = " + analytic[at] + ", finite difference " + fd);
                        }
                    }
                }
            }
        }
    }

    private static double loss(double[] out, double[] dOut) {
        double sum = 0;
        for (int i = 0; i < out.length; i++) {
            sum += out[i] * dOut[i];
        }
        return sum;
    }

    private static double[] doubles(SplittableRandom random, int n) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = random.nextDouble(-1.5, 1.5);
        }
        return x;
    }

    static float[] toFloat(double[] x) {
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = (float) x[i];
        }
        return y;
    }
}
