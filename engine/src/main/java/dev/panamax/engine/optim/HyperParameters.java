package dev.panamax.engine.optim;

/**
 * Checks that optimizer settings are usable, at construction time, with messages that name the optimizer and the
 * constructor argument, so that a typo such as {@code beta2 = 9.999} fails before the first step instead of
 * producing NaN parameters a thousand steps later.
 */
final class HyperParameters {

    private HyperParameters() {
    }

    /** A learning rate: finite and >= 0 (0 freezes the parameters, which schedules use at their ends). */
    static double learningRate(String optimizer, double lr) {
        if (!(lr >= 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException(optimizer + ": lr must be a finite number >= 0, got " + lr);
        }
        return lr;
    }

    /** A decay rate of a running average: in [0, 1). */
    static double fraction(String optimizer, String name, double value) {
        if (!(value >= 0 && value < 1)) {
            throw new IllegalArgumentException(optimizer + ": " + name + " must be in [0, 1), got " + value);
        }
        return value;
    }

    /** A finite value > 0, such as eps. */
    static double positive(String optimizer, String name, double value) {
        if (!(value > 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(optimizer + ": " + name + " must be a finite number > 0, got " + value);
        }
        return value;
    }

    /** A finite value >= 0, such as a weight decay. */
    static double nonNegative(String optimizer, String name, double value) {
        if (!(value >= 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(optimizer + ": " + name + " must be a finite number >= 0, got " + value);
        }
        return value;
    }
}
