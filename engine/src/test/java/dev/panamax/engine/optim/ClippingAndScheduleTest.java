package dev.panamax.engine.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panamax.engine.Tensor;
import dev.panamax.engine.nn.Parameter;
import java.lang.foreign.Arena;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClippingAndScheduleTest {

    private static Parameter withGrad(Arena arena, String name, float... grad) {
        Parameter p = Parameter.zeros(arena, name, true, grad.length);
        p.grad().copyFrom(grad);
        return p;
    }

    @Test
    void clippingScalesAllGradientsToTheMaximumNorm() {
        try (Arena arena = Arena.ofShared()) {
            List<Parameter> params = List.of(withGrad(arena, "a", 3, 4), withGrad(arena, "b", 12));
            assertEquals(13.0, GradientClipping.globalNorm(params), 0);
            double norm = GradientClipping.clipGlobalNorm(params, 6.5);
            assertEquals(13.0, norm, 0, "returns the norm before clipping");
            double c = 6.5 / (13 + 1e-6);
            assertArrayEquals(new float[] {(float) (3 * c), (float) (4 * c)}, params.get(0).grad().toArray(), 1e-6f);
            assertArrayEquals(new float[] {(float) (12 * c)}, params.get(1).grad().toArray(), 1e-6f);
            assertEquals(6.5, GradientClipping.globalNorm(params), 1e-5);
        }
    }

    @Test
    void gradientsWithinTheBoundAreUntouched() {
        try (Arena arena = Arena.ofShared()) {
            List<Parameter> params = List.of(withGrad(arena, "a", 0.1f, -0.2f, 0.3f));
            double norm = GradientClipping.clipGlobalNorm(params, 1.0);
            double a = 0.1f;
            double b = 0.2f;
            double c = 0.3f;
            assertEquals(Math.sqrt(a * a + b * b + c * c), norm, 1e-15);
            assertArrayEquals(new float[] {0.1f, -0.2f, 0.3f}, params.get(0).grad().toArray(), 0f);
        }
    }

    @Test
    void nonFiniteNormsAreReportedAndLeaveGradientsAlone() {
        try (Arena arena = Arena.ofShared()) {
            List<Parameter> params = List.of(withGrad(arena, "a", 1, Float.NaN), withGrad(arena, "b", 5));
            assertTrue(Double.isNaN(GradientClipping.clipGlobalNorm(params, 1.0)));
            assertArrayEquals(new float[] {5}, params.get(1).grad().toArray(), 0f);
        }
    }

    @Test
    void normIsAccumulatedInDoubleOverVectorAndTail() {
        try (Arena arena = Arena.ofShared()) {
            // 100,003 elements: vector loop plus tail; a float accumulator would drift in the 4th digit
            Tensor g = Tensor.uniform(arena, 5, -1f, 1f, 100_003);
            Parameter p = new Parameter("big", Tensor.zeros(arena, 100_003), g, true);
            double expected = 0;
            for (float x : g.toArray()) {
                expected += (double) x * x;
            }
            assertEquals(Math.sqrt(expected), GradientClipping.globalNorm(List.of(p)), 1e-9 * Math.sqrt(expected));
        }
    }

    @Test
    void warmupCosineMatchesNanoGpt() {
        // nanoGPT's defaults: learning_rate 6e-4, min_lr 6e-5, warmup_iters 2000, lr_decay_iters 600000
        WarmupCosineSchedule schedule = new WarmupCosineSchedule(6e-4, 6e-5, 2000, 600_000);
        assertEquals(6e-4 * 1 / 2001, schedule.lr(0), 1e-18, "warmup starts above 0");
        assertEquals(6e-4 * 1000 / 2001, schedule.lr(999), 1e-18);
        assertEquals(6e-4 * 2000 / 2001, schedule.lr(1999), 1e-18);
        assertEquals(6e-4, schedule.lr(2000), 1e-18, "the peak, where decay begins");
        assertEquals((6e-4 + 6e-5) / 2, schedule.lr(301_000), 1e-15, "halfway through the decay");
        assertEquals(6e-5, schedule.lr(600_000), 1e-18, "the end of the decay");
        assertEquals(6e-5, schedule.lr(1_000_000), 0, "the floor afterwards");
        double previous = Double.MAX_VALUE;
        for (long step = 2000; step <= 600_000; step += 1000) {
            assertTrue(schedule.lr(step) <= previous, "decay is monotone");
            previous = schedule.lr(step);
        }
        WarmupCosineSchedule noWarmup = new WarmupCosineSchedule(1.0, 0.0, 0, 4);
        assertArrayEquals(new double[] {1.0, 0.8535533905932737, 0.5, 0.1464466094067262, 0.0},
                new double[] {noWarmup.lr(0), noWarmup.lr(1), noWarmup.lr(2), noWarmup.lr(3), noWarmup.lr(4)}, 1e-15);
    }
}
