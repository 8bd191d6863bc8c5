package dev.panamax.engine.optim;

/**
 * Adam with decoupled weight decay (Loshchilov and Hutter), as PyTorch's {@code torch.optim.AdamW}: before the
 * Adam update, every parameter whose {@code decay()} is true is multiplied by {@code 1 − lr·weightDecay}. Models
 * decay matrices and leave biases and normalization gains alone. This is the optimizer the GPT trains with
 * (nanoGPT: β2 0.95, weight decay 0.1). The formula is in {@link AdaptiveMoments}.
 */
public final class AdamW extends AdaptiveMoments {

    /** AdamW with PyTorch's defaults: β1 0.9, β2 0.999, eps 1e-8, weight decay 0.01. */
    public AdamW(double lr) {
        this(lr, 0.9, 0.999, 1e-8, 0.01);
    }

    /**
     * @param lr          learning rate, >= 0
     * @param beta1       decay of the gradient average, in [0, 1)
     * @param beta2       decay of the squared-gradient average, in [0, 1)
     * @param eps         > 0, added to the denominator
     * @param weightDecay decoupled decay coefficient, >= 0, applied to parameters with {@code decay()}
     */
    public AdamW(double lr, double beta1, double beta2, double eps, double weightDecay) {
        super("adamw", lr, beta1, beta2, eps, weightDecay, true);
    }
}
