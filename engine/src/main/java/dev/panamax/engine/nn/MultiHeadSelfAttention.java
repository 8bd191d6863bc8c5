package dev.panamax.engine.nn;

import dev.panamax.engine.autograd.AttentionOps;
import dev.panamax.engine.autograd.Tape;
import dev.panamax.engine.autograd.Var;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;

/**
 * Multi-head self-attention over x [batch, T, width], as GPT-2 names it: one fused projection to q, k, v
 * ({@code c_attn}, width → 3·width), the fused attention kernel per head (optionally causal), and the output
 * projection ({@code c_proj}).
 */
public final class MultiHeadSelfAttention implements Layer {

    private final Linear qkv;
    private final Linear projection;
    private final int heads;
    private final boolean causal;
    private final float scale;

    public MultiHeadSelfAttention(Arena arena, String name, int width, int heads, boolean causal, long seed) {
        this(arena, name, width, heads, causal, true, seed);
    }

    /** As above; without {@code withBias} the two projections have no bias (nanoGPT's {@code bias=False}). */
    public MultiHeadSelfAttention(Arena arena, String name, int width, int heads, boolean causal, boolean withBias,
                                  long seed) {
        if (heads < 1 || width % heads != 0) {
            throw new IllegalArgumentException("MultiHeadSelfAttention " + name + ": " + heads
                    + " heads do not divide the width " + width);
        }
        this.qkv = new Linear(arena, name + ".c_attn", width, 3 * width, withBias, seed);
        this.projection = new Linear(arena, name + ".c_proj", width, width, withBias, seed + 2);
        this.heads = heads;
        this.causal = causal;
        this.scale = (float) (1 / Math.sqrt((double) width / heads));
    }

    /** The fused q, k, v projection {@code c_attn} (width → 3·width; q, then k, then v, each head after head). */
    public Linear qkv() {
        return qkv;
    }

    /** The output projection {@code c_proj}. */
    public Linear projection() {
        return projection;
    }

    public int heads() {
        return heads;
    }

    public boolean causal() {
        return causal;
    }

    /** The score scale, 1/√head_dim. */
    public float scale() {
        return scale;
    }

    @Override
    public Var forward(Tape tape, Var x) {
        if (x.shape().length != 3) {
            throw new IllegalArgumentException("MultiHeadSelfAttention: x must be [batch, T, width], got "
                    + x.value().shapeString());
        }
        Var[] qkvHeads = AttentionOps.splitHeads(tape, qkv.forward(tape, x), 3, heads);
        Var attended = AttentionOps.attention(tape, qkvHeads[0], qkvHeads[1], qkvHeads[2], causal, scale);
        return projection.forward(tape, AttentionOps.mergeHeads(tape, attended));
    }

    @Override
    public List<Parameter> parameters() {
        List<Parameter> all = new ArrayList<>(qkv.parameters());
        all.addAll(projection.parameters());
        return all;
    }
}
