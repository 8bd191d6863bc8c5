package dev.panamax.engine.optim;

/**
 * Linear warmup, then cosine decay to a floor, exactly as nanoGPT's {@code get_lr(it)}:
 *
 * <pre>
 *   step &lt; warmupSteps:               maxLr · (step + 1) / (warmupSteps + 1)
 *   step &gt; decaySteps:                minLr
 *   otherwise, with r = (step − warmupSteps) / (decaySteps − warmupSteps):
 *                                     minLr + ½·(1 + cos(π·r))·(maxLr − minLr)
 * </pre>
 *
 * Warmup lets Adam's second-moment estimates settle before full-size steps; the cosine spends most of the run
 * near the peak and slows down smoothly at the end. The cosine is {@link StrictMath#cos}, so the schedule is the
 * same on every JVM.
 */
public final class WarmupCosineSchedule implements LearningRateSchedule {

    private final double maxLr;
    private final double minLr;
    private final long warmupSteps;
    private final long decaySteps;

    /**
     * @param maxLr       the peak, reached at step {@code warmupSteps}
     * @param minLr       the floor, reached at step {@code decaySteps} and kept after it; 0 <= minLr <= maxLr
     * @param warmupSteps steps of linear warmup, >= 0
     * @param decaySteps  the step where the decay ends, > warmupSteps (nanoGPT's {@code lr_decay_iters})
     */
    public WarmupCosineSchedule(double maxLr, double minLr, long warmupSteps, long decaySteps) {
        HyperParameters.nonNegative("WarmupCosineSchedule", "maxLr", maxLr);
        HyperParameters.nonNegative("WarmupCosineSchedule", "minLr", minLr);
        if (minLr > maxLr) {
            throw new IllegalArgumentException("WarmupCosineSchedule: minLr " + minLr + " is above maxLr " + maxLr);
        }
        if (warmupSteps < 0) {
            throw new IllegalArgumentException("WarmupCosineSchedule: warmupSteps must be >= 0, got " + warmupSteps);
        }
        if (decaySteps <= warmupSteps) {
            throw new IllegalArgumentException("WarmupCosineSchedule: decaySteps (" + decaySteps
                    + ") must be greater than warmupSteps (" + warmupSteps + ")");
        }
        this.maxLr = maxLr;
        this.minLr = minLr;
        this.warmupSteps = warmupSteps;
        this.decaySteps = decaySteps;
    }

    @Override
    public double lr(long step) {
        if (step < 0) {
            throw new IllegalArgumentException("WarmupCosineSchedule.lr: step must be >= 0, got " + step);
        }
        if (step < warmupSteps) {
            return maxLr * (step + 1) / (warmupSteps + 1);
        }
        if (step > decaySteps) {
            return minLr;
        }
        double ratio = (double) (step - warmupSteps) / (decaySteps - warmupSteps);
        double coefficient = 0.5 * (1 + StrictMath.cos(Math.PI * ratio));
        return minLr + coefficient * (maxLr - minLr);
    }

    @Override
    public String toString() {
        return "WarmupCosineSchedule[maxLr=" + maxLr + ", minLr=" + minLr + ", warmupSteps=" + warmupSteps
                + ", decaySteps=" + decaySteps + "]";
    }
}
