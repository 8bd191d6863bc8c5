package dev.panamax.models.diffusion;

import dev.panamax.engine.autograd.ElementwiseOps;
import dev.panamax.engine.autograd.ShapeOps;
import dev.panamax.engine.autograd.Tape;
import dev.panamax.engine.autograd.Var;
import dev.panamax.engine.nn.GroupNorm;
import dev.panamax.engine.nn.Module;
import dev.panamax.engine.nn.MultiHeadSelfAttention;
import dev.panamax.engine.nn.Parameter;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;

/**
 * Self-attention over the pixels of a feature map, with a residual connection: every position attends to every
 * other, so the lowest resolution sees the whole image at once. The H·W positions are the tokens and the channels
 * their features; attention runs through the engine's fused kernel ({@link MultiHeadSelfAttention}, not causal).
 *
 * <pre>
 *   tokens = transpose(GroupNorm(x).reshape(N, C, H·W))      [N, H·W, C]
 *   return x + transpose(attention(tokens)).reshape(N, C, H, W)
 * </pre>
 */
final class AttentionBlock implements Module {

    private final GroupNorm norm;
    private final MultiHeadSelfAttention attention;

    AttentionBlock(Arena arena, String name, int channels, int heads, int groups, long seed) {
        this.norm = new GroupNorm(arena, name + ".norm", groups, channels, 1e-5f);
        this.attention = new MultiHeadSelfAttention(arena, name + ".attn", channels, heads, false, seed);
    }

    Var forward(Tape tape, Var x) {
        int[] s = x.shape();
        int n = s[0];
        int c = s[1];
        int positions = s[2] * s[3];
        Var tokens = ShapeOps.transpose(tape, ShapeOps.reshape(tape, norm.forward(tape, x), n, c, positions));
        Var attended = ShapeOps.transpose(tape, attention.forward(tape, tokens));
        return ElementwiseOps.add(tape, x, ShapeOps.reshape(tape, attended, s));
    }

    /** FLOPs per image: the q/k/v and output projections plus Q·Kᵀ and P·V over {@code positions} tokens. */
    static long flops(int channels, int positions) {
        long projections = 2L * positions * channels * (3L * channels) + 2L * positions * channels * channels;
        long scores = 2L * positions * positions * channels * 2;
        return projections + scores;
    }

    @Override
    public List<Parameter> parameters() {
        List<Parameter> all = new ArrayList<>(norm.parameters());
        all.addAll(attention.parameters());
        return all;
    }
}
