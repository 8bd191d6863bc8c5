package dev.panamax.engine.optim;

/**
 * Adam (Kingma and Ba), with optional L2 weight decay added to the gradient as PyTorch's {@code torch.optim.Adam}
 * does. Prefer {@link AdamW} when you want weight decay: here the penalty's gradient is divided by the adaptive
 * denominator like any other, so weights with large gradients are hardly regularized. The formula is in
 * {@link AdaptiveMoments}.
 */
public final class Adam extends AdaptiveMoments {

    /** Adam with PyTorch's defaults: β1 0.9, β2 0.999, eps 1e-8, no weight decay. */
    public Adam(double lr) {
        this(lr, 0.9, 0.999, 1e-8, 0);
    }

    /**
     * @param lr          learning rate, >= 0
     * @param beta1       decay of the gradient average, in [0, 1)
     * @param beta2       decay of the squared-gradient average, in [0, 1)
     * @param eps         > 0, added to the denominator
     * @param weightDecay L2 coefficient, >= 0, added to the gradient of parameters with {@code decay()}
     */
    public Adam(double lr, double beta1, double beta2, double eps, double weightDecay) {
        super("adam", lr, beta1, beta2, eps, weightDecay, false);
    }
}
