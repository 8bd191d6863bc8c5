package dev.panamax.engine.optim;

import dev.panamax.engine.nn.Parameter;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The update shared by {@link Adam} and {@link AdamW}, which differ only in where weight decay enters: Adam adds
 * it to the gradient (an L2 penalty, which the adaptive denominator then rescales), AdamW shrinks the weights
 * directly ("decoupled"), which is what makes weight decay behave the same at every gradient scale. Both follow
 * PyTorch's single-tensor implementation:
 *
 * <pre>
 *   g  += l2·p                                   (Adam, where parameter.decay())
 *   p  *= 1 − lr·weightDecay                     (AdamW, where parameter.decay())
 *   m   = β1·m + (1 − β1)·g
 *   v   = β2·v + (1 − β2)·g²
 *   p  -= lr / (1 − β1^t) · m / (sqrt(v) / sqrt(1 − β2^t) + eps)
 * </pre>
 *
 * The bias corrections {@code 1 − β^t} undo the zero start of m and v: with a constant gradient every step moves
 * each weight by exactly {@code lr}, from the first step on. They are computed in double with
 * {@link StrictMath#pow}, so they are the same on every JVM.
 */
abstract sealed class AdaptiveMoments extends StatefulOptimizer permits Adam, AdamW {

    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final boolean decoupled;
    private float stepSize;
    private float sqrtBiasCorrection2;
    private float decayFactor;

    AdaptiveMoments(String name, double lr, double beta1, double beta2, double eps, double weightDecay,
                    boolean decoupled) {
        super(name, lr, "exp_avg", "exp_avg_sq");
        String who = displayName(name);
        this.beta1 = HyperParameters.fraction(who, "beta1", beta1);
        this.beta2 = HyperParameters.fraction(who, "beta2", beta2);
        this.eps = HyperParameters.positive(who, "eps", eps);
        this.weightDecay = HyperParameters.nonNegative(who, "weightDecay", weightDecay);
        this.decoupled = decoupled;
    }

    public final double beta1() {
        return beta1;
    }

    public final double beta2() {
        return beta2;
    }

    public final double eps() {
        return eps;
    }

    public final double weightDecay() {
        return weightDecay;
    }

    @Override
    final Map<String, String> hyperParameters() {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("beta1", Double.toString(beta1));
        values.put("beta2", Double.toString(beta2));
        values.put("eps", Double.toString(eps));
        values.put("weightDecay", Double.toString(weightDecay));
        return values;
    }

    @Override
    final void prepareStep(long step) {
        double lr = learningRate();
        double biasCorrection1 = 1 - StrictMath.pow(beta1, step);
        double biasCorrection2 = 1 - StrictMath.pow(beta2, step);
        stepSize = (float) (lr / biasCorrection1);
        sqrtBiasCorrection2 = (float) Math.sqrt(biasCorrection2);
        decayFactor = (float) (1 - lr * weightDecay);
    }

    @Override
    final void update(Parameter parameter, MemorySegment value, MemorySegment grad, MemorySegment[] state, long n) {
        boolean decays = parameter.decay() && weightDecay > 0;
        float l2 = decays && !decoupled ? (float) weightDecay : 0f;
        float decay = decays && decoupled ? decayFactor : 1f;
        UpdateKernels.adam(value, grad, state[0], state[1], n, l2, decay, (float) beta1, (float) (1 - beta1), (float) beta2,
                (float) (1 - beta2), stepSize, sqrtBiasCorrection2, (float) eps);
    }
}
