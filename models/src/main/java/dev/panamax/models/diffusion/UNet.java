package dev.panamax.models.diffusion;

import dev.panamax.engine.autograd.ConvOps;
import dev.panamax.engine.autograd.ElementwiseOps;
import dev.panamax.engine.autograd.ShapeOps;
import dev.panamax.engine.autograd.Tape;
import dev.panamax.engine.autograd.Var;
import dev.panamax.engine.nn.Conv2d;
import dev.panamax.engine.nn.GroupNorm;
import dev.panamax.engine.nn.Module;
import dev.panamax.engine.nn.Parameter;
import java.lang.foreign.Arena;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * DDPM's noise predictor ε_θ(x_t, t, label) (Ho et al. 2020, after PixelCNN++'s U-Net): an encoder that halves the
 * resolution level by level, a middle with self-attention at the lowest resolution, and a decoder that doubles it
 * back, concatenating the encoder's activation of the same resolution (skip connections) before each residual
 * block. Every residual block also receives the time (and label) embedding.
 *
 * <pre>
 *   x [N, C, H, W] ─ conv3×3 ─┬─ level 0: resBlocks × ResidualBlock ─ downsample ─┬─ ... ─ level L−1 ─┐
 *                             │ (each output kept as a skip)                      │                   │
 *                             │                                      middle: ResidualBlock, Attention, ResidualBlock
 *                             │                                                   │                   │
 *   ε̂ ─ conv3×3 ─ SiLU ─ GN ─┴─ level 0: (resBlocks+1) × [concat skip, ResidualBlock] ─ upsample ─ ... ┘
 * </pre>
 *
 * Parameters live in the caller's arena; activations in each step's {@link Tape}. The output convolution starts
 * at zero, so an untrained model predicts ε̂ = 0 (loss 1) rather than noise of its own.
 */
public final class UNet implements Module {

    /** The label that means "no class" (the unconditional half of classifier-free guidance). */
    public static final int NULL_LABEL = -1;

    private final UNetConfig config;
    private final TimeEmbedding time;
    private final Conv2d inputConv;
    private final ResidualBlock[][] down;        // [level][block]
    private final Conv2d[] downsample;           // [level], none after the last level
    private final ResidualBlock middle1;
    private final AttentionBlock middleAttention;
    private final ResidualBlock middle2;
    private final ResidualBlock[][] up;          // [level][block], resBlocks + 1 per level
    private final Conv2d[] upsample;             // [level], none at level 0
    private final GroupNorm outNorm;
    private final Conv2d outConv;
    private final List<Parameter> parameters = new ArrayList<>();
    private final long flopsPerImage;

    public UNet(Arena arena, UNetConfig config, long seed) {
        this.config = config;
        int levels = config.levels();
        int groups = config.groups();
        int emb = config.timeEmbedding();
        long[] seeds = {seed};
        long flops = 0;

        time = add(new TimeEmbedding(arena, "time", config.baseChannels(), emb, config.classes(), next(seeds)));
        flops += TimeEmbedding.flops(config.baseChannels(), emb);
        int h = config.height();
        int w = config.width();
        int ch = config.baseChannels();
        inputConv = add(new Conv2d(arena, "input", config.imageChannels(), ch, 3, 1, 1, true, next(seeds)));
        flops += 2L * 9 * config.imageChannels() * ch * h * w;

        Deque<Integer> skipChannels = new ArrayDeque<>();
        skipChannels.push(ch);
        down = new ResidualBlock[levels][config.resBlocks()];
        downsample = new Conv2d[levels];
        for (int level = 0; level < levels; level++) {
            int out = config.channels(level);
            for (int b = 0; b < config.resBlocks(); b++) {
                down[level][b] = add(new ResidualBlock(arena, "down." + level + "." + b, ch, out, emb, groups,
                        next(seeds)));
                flops += ResidualBlock.flops(ch, out, emb, h, w);
                ch = out;
                skipChannels.push(ch);
            }
            if (level < levels - 1) {
                downsample[level] = add(new Conv2d(arena, "down." + level + ".downsample", ch, ch, 3, 2, 1, true,
                        next(seeds)));
                h /= 2;
                w /= 2;
                flops += 2L * 9 * ch * ch * h * w;
                skipChannels.push(ch);
            }
        }

        middle1 = add(new ResidualBlock(arena, "mid.block1", ch, ch, emb, groups, next(seeds)));
        middleAttention = add(new AttentionBlock(arena, "mid.attn", ch, config.attentionHeads(), groups,
                next(seeds)));
        middle2 = add(new ResidualBlock(arena, "mid.block2", ch, ch, emb, groups, next(seeds)));
        flops += 2 * ResidualBlock.flops(ch, ch, emb, h, w) + AttentionBlock.flops(ch, h * w);

        up = new ResidualBlock[levels][config.resBlocks() + 1];
        upsample = new Conv2d[levels];
        for (int level = levels - 1; level >= 0; level--) {
            int out = config.channels(level);
            for (int b = 0; b <= config.resBlocks(); b++) {
                int in = ch + skipChannels.pop();
                up[level][b] = add(new ResidualBlock(arena, "up." + level + "." + b, in, out, emb, groups,
                        next(seeds)));
                flops += ResidualBlock.flops(in, out, emb, h, w);
                ch = out;
            }
            if (level > 0) {
                upsample[level] = add(new Conv2d(arena, "up." + level + ".upsample", ch, ch, 3, 1, 1, true,
                        next(seeds)));
                h *= 2;
                w *= 2;
                flops += 2L * 9 * ch * ch * h * w;
            }
        }

        outNorm = add(new GroupNorm(arena, "out.norm", groups, ch, 1e-5f));
        outConv = add(new Conv2d(arena, "out.conv", ch, config.imageChannels(), 3, 1, 1, true, next(seeds)));
        for (Parameter p : outConv.parameters()) {
            p.value().fill(0f);
        }
        flops += 2L * 9 * ch * config.imageChannels() * h * w;
        this.flopsPerImage = flops;

        Set<String> names = new HashSet<>();
        for (Parameter p : parameters) {
            if (!names.add(p.name())) {
                throw new IllegalStateException("UNet: two parameters are named " + p.name());
            }
        }
    }

