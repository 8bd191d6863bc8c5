package dev.panamax.engine.optim;

import dev.panamax.engine.nn.Parameter;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Stochastic gradient descent with optional momentum, Nesterov momentum and L2 weight decay, following PyTorch's
 * {@code torch.optim.SGD} (without dampening):
 *
 * <pre>
 *   d   = g + weightDecay·p          (weight decay only where parameter.decay())
 *   buf = momentum·buf + d           (buf starts at 0, so the first step sets buf = d)
 *   p  -= lr · (nesterov ? d + momentum·buf : buf)          (momentum 0: p -= lr·d)
 * </pre>
 *
 * Momentum averages successive gradients, so steps along a consistent direction grow up to
 * {@code 1 / (1 − momentum)} times while oscillating components cancel; it is the baseline the adaptive methods
 * are compared with in the course.
 */
public final class SGD extends StatefulOptimizer {

    private final double momentum;
    private final double weightDecay;
    private final boolean nesterov;
    private float lr;

    /** Plain SGD: {@code p -= lr·g}. */
    public SGD(double lr) {
        this(lr, 0, 0, false);
    }

    /**
     * @param lr          learning rate, >= 0
     * @param momentum    in [0, 1); 0 disables momentum (and its state buffer)
     * @param weightDecay L2 penalty coefficient, >= 0, added to the gradient of parameters with {@code decay()}
     * @param nesterov    Nesterov momentum; needs momentum > 0
     */
    public SGD(double lr, double momentum, double weightDecay, boolean nesterov) {
        super("sgd", lr, momentum > 0 ? new String[] {"momentum_buffer"} : new String[0]);
        this.momentum = HyperParameters.fraction("SGD", "momentum", momentum);
        this.weightDecay = HyperParameters.nonNegative("SGD", "weightDecay", weightDecay);
        if (nesterov && momentum == 0) {
            throw new IllegalArgumentException("SGD: nesterov needs momentum > 0, got momentum 0");
        }
        this.nesterov = nesterov;
    }

    @Override
    Map<String, String> hyperParameters() {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("momentum", Double.toString(momentum));
        values.put("weightDecay", Double.toString(weightDecay));
        values.put("nesterov", Boolean.toString(nesterov));
        return values;
    }

    @Override
    void prepareStep(long step) {
        lr = (float) learningRate();
    }

    @Override
    void update(Parameter parameter, MemorySegment p, MemorySegment g, MemorySegment[] state, long n) {
        float l2 = parameter.decay() ? (float) weightDecay : 0f;
        if (momentum == 0) {
            UpdateKernels.sgd(p, g, n, lr, l2);
        } else {
            UpdateKernels.sgdMomentum(p, g, state[0], n, lr, l2, (float) momentum, nesterov);
        }
    }
}
