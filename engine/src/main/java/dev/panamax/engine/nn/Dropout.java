package dev.panamax.engine.nn;

import dev.panamax.engine.autograd.ShapeOps;
import dev.panamax.engine.autograd.Tape;
import dev.panamax.engine.autograd.Var;
import java.util.List;

/**
 * Inverted dropout, active only in training mode. Each call draws a fresh mask from the seed and a call counter,
 * so a run is reproducible from its seed.
 */
public final class Dropout implements Layer {

    private final float p;
    private final long seed;
    private long calls;
    private boolean training = true;

    public Dropout(float p, long seed) {
        if (!(p >= 0f && p < 1f)) {
            throw new IllegalArgumentException("Dropout: p must be in [0, 1), got " + p);
        }
        this.p = p;
        this.seed = seed;
    }

    /** Training mode drops; evaluation mode is the identity. */
    public void train(boolean training) {
        this.training = training;
    }

    @Override
    public Var forward(Tape tape, Var x) {
        return ShapeOps.dropout(tape, x, p, training, seed * 0x9E3779B97F4A7C15L + calls++);
    }

    @Override
    public List<Parameter> parameters() {
        return List.of();
    }
}
