package dev.panamax.models.diffusion;

/**
 * The documented recipe for class-conditional glyph digits (README, "Diffusion"): a U-Net sized to train within
 * 30 minutes on 2 cores, chosen from the step times that {@code DiffusionStepBenchmark} measures. The defaults of
 * {@code panamax diffusion train} are these values.
 */
public final class DiffusionRecipe {

    /** U-Net width and shape: 3 levels (28 → 14 → 7, attention over the 49 positions of the 7×7 level). */
    public static final int BASE_CHANNELS = 16;
    public static final int[] CHANNEL_MULTIPLIERS = {1, 2, 2};
    public static final int RES_BLOCKS = 1;
    public static final int HEADS = 4;
    public static final int GROUPS = 8;
    public static final int TIME_EMBEDDING = 4 * BASE_CHANNELS;
    /** Training: AdamW at 1e-3 after 100 warmup steps, cosine to 1e-4; batch 32; EMA 0.999; clip 1. */
    public static final int BATCH = 32;
    public static final double LEARNING_RATE = 1e-3;
    public static final long WARMUP = 100;
    public static final long STEPS = 3000;
    public static final double EMA = 0.999;

    private DiffusionRecipe() {
    }

    /** The recipe's U-Net for {@code side}×{@code side} grayscale images of {@code classes} classes. */
    public static UNetConfig model(int side, int classes) {
        return new UNetConfig(1, side, side, BASE_CHANNELS, CHANNEL_MULTIPLIERS, RES_BLOCKS, HEADS, GROUPS, classes,
                TIME_EMBEDDING);
    }

    /** The recipe's training settings (linear schedule, T = 1000, label dropout 0.1). */
    public static TrainingConfig training(long seed) {
        return new TrainingConfig(STEPS, BATCH, LEARNING_RATE, WARMUP, 0.0, 1.0, EMA, 0.1, "linear", 1000, seed);
    }
}
