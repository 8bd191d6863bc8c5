package dev.panamax.engine.autograd;

import dev.panamax.engine.Tensor;

/**
 * A value in a recorded computation, with the gradient of the loss with respect to it once
 * {@link Tape#backward} has run. Gradients of activations live in the tape's per-step arena; the gradient of a
 * parameter is the parameter's own long-lived gradient tensor, so backward passes accumulate into it.
 */
public final class Var {

    private final Tape tape;
    private final Tensor value;
    private final boolean requiresGrad;
    private Tensor grad;

    Var(Tape tape, Tensor value, Tensor grad, boolean requiresGrad) {
        this.tape = tape;
        this.value = value;
        this.grad = grad;
        this.requiresGrad = requiresGrad;
    }

    public Tensor value() {
        return value;
    }

    public int[] shape() {
        return value.shape();
    }

    public boolean requiresGrad() {
        return requiresGrad;
    }

    /** The gradient, or null if nothing has flowed into it (or it needs none). */
    public Tensor grad() {
        return grad;
    }

    /** The first element: the value of a scalar such as a loss. */
    public float item() {
        return value.get(new int[value.rank()]);
    }

    Tape tape() {
        return tape;
    }

    /** The gradient to accumulate into, allocated (zeros) in the tape's arena on first use. */
    Tensor gradForAccumulation() {
        if (grad == null) {
            grad = tape.allocate(value.shape());
        }
        return grad;
    }

    /** Used by views: a reshaped Var shares its parent's gradient memory. */
    void setGrad(Tensor grad) {
        this.grad = grad;
    }

    @Override
    public String toString() {
        return "Var" + value.shapeString() + (requiresGrad ? " (grad)" : "");
    }
}
