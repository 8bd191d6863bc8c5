package dev.panamax.models.cli;

import java.nio.file.Path;
import picocli.CommandLine;

/**
 * The diffusion part of {@code panamax demo}: a tiny class-conditional U-Net trained for a few seconds on the
 * synthetic shapes (one bar, the other bar, a cross, a box), then a grid of guided DDIM samples, one row per
 * class, that a user can open. The same run as {@code panamax diffusion train} with small settings.
 */
final class DiffusionDemo {

    private DiffusionDemo() {
    }

    /** Trains for at most {@code maxSeconds} (and 600 steps) into {@code dir}; returns the sample grid. */
    static Path run(PanamaxCommand root, Path dir, double maxSeconds) {
        DiffusionCommand group = new DiffusionCommand();
        group.parent = root;
        DiffusionTrainCommand train = new DiffusionTrainCommand();
        // 8×8 and batch 8: in 25 s on 2 cores (JIT warm-up included) this reaches ~300 steps, enough for each
        // row of the grid to show its shape; 16×16 at batch 16 manages ~20 steps, still noise.
        new CommandLine(train).parseArgs("--data", "shapes", "--image-size", "8", "--base-channels", "16",
                "--channel-mult", "1,2", "--heads", "2", "--groups", "4", "--batch", "8", "--steps", "600",
                "--max-seconds", Double.toString(maxSeconds), "--lr", "3e-3", "--warmup", "20", "--ema", "0.98",
                "--sample-every", "0", "--checkpoint-every", "0", "--sample-steps", "20",
                "--out", dir.getParent() == null ? "." : dir.getParent().toString(), "--name",
                dir.getFileName().toString());
        train.parent = group;
        train.call();
        return train.runDir.resolve("samples.png");
    }
}
