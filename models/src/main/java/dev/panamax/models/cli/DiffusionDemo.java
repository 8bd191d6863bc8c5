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

    /** Trains for at most {@code maxSeconds} (and 400 steps) into {@code dir}; returns the sample grid. */
    static Path run(PanamaxCommand root, Path dir, double maxSeconds) {
        DiffusionCommand group = new DiffusionCommand();
        group.parent = root;
        DiffusionTrainCommand train = new DiffusionTrainCommand();
        new CommandLine(train).parseArgs("--data", "shapes", "--image-size", "16", "--base-channels", "16",
                "--channel-mult", "1,2", "--heads", "2", "--groups", "4", "--batch", "16", "--steps", "400",
                "--max-seconds", Double.toString(maxSeconds), "--lr", "2e-3", "--warmup", "20", "--ema", "0.99",
                "--sample-every", "0", "--checkpoint-every", "0", "--sample-steps", "20",
                "--out", dir.getParent() == null ? "." : dir.getParent().toString(), "--name",
                dir.getFileName().toString());
        train.parent = group;
        train.call();
        return train.runDir.resolve("samples.png");
    }
}
