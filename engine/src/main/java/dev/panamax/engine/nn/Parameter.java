package dev.panamax.engine.nn;

import dev.panamax.engine.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * A trainable tensor with its gradient, both in a long-lived arena (the model's), under a dotted name such as
 * {@code h.0.attn.c_attn.weight} that a checkpoint uses as its key.
 *
 * <p>Backward passes accumulate into {@link #grad()}; an optimizer step reads it, and {@link #zeroGrad()} clears
 * it before the next step. {@code decay} says whether decoupled weight decay applies (matrices yes; biases, norm
 * gains and embeddings of positions per the model's choice).
 */
public final class Parameter {

    private final String name;
    private final Tensor value;
    private final Tensor grad;
    private final boolean decay;

    public Parameter(String name, Tensor value, Tensor grad, boolean decay) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("Parameter: a name is required");
        }
        if (!Arrays.equals(value.shape(), grad.shape())) {
            throw new IllegalArgumentException("Parameter " + name + ": value " + value.shapeString()
                    + " and grad " + grad.shapeString() + " differ in shape");
        }
        this.name = name;
        this.value = value;
        this.grad = grad;
        this.decay = decay;
    }

    /** A parameter holding a copy of {@code initial}'s shape and values, with a zero gradient, in {@code arena}. */
    public static Parameter of(Arena arena, String name, Tensor initial, boolean decay) {
        initial.requireAlive("Parameter.of");
        Tensor value = Tensor.zeros(arena, initial.shape());
        // Segment to segment: a 150 MB embedding table never passes through the Java heap.
        MemorySegment.copy(initial.segment(), 0, value.segment(), 0, initial.size() * Float.BYTES);
        return new Parameter(name, value, Tensor.zeros(arena, initial.shape()), decay);
    }

    /** A parameter of the given shape, all zeros, with a zero gradient, in {@code arena}. */
    public static Parameter zeros(Arena arena, String name, boolean decay, int... shape) {
        return new Parameter(name, Tensor.zeros(arena, shape), Tensor.zeros(arena, shape), decay);
    }

    /**
     * A parameter of the given shape initialised by {@code init} in a scratch arena that is freed at once, so the
     * model's arena holds only the value and its gradient (not a third, dead copy of the initial values).
     */
    public static Parameter initialised(Arena arena, String name, boolean decay,
                                        java.util.function.Function<Arena, Tensor> init) {
        try (Arena scratch = Arena.ofShared()) {
            return of(arena, name, init.apply(scratch), decay);
        }
    }

    public String name() {
        return name;
    }

    public Tensor value() {
        return value;
    }

    public Tensor grad() {
        return grad;
    }

    public boolean decay() {
        return decay;
    }

    public void zeroGrad() {
        grad.fill(0f);
    }

    @Override
    public String toString() {
        return "Parameter " + name + " " + value.shapeString();
    }
}
