package dev.panamax.models.diffusion;

import dev.panamax.engine.autograd.ElementwiseOps;
import dev.panamax.engine.autograd.Tape;
import dev.panamax.engine.autograd.Var;
import dev.panamax.engine.nn.Conv2d;
import dev.panamax.engine.nn.GroupNorm;
import dev.panamax.engine.nn.Linear;
import dev.panamax.engine.nn.Module;
import dev.panamax.engine.nn.Parameter;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;

/**
 * The U-Net's residual block (Ho et al. 2020, after Wide ResNet), with the time step injected in the middle:
 *
 * <pre>
 *   h = conv3×3(SiLU(GroupNorm(x)))                 [N, out, H, W]
 *   h = h + Linear(SiLU(emb))[:, :, None, None]     one offset per sample and channel
 *   h = conv3×3(SiLU(GroupNorm(h)))
 *   return skip(x) + h                              skip: 1×1 conv when the channel count changes, else identity
 * </pre>
 */
final class ResidualBlock implements Module {

    private final GroupNorm norm1;
    private final Conv2d conv1;
    private final Linear timeProjection;
    private final GroupNorm norm2;
    private final Conv2d conv2;
    private final Conv2d skip;

    ResidualBlock(Arena arena, String name, int in, int out, int embedding, int groups, long seed) {
        this.norm1 = new GroupNorm(arena, name + ".norm1", groups, in, 1e-5f);
        this.conv1 = new Conv2d(arena, name + ".conv1", in, out, 3, 1, 1, true, seed);
        this.timeProjection = new Linear(arena, name + ".time_proj", embedding, out, true, seed + 2);
        this.norm2 = new GroupNorm(arena, name + ".norm2", groups, out, 1e-5f);
        this.conv2 = new Conv2d(arena, name + ".conv2", out, out, 3, 1, 1, true, seed + 4);
        this.skip = in == out ? null : new Conv2d(arena, name + ".skip", in, out, 1, 1, 0, true, seed + 6);
    }

    /** x [N, in, H, W], emb = SiLU(time embedding) [N, embedding] → [N, out, H, W]. */
    Var forward(Tape tape, Var x, Var emb) {
        Var h = conv1.forward(tape, norm1.forwardSilu(tape, x));      // SiLU(GroupNorm(x)), fused
        h = ElementwiseOps.addChannelBias(tape, h, timeProjection.forward(tape, emb));
        h = conv2.forward(tape, norm2.forwardSilu(tape, h));
        return ElementwiseOps.add(tape, skip == null ? x : skip.forward(tape, x), h);
    }

    /** Multiply-add FLOPs (2 per multiply-add) of the convolutions and the projection, per image at H×W. */
    static long flops(int in, int out, int embedding, int height, int width) {
        long pixels = (long) height * width;
        long convs = 2L * 9 * in * out * pixels + 2L * 9 * out * out * pixels;
        long skipConv = in == out ? 0 : 2L * in * out * pixels;
        return convs + skipConv + 2L * embedding * out;
    }

    @Override
    public List<Parameter> parameters() {
        List<Parameter> all = new ArrayList<>();
        all.addAll(norm1.parameters());
        all.addAll(conv1.parameters());
        all.addAll(timeProjection.parameters());
        all.addAll(norm2.parameters());
        all.addAll(conv2.parameters());
        if (skip != null) {
            all.addAll(skip.parameters());
        }
        return all;
    }
}
