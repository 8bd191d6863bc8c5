package dev.panamax.engine.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panamax.engine.Tensor;
import dev.panamax.engine.nn.Parameter;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Every optimizer against an independent double-precision re-implementation of its formula, over several steps,
 * on parameters whose sizes exercise the vector loop and the scalar tail (1, 7, 17, 99, 64 elements), with weight
 * decay on for some parameters and off for others; plus values worked out by hand from PyTorch's formulas.
 */
class OptimizerFormulaTest {

    private static final int[][] SHAPES = {{1}, {7}, {17}, {3, 33}, {8, 8}};
    private static final int STEPS = 8;

    /** One step of the reference formula on one parameter, in double: {@code t} counts from 1. */
    interface ReferenceStep {
        void apply(long t, double lr, double[] p, double[] g, double[][] state, boolean decay);
    }

    // ---------------------------------------------------------------- against the double reference

    @Test
    void sgdWithMomentumAndWeightDecayMatchesReference() {
        double mu = 0.9;
        double wd = 0.05;
        compareWithReference(() -> new SGD(0.05, mu, wd, false), 1, constantLr(0.05),
                (t, lr, p, g, s, decay) -> {
                    for (int i = 0; i < p.length; i++) {
                        double d = g[i] + (decay ? wd * p[i] : 0);
                        s[0][i] = mu * s[0][i] + d;
                        p[i] -= lr * s[0][i];
                    }
                });
    }

    @Test
    void sgdWithNesterovMatchesReference() {
        double mu = 0.8;
        compareWithReference(() -> new SGD(0.02, mu, 0, true), 1, constantLr(0.02),
                (t, lr, p, g, s, decay) -> {
                    for (int i = 0; i < p.length; i++) {
                        s[0][i] = mu * s[0][i] + g[i];
                        p[i] -= lr * (g[i] + mu * s[0][i]);
                    }
                });
    }

    @Test
    void plainSgdMatchesReference() {
        compareWithReference(() -> new SGD(0.1), 0, constantLr(0.1),
                (t, lr, p, g, s, decay) -> {
                    for (int i = 0; i < p.length; i++) {
                        p[i] -= lr * g[i];
                    }
                });
    }

    @Test
    void adagradMatchesReference() {
        double eps = 1e-6;
        double wd = 0.01;
        compareWithReference(() -> new Adagrad(0.1, eps, wd), 1, constantLr(0.1),
                (t, lr, p, g, s, decay) -> {
                    for (int i = 0; i < p.length; i++) {
                        double gi = g[i] + (decay ? wd * p[i] : 0);
                        s[0][i] += gi * gi;
                        p[i] -= lr / Math.sqrt(s[0][i] + eps) * gi;
                    }
                });
    }

    @Test
    void adamWithL2DecayMatchesReference() {
        double b1 = 0.9;
        double b2 = 0.99;
        double eps = 1e-8;
        double wd = 0.1;
        compareWithReference(() -> new Adam(0.01, b1, b2, eps, wd), 2, constantLr(0.01),
                adamReference(b1, b2, eps, wd, false));
    }

    @Test
    void adamWithoutDecayMatchesReference() {
        compareWithReference(() -> new Adam(0.003), 2, constantLr(0.003),
                adamReference(0.9, 0.999, 1e-8, 0, false));
    }

    @Test
    void adamWWithDecoupledDecayAndAScheduleMatchesReference() {
        double b1 = 0.9;
        double b2 = 0.95;
        double eps = 1e-8;
        double wd = 0.1;
        LearningRateSchedule schedule = new WarmupCosineSchedule(0.01, 0.001, 3, STEPS - 2);
        compareWithReference(() -> new AdamW(0.01, b1, b2, eps, wd), 2, schedule,
                adamReference(b1, b2, eps, wd, true));
    }

    @Test
    void adamWDefaultsAreTorchDefaults() {
        try (AdamW adamW = new AdamW(1e-3)) {
            assertEquals(0.9, adamW.beta1());
            assertEquals(0.999, adamW.beta2());
            assertEquals(1e-8, adamW.eps());
            assertEquals(0.01, adamW.weightDecay());
            assertEquals(1e-3, adamW.learningRate());
            assertEquals("adamw", adamW.name());
        }
    }

