package dev.panamax.engine.nn;

import dev.panamax.engine.autograd.NormOps;
import dev.panamax.engine.autograd.Tape;
import dev.panamax.engine.autograd.Var;
import java.lang.foreign.Arena;
import java.util.List;

/** GroupNorm over [N, C, ...] with per-channel gain (1) and bias (0). */
public final class GroupNorm implements Layer {

    private final int groups;
    private final Parameter gain;
    private final Parameter shift;
    private final float eps;

    public GroupNorm(Arena arena, String name, int groups, int channels, float eps) {
        if (groups < 1 || channels % groups != 0) {
            throw new IllegalArgumentException("GroupNorm " + name + ": " + groups + " groups do not divide "
                    + channels + " channels");
        }
        this.groups = groups;
        this.gain = Parameter.zeros(arena, name + ".weight", false, channels);
        this.gain.value().fill(1f);
        this.shift = Parameter.zeros(arena, name + ".bias", false, channels);
        this.eps = eps;
    }

    @Override
    public Var forward(Tape tape, Var x) {
        return NormOps.groupNorm(tape, x, groups, tape.param(gain), tape.param(shift), eps);
    }

    /** SiLU(GroupNorm(x)) as one fused operation: the same values as {@code silu(forward(x))}, in one pass. */
    public Var forwardSilu(Tape tape, Var x) {
        return NormOps.groupNormSilu(tape, x, groups, tape.param(gain), tape.param(shift), eps);
    }

    @Override
    public List<Parameter> parameters() {
        return List.of(gain, shift);
    }
}
