package dev.panamax.engine.optim;

import dev.panamax.engine.nn.Parameter;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Adagrad, the course's adaptive learning rate: every weight divides the learning rate by the root of the sum of
 * all its past squared gradients,
 *
 * <pre>
 *   g    += weightDecay·p            (only where parameter.decay())
 *   sum  += g²
 *   p    -= lr / sqrt(sum + eps) · g
 * </pre>
 *
 * so weights with consistently large gradients take smaller steps, and the very first step moves each weight by
 * {@code lr} in the direction of {@code −g}. Note that eps sits inside the root, as in the course; PyTorch's
 * {@code Adagrad} adds it after the root ({@code sqrt(sum) + eps}), which differs only when {@code sum} is near 0.
 */
public final class Adagrad extends StatefulOptimizer {

    /** PyTorch's default. */
    public static final double DEFAULT_EPS = 1e-10;

    private final double eps;
    private final double weightDecay;
    private float lr;

    public Adagrad(double lr) {
        this(lr, DEFAULT_EPS, 0);
    }

    /**
     * @param lr          learning rate, >= 0
     * @param eps         > 0, keeps the first division finite when a gradient is 0
     * @param weightDecay L2 penalty coefficient, >= 0, added to the gradient of parameters with {@code decay()}
     */
    public Adagrad(double lr, double eps, double weightDecay) {
        super("adagrad", lr, "sum");
        this.eps = HyperParameters.positive("Adagrad", "eps", eps);
        this.weightDecay = HyperParameters.nonNegative("Adagrad", "weightDecay", weightDecay);
    }

    @Override
    Map<String, String> hyperParameters() {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("eps", Double.toString(eps));
        values.put("weightDecay", Double.toString(weightDecay));
        return values;
    }

    @Override
    void prepareStep(long step) {
        lr = (float) learningRate();
    }

    @Override
    void update(Parameter parameter, MemorySegment value, MemorySegment grad, MemorySegment[] state, long n) {
        float l2 = parameter.decay() ? (float) weightDecay : 0f;
        UpdateKernels.adagrad(value, grad, state[0], n, lr, l2, (float) eps);
    }
}