    private static ReferenceStep adamReference(double b1, double b2, double eps, double wd, boolean decoupled) {
        return (t, lr, p, g, s, decay) -> {
            double bc1 = 1 - Math.pow(b1, t);
            double bc2 = 1 - Math.pow(b2, t);
            for (int i = 0; i < p.length; i++) {
                double gi = g[i];
                if (decay && !decoupled) {
                    gi += wd * p[i];
                }
                if (decay && decoupled) {
                    p[i] *= 1 - lr * wd;
                }
                s[0][i] = b1 * s[0][i] + (1 - b1) * gi;
                s[1][i] = b2 * s[1][i] + (1 - b2) * gi * gi;
                double mHat = s[0][i] / bc1;
                double vHat = s[1][i] / bc2;
                p[i] -= lr * mHat / (Math.sqrt(vHat) + eps);
            }
        };
    }

    private static LearningRateSchedule constantLr(double lr) {
        return LearningRateSchedule.constant(lr);
    }

    /**
     * Runs {@link #STEPS} steps of the optimizer and of the reference on the same float gradients, and compares
     * parameters and exported state after every step. The bound allows float rounding of the parameter (a few
     * 1e-8 relative per step) and of the update; a formula slip (a missing bias correction, decay on the wrong
     * parameter) moves values by ~lr, orders of magnitude more.
     */
    private static void compareWithReference(Supplier<Optimizer> factory, int stateCount,
                                             LearningRateSchedule schedule, ReferenceStep reference) {
        SplittableRandom random = new SplittableRandom(2024);
        try (Arena arena = Arena.ofShared(); Optimizer optimizer = factory.get()) {
            List<Parameter> parameters = new ArrayList<>();
            List<double[]> expected = new ArrayList<>();
            List<double[][]> expectedState = new ArrayList<>();
            for (int k = 0; k < SHAPES.length; k++) {
                Tensor init = Tensor.randn(arena, 100 + k, SHAPES[k]);
                parameters.add(Parameter.of(arena, "p" + k, init, k % 2 == 0));
                float[] values = init.toArray();
                double[] p = new double[values.length];
                for (int i = 0; i < p.length; i++) {
                    p[i] = values[i];
                }
                expected.add(p);
                expectedState.add(new double[stateCount][p.length]);
            }
            for (long t = 1; t <= STEPS; t++) {
                double lr = schedule.lr(t - 1);
                optimizer.setLearningRate(lr);
                for (int k = 0; k < parameters.size(); k++) {
                    Parameter parameter = parameters.get(k);
                    float[] g = new float[(int) parameter.grad().size()];
                    double[] gd = new double[g.length];
                    for (int i = 0; i < g.length; i++) {
                        g[i] = (float) random.nextGaussian(0, 1.5);
                        gd[i] = g[i];
                    }
                    parameter.grad().copyFrom(g);
                    reference.apply(t, lr, expected.get(k), gd, expectedState.get(k), parameter.decay());
                }
                optimizer.step(parameters);
                assertEquals(t, optimizer.stepCount());
                OptimizerState state = optimizer.exportState(arena);
                for (int k = 0; k < parameters.size(); k++) {
                    Parameter parameter = parameters.get(k);
                    assertClose(expected.get(k), parameter.value().toArray(), optimizer.name() + " step " + t
                            + " " + parameter.name() + (parameter.decay() ? " (decay)" : ""));
                    assertEquals(stateCount, state.tensors().size() / parameters.size());
                    for (int s = 0; s < stateCount; s++) {
                        Tensor exported = state.tensors().values().stream().skip((long) k * stateCount + s)
                                .findFirst().orElseThrow();
                        assertClose(expectedState.get(k)[s], exported.toArray(), optimizer.name() + " step " + t
                                + " state " + s + " of " + parameter.name());
                    }
                }
            }
        }
    }

    private static void assertClose(double[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            double bound = 2e-6 * Math.max(1, Math.abs(expected[i]));
            assertTrue(Math.abs(actual[i] - expected[i]) <= bound, what + " [" + i + "]: expected "
                    + expected[i] + ", got " + actual[i] + " (bound " + bound + ")");
        }
    }

    // ---------------------------------------------------------------- by hand, from PyTorch's formulas