    /**
     * The predicted noise ε̂ [N, C, H, W] for noisy images x_t [N, C, H, W] at steps {@code t} (one per image) with
     * {@code labels} (one per image, {@link #NULL_LABEL} for none; null for an unconditional model).
     */
    public Var forward(Tape tape, Var x, int[] t, int[] labels) {
        checkInputs(x, t, labels);
        Var emb = ElementwiseOps.silu(tape, time.forward(tape, t, labels));   // every block reads SiLU(emb)

        // Encoder: keep every activation for the decoder's skip connections.
        Deque<Var> skips = new ArrayDeque<>();
        Var h = inputConv.forward(tape, x);
        skips.push(h);
        for (int level = 0; level < config.levels(); level++) {
            for (ResidualBlock block : down[level]) {
                h = block.forward(tape, h, emb);
                skips.push(h);
            }
            if (downsample[level] != null) {
                h = downsample[level].forward(tape, h);
                skips.push(h);
            }
        }

        // Middle: the lowest resolution, where attention relates every position to every other.
        h = middle1.forward(tape, h, emb);
        h = middleAttention.forward(tape, h);
        h = middle2.forward(tape, h, emb);

        // Decoder: concatenate the skip of the same resolution before each block, then upsample.
        for (int level = config.levels() - 1; level >= 0; level--) {
            for (ResidualBlock block : up[level]) {
                h = block.forward(tape, ShapeOps.concatChannels(tape, h, skips.pop()), emb);
            }
            if (upsample[level] != null) {
                h = upsample[level].forward(tape, ConvOps.upsample2x(tape, h));
            }
        }

        return outConv.forward(tape, outNorm.forwardSilu(tape, h));
    }

    private void checkInputs(Var x, int[] t, int[] labels) {
        int[] s = x.shape();
        if (s.length != 4 || s[1] != config.imageChannels() || s[2] != config.height() || s[3] != config.width()) {
            int factor = 1 << (config.levels() - 1);
            String divisibility = s.length == 4 && (s[2] % factor != 0 || s[3] % factor != 0)
                    ? "; the size " + s[2] + "x" + s[3] + " is not even divisible by 2^" + (config.levels() - 1)
                    + " = " + factor + ", which " + config.levels() + " levels need" : "";
            throw new IllegalArgumentException("UNet: x is " + x.value().shapeString() + " but this model takes [N, "
                    + config.imageChannels() + ", " + config.height() + ", " + config.width() + "]" + divisibility);
        }
        if (t == null || t.length != s[0]) {
            throw new IllegalArgumentException("UNet: " + (t == null ? "no" : t.length) + " time steps for a batch of "
                    + s[0] + " images");
        }
        for (int step : t) {
            if (step < 0) {
                throw new IllegalArgumentException("UNet: time step " + step + " is negative");
            }
        }
        if (labels != null) {
            if (labels.length != s[0]) {
                throw new IllegalArgumentException("UNet: " + labels.length + " labels for a batch of " + s[0]
                        + " images");
            }
            for (int label : labels) {
                if (label != NULL_LABEL && (label < 0 || label >= config.classes())) {
                    throw new IllegalArgumentException("UNet: label " + label + " is outside [0, " + config.classes()
                            + ")" + (config.conditional() ? "" : ": this model is unconditional (0 classes)")
                            + "; use " + NULL_LABEL + " for no label");
                }
            }
        }
    }

    public UNetConfig config() {
        return config;
    }

    /**
     * Floating-point operations of one forward pass per image, counted from the config: convolutions, linear
     * layers and attention's two matrix products (2 per multiply-add); norms and activations are not counted.
     * A training step (forward + backward) is about 3× this.
     */
    public long flopsPerImage() {
        return flopsPerImage;
    }

    @Override
    public List<Parameter> parameters() {
        return parameters;
    }

    private <M extends Module> M add(M module) {
        parameters.addAll(module.parameters());
        return module;
    }

    /** Each module gets its own seed range (modules use seed, seed + 2, ... internally). */
    private static long next(long[] seeds) {
        seeds[0] += 16;
        return seeds[0];
    }

    @Override
    public String toString() {
        return "UNet " + Arrays.toString(config.channelMultipliers()) + " x " + config.baseChannels() + ", "
                + parameterCount() + " parameters";
    }
}
