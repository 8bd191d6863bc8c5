package dev.panamax.engine.nn;

import dev.panamax.engine.Tensor;
import dev.panamax.engine.autograd.LinearOps;
import dev.panamax.engine.autograd.Tape;
import dev.panamax.engine.autograd.Var;
import java.lang.foreign.Arena;
import java.util.List;

/**
 * y = x·Wᵀ + b with W [out, in] (PyTorch's layout, so checkpoints map one to one). Initialised like PyTorch:
 * W and b uniform in ±1/√in, from {@code seed}.
 */
public final class Linear implements Layer {

    private final Parameter weight;
    private final Parameter bias;

    public Linear(Arena arena, String name, int in, int out, boolean withBias, long seed) {
        if (in < 1 || out < 1) {
            throw new IllegalArgumentException("Linear " + name + ": in and out must be >= 1, got " + in + ", " + out);
        }
        float bound = (float) (1 / Math.sqrt(in));
        this.weight = Parameter.initialised(arena, name + ".weight", true,
                scratch -> Tensor.uniform(scratch, seed, -bound, bound, out, in));
        this.bias = withBias
                ? Parameter.initialised(arena, name + ".bias", false,
                        scratch -> Tensor.uniform(scratch, seed + 1, -bound, bound, out))
                : null;
    }

    public Parameter weight() {
        return weight;
    }

    /** The bias, or null. */
    public Parameter bias() {
        return bias;
    }

    @Override
    public Var forward(Tape tape, Var x) {
        return LinearOps.linear(tape, x, tape.param(weight), bias == null ? null : tape.param(bias));
    }

    @Override
    public List<Parameter> parameters() {
        return bias == null ? List.of(weight) : List.of(weight, bias);
    }
}