    /** Steps one parameter per gradient in {@code grads} and returns its value after each step. */
    private static float[] trajectory(Optimizer optimizer, float initial, boolean decay, float... grads) {
        try (Arena arena = Arena.ofShared()) {
            Parameter p = Parameter.of(arena, "w", Tensor.of(arena, new float[] {initial}, 1), decay);
            float[] values = new float[grads.length];
            for (int t = 0; t < grads.length; t++) {
                p.grad().copyFrom(new float[] {grads[t]});
                optimizer.step(List.of(p));
                values[t] = p.value().get(0);
            }
            optimizer.close();
            return values;
        }
    }

    @Test
    void adamWFirstStepByHand() {
        // p = 1·(1 − 0.1·0.1) = 0.99; m = 0.05, v = 0.00025; m̂ = 0.5, v̂ = 0.25 (bias correction at t = 1);
        // p = 0.99 − 0.1·0.5/(0.5 + 1e-8) = 0.890000002
        assertEquals(0.890000002, trajectory(new AdamW(0.1, 0.9, 0.999, 1e-8, 0.1), 1f, true, 0.5f)[0], 1e-7);
        // the same parameter with decay() false: no shrinking, p = 1 − 0.1
        assertEquals(0.900000002, trajectory(new AdamW(0.1, 0.9, 0.999, 1e-8, 0.1), 1f, false, 0.5f)[0], 1e-7);
    }

    @Test
    void adamMovesByLrPerStepUnderAConstantGradient() {
        // m̂ = g and v̂ = g² at every t thanks to the bias corrections, so each step is lr·g/(|g| + eps)
        float[] p = trajectory(new Adam(0.1), 1f, true, 0.5f, 0.5f, 0.5f);
        assertEquals(0.9, p[0], 1e-6);
        assertEquals(0.8, p[1], 1e-6);
        assertEquals(0.7, p[2], 1e-6);
    }

    @Test
    void adamWithL2DecayTwoStepsByHand() {
        // t=1: g' = 0.5 + 0.5·1 = 1; step lr·sign = 0.1 → p = 0.9
        // t=2: g' = 0.5 + 0.5·0.9 = 0.95; m = 0.9·0.1 + 0.1·0.95 = 0.185; v = 0.999·0.001 + 0.001·0.9025 = 0.0019015
        //      m̂ = 0.185/0.19 = 0.97368421; v̂ = 0.0019015/0.001999 = 0.95122561; √v̂ = 0.97530795
        //      p = 0.9 − 0.1·0.97368421/0.97530795 = 0.80016649
        float[] p = trajectory(new Adam(0.1, 0.9, 0.999, 1e-8, 0.5), 1f, true, 0.5f, 0.5f);
        assertEquals(0.9, p[0], 1e-6);
        assertEquals(0.80016649, p[1], 1e-6);
    }

    @Test
    void sgdMomentumByHand() {
        // buf = 1, 1.9, 2.71; p = 1 − 0.1·buf cumulatively
        float[] p = trajectory(new SGD(0.1, 0.9, 0, false), 1f, true, 1f, 1f, 1f);
        assertEquals(0.9, p[0], 1e-6);
        assertEquals(0.71, p[1], 1e-6);
        assertEquals(0.439, p[2], 1e-6);
        // Nesterov: direction = g + 0.9·buf = 1.9, 2.71, 3.439
        float[] n = trajectory(new SGD(0.1, 0.9, 0, true), 1f, true, 1f, 1f, 1f);
        assertEquals(0.81, n[0], 1e-6);
        assertEquals(0.539, n[1], 1e-6);
        assertEquals(0.1951, n[2], 1e-6);
        // L2 weight decay: d = 1 + 0.1·1 = 1.1 → p = 0.89; without decay() p = 0.9
        assertEquals(0.89, trajectory(new SGD(0.1, 0, 0.1, false), 1f, true, 1f)[0], 1e-6);
        assertEquals(0.9, trajectory(new SGD(0.1, 0, 0.1, false), 1f, false, 1f)[0], 1e-6);
    }

    @Test
    void adagradByHand() {
        // sum = 9 → p = 1 − 1·3/3 = 0; sum = 25 → p = 0 − 4/5 = −0.8
        float[] p = trajectory(new Adagrad(1.0), 1f, true, 3f, 4f);
        assertEquals(0.0, p[0], 1e-6);
        assertEquals(-0.8, p[1], 1e-6);
    }
}
