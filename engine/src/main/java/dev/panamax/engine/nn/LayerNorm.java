package dev.panamax.engine.nn;

import dev.panamax.engine.autograd.NormOps;
import dev.panamax.engine.autograd.Tape;
import dev.panamax.engine.autograd.Var;
import java.lang.foreign.Arena;
import java.util.List;

/** LayerNorm over the last dimension, gain 1 and bias 0 at start (no weight decay on either). */
public final class LayerNorm implements Layer {

    private final Parameter gain;
    private final Parameter shift;
    private final float eps;

    public LayerNorm(Arena arena, String name, int width, float eps) {
        this.gain = Parameter.zeros(arena, name + ".weight", false, width);
        this.gain.value().fill(1f);
        this.shift = Parameter.zeros(arena, name + ".bias", false, width);
        this.eps = eps;
    }

    @Override
    public Var forward(Tape tape, Var x) {
        return NormOps.layerNorm(tape, x, tape.param(gain), tape.param(shift), eps);
    }

    @Override
    public List<Parameter> parameters() {
        return List.of(gain, shift);
    }
}
