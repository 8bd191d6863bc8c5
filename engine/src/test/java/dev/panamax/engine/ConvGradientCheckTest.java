package dev.panamax.engine;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panamax.engine.parallel.WorkerPool;
import java.lang.foreign.Arena;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * Finite-difference checks: the backward kernels are the derivatives of the forward ones, on tiny cases.
 *
 * <p>The loss is {@code L = Σ y·R} in double for a fixed random R, so {@code ∂L/∂y = R} and the backward calls
 * with dOutput = R give the analytic gradients. Every operation here is linear in each input, so the central
 * difference {@code (L(v + h) − L(v − h)) / 2h} has no truncation error and h can be large (0.1): what remains is
 * float rounding in the few outputs that depend on v (outputs that do not are recomputed bit for bit and cancel),
 * about {@code (terms·2⁻²⁴·|y|)·Σ|R| / h ≈ 10⁻⁴}. Errors are |analytic − numeric| / max(1, |analytic|).
 */
class ConvGradientCheckTest {

    private static final double H = 0.1;
    private static final double TOLERANCE = 2e-3;

    private static WorkerPool pool;
    private static SimdBackend simd;

    @BeforeAll
    static void start() {
        pool = new WorkerPool(2);
        simd = new SimdBackend(pool);
    }

    @AfterAll
    static void stop() {
        pool.close();
    }

    @ParameterizedTest(name = "x[{0},{1},{2},{3}] w[{4},{1},{5},{6}] stride {7} pad {8}")
    @CsvSource({"2, 3, 5, 6, 2, 3, 3, 2, 1", "1, 2, 4, 5, 3, 2, 3, 1, 0", "2, 2, 3, 3, 3, 1, 1, 1, 0",
            "1, 1, 7, 6, 2, 3, 3, 1, 2"})
    void convolutionGradientsMatchFiniteDifferences(int n, int c, int h, int w, int o, int kh, int kw, int stride,
                                                    int pad) {
        int oh = (h + 2 * pad - kh) / stride + 1;
        int ow = (w + 2 * pad - kw) / stride + 1;
        SplittableRandom random = new SplittableRandom(n * 1000L + c * 100L + kh * 10L + stride);
        float[] x = ConvTest.uniform(random, n, c, h, w);
        float[] wt = ConvTest.uniform(random, o, c, kh, kw);
        float[] bias = ConvTest.uniform(random, o);
        float[] r = ConvTest.uniform(random, n, o, oh, ow);
        try (Arena arena = Arena.ofShared()) {
            Tensor rt = Tensor.of(arena, r, n, o, oh, ow);
            Tensor dx = Tensor.zeros(arena, n, c, h, w);
            Tensor dw = Tensor.zeros(arena, o, c, kh, kw);
            Tensor db = Tensor.zeros(arena, o);
            simd.conv2dBackwardInput(rt, Tensor.of(arena, wt, o, c, kh, kw), dx, stride, pad);
            simd.conv2dBackwardWeight(Tensor.of(arena, x, n, c, h, w), rt, dw, db, stride, pad);

            Function<float[][], Double> loss = v -> {
                try (Arena a = Arena.ofShared()) {
                    Tensor y = Tensor.zeros(a, n, o, oh, ow);
                    simd.conv2d(Tensor.of(a, v[0], n, c, h, w), Tensor.of(a, v[1], o, c, kh, kw),
                            Tensor.of(a, v[2], o), y, stride, pad);
                    return dot(y.toArray(), r);
                }
            };
            float[][] vars = {x, wt, bias};
            check("dInput", loss, vars, 0, dx.toArray());
            check("dWeight", loss, vars, 1, dw.toArray());
            check("dBias", loss, vars, 2, db.toArray());
        }
    }

    @Test
    void resamplingGradientsMatchFiniteDifferences() {
        SplittableRandom random = new SplittableRandom(77);
        int n = 2;
        int c = 2;
        int h = 3;
        int w = 5;
        float[] small = ConvTest.uniform(random, n, c, h, w);
        float[] big = ConvTest.uniform(random, n, c, 2 * h + 1, 2 * w + 1);     // odd: pooling drops a row/column
        float[] rUp = ConvTest.uniform(random, n, c, 2 * h, 2 * w);
        float[] rPool = ConvTest.uniform(random, n, c, h, w);
        try (Arena arena = Arena.ofShared()) {
            Tensor dSmall = Tensor.zeros(arena, n, c, h, w);
            simd.upsampleNearest2xBackward(Tensor.of(arena, rUp, n, c, 2 * h, 2 * w), dSmall);
            Tensor dBig = Tensor.zeros(arena, n, c, 2 * h + 1, 2 * w + 1);
            simd.avgPool2x2Backward(Tensor.of(arena, rPool, n, c, h, w), dBig);

            Function<float[][], Double> up = v -> {
                try (Arena a = Arena.ofShared()) {
                    Tensor y = Tensor.zeros(a, n, c, 2 * h, 2 * w);
                    simd.upsampleNearest2x(Tensor.of(a, v[0], n, c, h, w), y);
                    return dot(y.toArray(), rUp);
                }
            };
            Function<float[][], Double> pooled = v -> {
                try (Arena a = Arena.ofShared()) {
                    Tensor y = Tensor.zeros(a, n, c, h, w);
                    simd.avgPool2x2(Tensor.of(a, v[0], n, c, 2 * h + 1, 2 * w + 1), y);
                    return dot(y.toArray(), rPool);
                }
            };
            check("upsampleNearest2x", up, new float[][] {small}, 0, dSmall.toArray());
            check("avgPool2x2", pooled, new float[][] {big}, 0, dBig.toArray());
        }
    }

    private static void check(String what, Function<float[][], Double> loss, float[][] vars, int which,
                              float[] analytic) {
        float[] v = vars[which];
        double worst = 0;
        String where = "";
        for (int i = 0; i < v.length; i++) {
            float saved = v[i];
            v[i] = (float) (saved + H);
            double plus = loss.apply(vars);
            v[i] = (float) (saved - H);
            double minus = loss.apply(vars);
            v[i] = saved;
            double numeric = (plus - minus) / ((double) (float) (saved + H) - (float) (saved - H));
            double error = Math.abs(analytic[i] - numeric) / Math.max(1, Math.abs(analytic[i]));
            if (error > worst) {
                worst = error;
                where = "element " + i + ": analytic " + analytic[i] + ", numeric " + numeric;
            }
        }
        assertTrue(worst <= TOLERANCE, what + ": worst error " + worst + " at " + where);
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }
}
