package dev.panamax.engine.optim;

import dev.panamax.engine.nn.Parameter;
import java.util.List;

/**
 * Global-norm gradient clipping, as PyTorch's {@code clip_grad_norm_}: all gradients are treated as one vector;
 * when its Euclidean norm exceeds {@code maxNorm}, every gradient is scaled by {@code maxNorm / (norm + 1e-6)},
 * which keeps the step's direction and bounds its size. It tames the occasional huge gradient of an unlucky batch
 * (the GPT clips at 1.0).
 *
 * <p>The norm is accumulated in double, per parameter and then over parameters in list order, so it is exact to
 * double rounding and identical on every run. The returned pre-clip norm is worth logging: a rising norm is an
 * early sign of divergence.
 */
public final class GradientClipping {

    /** PyTorch's guard against dividing by a zero norm. */
    static final double NORM_EPS = 1e-6;

    private GradientClipping() {
    }

    /** The Euclidean norm of all gradients together. */
    public static double globalNorm(List<Parameter> parameters) {
        double sumOfSquares = 0;
        for (int i = 0; i < parameters.size(); i++) {
            Parameter parameter = parameters.get(i);
            parameter.grad().requireAlive("globalNorm");
            sumOfSquares += UpdateKernels.sumOfSquares(parameter.grad().segment(), parameter.grad().size());
        }
        return Math.sqrt(sumOfSquares);
    }

    /**
     * Scales all gradients down so that their global norm is at most about {@code maxNorm}, and returns the norm
     * before clipping. Gradients are untouched when the norm is within the bound, or when it is not finite (NaN or
     * infinite): scaling cannot repair those, and the caller should skip the step (the returned norm says so).
     */
    public static double clipGlobalNorm(List<Parameter> parameters, double maxNorm) {
        if (!(maxNorm > 0) || Double.isInfinite(maxNorm)) {
            throw new IllegalArgumentException("clipGlobalNorm: maxNorm must be a finite number > 0, got " + maxNorm);
        }
        double norm = globalNorm(parameters);
        double coefficient = maxNorm / (norm + NORM_EPS);
        if (Double.isFinite(norm) && coefficient < 1) {
            float factor = (float) coefficient;
            for (int i = 0; i < parameters.size(); i++) {
                Parameter parameter = parameters.get(i);
                UpdateKernels.scale(parameter.grad().segment(), parameter.grad().size(), factor);
            }
        }
        return norm;
    }
}
