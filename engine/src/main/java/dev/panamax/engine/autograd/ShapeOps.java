package dev.panamax.engine.autograd;

import dev.panamax.engine.Backend;
import dev.panamax.engine.Tensor;
import java.util.SplittableRandom;

/** Views, lookups, concatenation, reductions and dropout, with their backward rules. */
public final class ShapeOps {

    private ShapeOps() {
    }

    /** The same values with another shape; no copy: the result's gradient is a view of x's gradient. */
    public static Var reshape(Tape tape, Var x, int... shape) {
        Tensor view = x.value().reshape(shape);
        Var out = tape.output(view, x);
        if (x.requiresGrad()) {
            out.setGrad(x.gradForAccumulation().reshape(shape));
        }
        return out;
    }

    /** Rows of an embedding table: out [ids.length, width]. */
    public static Var embedding(Tape tape, Var table, int[] ids) {
        Backend backend = tape.backend();
        Tensor y = tape.allocateUninitialized(ids.length, table.value().dim(-1));
        backend.embedding(table.value(), ids, y);
        Var out = tape.output(y, table);
        int[] savedIds = ids.clone();
        tape.onBackward(out, () -> backend.embeddingBackward(savedIds, out.grad(), table.gradForAccumulation()));
        return out;
    }

    /** [a, b] along dimension 1 (channels), for U-Net skip connections. */
    public static Var concatChannels(Tape tape, Var a, Var b) {
        Backend backend = tape.backend();
        int[] shape = a.shape();
        shape[1] += b.value().dim(1);
        Tensor y = tape.allocateUninitialized(shape);
        backend.concatChannels(a.value(), b.value(), y);
        Var out = tape.output(y, a, b);
        tape.onBackward(out, () -> {
            // Both parts are written; a part that needs no gradient gets a scratch buffer.
            Tensor dA = a.requiresGrad() ? a.gradForAccumulation() : tape.allocate(a.shape());
            Tensor dB = b.requiresGrad() ? b.gradForAccumulation() : tape.allocate(b.shape());
            backend.concatChannelsBackward(out.grad(), dA, dB);
        });
        return out;
    }

    /**
     * Swaps the last two dimensions, x [..., m, n] → [..., n, m] (a copy): e.g. image channels [N, C, H·W] to
     * attention tokens [N, H·W, C] and back.
     */
    public static Var transpose(Tape tape, Var x) {
        Backend backend = tape.backend();
        int[] shape = x.shape();
        if (shape.length < 2) {
            throw new IllegalArgumentException("transpose: x must have at least 2 dimensions, got "
                    + x.value().shapeString());
        }
        int last = shape[shape.length - 1];
        shape[shape.length - 1] = shape[shape.length - 2];
        shape[shape.length - 2] = last;
        Tensor y = tape.allocateUninitialized(shape);
        backend.transpose(x.value(), y);
        Var out = tape.output(y, x);
        tape.onBackward(out, () -> {
            Tensor dx = tape.allocateUninitialized(x.shape());
            backend.transpose(out.grad(), dx);
            ElementwiseOps.accumulate(backend, 1f, dx, x);
        });
        return out;
    }

    /** Σ x as a scalar. */
    public static Var sum(Tape tape, Var x) {
        return reduce(tape, x, false);
    }

    /** mean(x) as a scalar. */
    public static Var mean(Tape tape, Var x) {
        return reduce(tape, x, true);
    }

    private static Var reduce(Tape tape, Var x, boolean mean) {
        Backend backend = tape.backend();
        double total = backend.sum(x.value());
        long n = x.value().size();
        Var out = tape.output(LossOps.scalar(tape, mean ? total / n : total), x);
        tape.onBackward(out, () -> {
            Tensor spread = tape.allocateUninitialized(x.shape());
            spread.fill(mean ? out.grad().get(0) / n : out.grad().get(0));
            backend.axpy(1f, spread, x.gradForAccumulation());
        });
        return out;
    }

    /**
     * Inverted dropout: in training, zeroes each element with probability p and scales the rest by 1/(1 − p);
     * otherwise the identity. The mask comes from {@code seed}, so a step is reproducible.
     */
    public static Var dropout(Tape tape, Var x, float p, boolean training, long seed) {
        if (!(p >= 0f && p < 1f)) {
            throw new IllegalArgumentException("dropout: p must be in [0, 1), got " + p);
        }
        if (!training || p == 0f) {
            return x;
        }
        Backend backend = tape.backend();
        Tensor mask = tape.allocateUninitialized(x.shape());
        SplittableRandom random = new SplittableRandom(seed);
        float keep = 1f / (1f - p);
        // Written straight to the off-heap mask: no heap array the size of the activation.
        java.lang.foreign.MemorySegment m = mask.segment();
        for (long i = 0; i < mask.size(); i++) {
            m.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i, random.nextDouble() < p ? 0f : keep);
        }
        Tensor y = tape.allocateUninitialized(x.shape());
        backend.mul(x.value(), mask, y);
        Var out = tape.output(y, x);
        tape.onBackward(out, () -> {
            Tensor masked = tape.allocateUninitialized(x.shape());
            backend.mul(out.grad(), mask, masked);
            backend.axpy(1f, masked, x.gradForAccumulation());
        });
        return out;
    }
}
