package dev.panamax.engine.autograd;

import dev.panamax.engine.Backend;
import dev.panamax.engine.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * Multi-head attention pieces with their backward rules: the fused attention kernel on (batch, heads, T,
 * head_dim), and the layout moves between a model's [batch, T, heads·head_dim] rows and that per-head layout.
 */
public final class AttentionOps {

    private AttentionOps() {
    }

    /** Fused scaled-dot-product attention of q, k, v [batch, heads, T, head_dim]. */
    public static Var attention(Tape tape, Var q, Var k, Var v, boolean causal, float scale) {
        Backend backend = tape.backend();
        int[] qs = q.shape();
        if (qs.length != 4) {
            throw new IllegalArgumentException("attention: q must be [batch, heads, T, head_dim], got "
                    + q.value().shapeString());
        }
        Tensor out = tape.allocateUninitialized(qs);
        Tensor lse = tape.allocateUninitialized(qs[0], qs[1], qs[2]);
        backend.attention(q.value(), k.value(), v.value(), out, lse, causal, scale);
        Var result = tape.output(out, q, k, v);
        tape.onBackward(result, () -> {
            // The kernel overwrites its gradients; accumulate them so shared inputs get every contribution.
            Tensor dQ = tape.allocateUninitialized(q.shape());
            Tensor dK = tape.allocateUninitialized(k.shape());
            Tensor dV = tape.allocateUninitialized(v.shape());
            backend.attentionBackward(q.value(), k.value(), v.value(), out, lse, result.grad(), dQ, dK, dV, causal,
                    scale);
            ElementwiseOps.accumulate(backend, 1f, dQ, q);
            ElementwiseOps.accumulate(backend, 1f, dK, k);
            ElementwiseOps.accumulate(backend, 1f, dV, v);
        });
        return result;
    }

    /**
     * Splits x [batch, T, parts·heads·headDim] (e.g. the fused q, k, v projection, parts = 3) into {@code parts}
     * tensors [batch, heads, T, headDim].
     */
    public static Var[] splitHeads(Tape tape, Var x, int parts, int heads) {
        int[] s = x.shape();
        if (s.length != 3 || s[2] % (parts * heads) != 0) {
            throw new IllegalArgumentException("splitHeads: x " + x.value().shapeString() + " is not [batch, T, "
                    + parts + "·" + heads + "·head_dim]");
        }
        int batch = s[0];
        int time = s[1];
        int headDim = s[2] / (parts * heads);
        Backend backend = tape.backend();
        Var[] result = new Var[parts];
        for (int part = 0; part < parts; part++) {
            Tensor y = tape.allocateUninitialized(batch, heads, time, headDim);
            moveHeads(x.value().segment(), y.segment(), batch, time, heads, headDim, parts, part, true);
            Var out = tape.output(y, x);
            int thisPart = part;
            tape.onBackward(out, () -> {
                // Zeros: this part's heads fill only their columns of dx; the other parts' stay 0 in the sum.
                Tensor dx = tape.allocate(x.shape());
                moveHeads(dx.segment(), out.grad().segment(), batch, time, heads, headDim, parts, thisPart, false);
                ElementwiseOps.accumulate(backend, 1f, dx, x);
            });
            result[part] = out;
        }
        return result;
    }

    /** Merges x [batch, heads, T, headDim] back into rows [batch, T, heads·headDim]. */
    public static Var mergeHeads(Tape tape, Var x) {
        int[] s = x.shape();
        if (s.length != 4) {
            throw new IllegalArgumentException("mergeHeads: x must be [batch, heads, T, head_dim], got "
                    + x.value().shapeString());
        }
        int batch = s[0];
        int heads = s[1];
        int time = s[2];
        int headDim = s[3];
        Backend backend = tape.backend();
        Tensor y = tape.allocateUninitialized(batch, time, heads * headDim);
        moveHeads(y.segment(), x.value().segment(), batch, time, heads, headDim, 1, 0, false);
        Var out = tape.output(y, x);
        tape.onBackward(out, () -> {
            Tensor dx = tape.allocateUninitialized(x.shape());
            moveHeads(out.grad().segment(), dx.segment(), batch, time, heads, headDim, 1, 0, true);
            ElementwiseOps.accumulate(backend, 1f, dx, x);
        });
        return out;
    }

    /**
     * Copies head rows between the row layout [batch, T, parts·heads·headDim] (part {@code part}) and the head
     * layout [batch, heads, T, headDim]: rows → heads when {@code toHeads}, else heads → rows.
     */
    private static void moveHeads(MemorySegment rows, MemorySegment perHead, int batch, int time, int heads,
                                  int headDim, int parts, int part, boolean toHeads) {
        long rowWidth = (long) parts * heads * headDim;
        long bytes = (long) headDim * Float.BYTES;
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < time; t++) {
                for (int h = 0; h < heads; h++) {
                    long rowAt = (((long) b * time + t) * rowWidth + (long) part * heads * headDim
                            + (long) h * headDim) * Float.BYTES;
                    long headAt = ((((long) b * heads + h) * time) + t) * bytes;
                    if (toHeads) {
                        MemorySegment.copy(rows, rowAt, perHead, headAt, bytes);
                    } else {
                        MemorySegment.copy(perHead, headAt, rows, rowAt, bytes);
                    }
                }
            }
        }
    }
}
