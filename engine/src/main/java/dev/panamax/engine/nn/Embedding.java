package dev.panamax.engine.nn;

import dev.panamax.engine.Tensor;
import dev.panamax.engine.autograd.ShapeOps;
import dev.panamax.engine.autograd.Tape;
import dev.panamax.engine.autograd.Var;
import java.lang.foreign.Arena;
import java.util.List;

/** A lookup table [vocab, width] initialised from N(0, std²); forward maps ids to rows. */
public final class Embedding implements Module {

    private final Parameter weight;

    public Embedding(Arena arena, String name, int vocab, int width, float std, long seed) {
        if (vocab < 1 || width < 1) {
            throw new IllegalArgumentException("Embedding " + name + ": vocab and width must be >= 1, got " + vocab
                    + ", " + width);
        }
        this.weight = Parameter.initialised(arena, name + ".weight", true,
                scratch -> Tensor.randn(scratch, seed, 0f, std, vocab, width));
    }

    public Parameter weight() {
        return weight;
    }

    /** Rows {@code ids} of the table: [ids.length, width]. */
    public Var forward(Tape tape, int[] ids) {
        return ShapeOps.embedding(tape, tape.param(weight), ids);
    }

    @Override
    public List<Parameter> parameters() {
        return List.of(weight);
    }
}
