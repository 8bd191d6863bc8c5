package dev.panamax.engine.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Bad settings fail at construction with a message naming the optimizer and the argument. */
class HyperParameterTest {

    private static void rejected(String message, Executable construction) {
        var e = assertThrows(IllegalArgumentException.class, construction);
        assertEquals(message, e.getMessage());
    }

    @Test
    void badLearningRatesAreRejected() {
        rejected("AdamW: lr must be a finite number >= 0, got -0.001", () -> new AdamW(-0.001));
        rejected("SGD: lr must be a finite number >= 0, got NaN", () -> new SGD(Double.NaN));
        rejected("Adagrad: lr must be a finite number >= 0, got Infinity", () -> new Adagrad(Double.POSITIVE_INFINITY));
        try (Adam adam = new Adam(0.1)) {
            rejected("Adam: lr must be a finite number >= 0, got -1.0", () -> adam.setLearningRate(-1));
        }
    }

    @Test
    void betasOutsideZeroOneAreRejected() {
        rejected("AdamW: beta1 must be in [0, 1), got 1.0", () -> new AdamW(1e-3, 1.0, 0.999, 1e-8, 0));
        rejected("AdamW: beta2 must be in [0, 1), got -0.1", () -> new AdamW(1e-3, 0.9, -0.1, 1e-8, 0));
        rejected("Adam: beta2 must be in [0, 1), got 9.999", () -> new Adam(1e-3, 0.9, 9.999, 1e-8, 0));
        rejected("SGD: momentum must be in [0, 1), got 1.5", () -> new SGD(0.1, 1.5, 0, false));
    }

    @Test
    void nonPositiveEpsAndNegativeDecayAreRejected() {
        rejected("AdamW: eps must be a finite number > 0, got 0.0", () -> new AdamW(1e-3, 0.9, 0.999, 0, 0));
        rejected("Adagrad: eps must be a finite number > 0, got -1.0E-10", () -> new Adagrad(0.1, -1e-10, 0));
        rejected("AdamW: weightDecay must be a finite number >= 0, got -0.1", () -> new AdamW(1e-3, 0.9, 0.999, 1e-8, -0.1));
        rejected("SGD: weightDecay must be a finite number >= 0, got -1.0", () -> new SGD(0.1, 0.9, -1, false));
        rejected("SGD: nesterov needs momentum > 0, got momentum 0", () -> new SGD(0.1, 0, 0, true));
    }

    @Test
    void badSchedulesAreRejected() {
        rejected("WarmupCosineSchedule: minLr 0.1 is above maxLr 0.01", () -> new WarmupCosineSchedule(0.01, 0.1, 10, 100));
        rejected("WarmupCosineSchedule: decaySteps (10) must be greater than warmupSteps (10)",
                () -> new WarmupCosineSchedule(0.01, 0, 10, 10));
        rejected("WarmupCosineSchedule: warmupSteps must be >= 0, got -1", () -> new WarmupCosineSchedule(0.01, 0, -1, 10));
        rejected("WarmupCosineSchedule: maxLr must be a finite number >= 0, got -0.01",
                () -> new WarmupCosineSchedule(-0.01, 0, 1, 10));
        rejected("clipGlobalNorm: maxNorm must be a finite number > 0, got 0.0",
                () -> GradientClipping.clipGlobalNorm(java.util.List.of(), 0));
    }
}
