package dev.panamax.engine.nn;

import dev.panamax.engine.Tensor;
import dev.panamax.engine.autograd.NormOps;
import dev.panamax.engine.autograd.Tape;
import dev.panamax.engine.autograd.Var;
import java.lang.foreign.Arena;
import java.util.List;

/**
 * LayerNorm over the last dimension, gain 1 and bias 0 at start (no weight decay on either). Without a bias (as
 * nanoGPT's {@code bias=False}) the shift is a constant zero that is not a parameter.
 */
public final class LayerNorm implements Layer {

    private final Parameter gain;
    private final Parameter shift;
    private final float eps;

    private final Tensor zeroShift;

    public LayerNorm(Arena arena, String name, int width, float eps) {
        this(arena, name, width, eps, true);
    }

    public LayerNorm(Arena arena, String name, int width, float eps, boolean withBias) {
        if (width < 1 || !(eps > 0)) {
            throw new IllegalArgumentException("LayerNorm " + name + ": width must be >= 1 and eps > 0, got "
                    + width + ", " + eps);
        }
        this.gain = Parameter.zeros(arena, name + ".weight", false, width);
        this.gain.value().fill(1f);
        this.shift = withBias ? Parameter.zeros(arena, name + ".bias", false, width) : null;
        this.zeroShift = withBias ? null : Tensor.zeros(arena, width);
        this.eps = eps;
    }

    /** The gain (PyTorch's {@code weight}). */
    public Parameter gain() {
        return gain;
    }

    /** The shift (PyTorch's {@code bias}), or null without a bias. */
    public Parameter shift() {
        return shift;
    }

    /** The shift's values: the parameter's, or zeros without a bias. */
    public Tensor shiftValues() {
        return shift == null ? zeroShift : shift.value();
    }

    public float eps() {
        return eps;
    }

    @Override
    public Var forward(Tape tape, Var x) {
        return NormOps.layerNorm(tape, x, tape.param(gain), shift == null ? tape.constant(zeroShift) : tape.param(shift),
                eps);
    }

    @Override
    public List<Parameter> parameters() {
        return shift == null ? List.of(gain) : List.of(gain, shift);
    }
}
