package dev.panamax.models.diffusion;

import dev.panamax.engine.Backend;
import dev.panamax.engine.Tensor;
import dev.panamax.engine.nn.Parameter;
import java.util.List;

/**
 * An exponential moving average of a model's weights, kept in a second model of the same shape:
 * {@code shadow = d · shadow + (1 − d) · weight} after every step. Sampling from the average rather than the
 * last weights gives visibly cleaner images (DDPM uses d = 0.9999). Early in a run the decay is lowered to
 * {@code (1 + step) / (10 + step)}, so a short run is not dominated by its random initial weights.
 */
final class ExponentialMovingAverage {

    private final List<Parameter> weights;
    private final List<Parameter> shadow;
    private final double decay;

    ExponentialMovingAverage(List<Parameter> weights, List<Parameter> shadow, double decay) {
        if (weights.size() != shadow.size()) {
            throw new IllegalArgumentException("EMA: " + weights.size() + " weights but " + shadow.size()
                    + " shadow parameters");
        }
        this.weights = weights;
        this.shadow = shadow;
        this.decay = decay;
    }

    /** Copies the weights into the shadow (at the start of a run). */
    void reset() {
        for (int i = 0; i < weights.size(); i++) {
            Tensor from = weights.get(i).value();
            java.lang.foreign.MemorySegment.copy(from.segment(), 0, shadow.get(i).value().segment(), 0,
                    from.size() * Float.BYTES);
        }
    }

    /** The decay used after optimizer step {@code step} (1-based). */
    double decayAt(long step) {
        return Math.min(decay, (1.0 + step) / (10.0 + step));
    }

    void update(Backend backend, long step) {
        float d = (float) decayAt(step);
        for (int i = 0; i < weights.size(); i++) {
            Tensor s = shadow.get(i).value();
            backend.scale(s, d, s);
            backend.axpy(1f - d, weights.get(i).value(), s);
        }
    }
}
