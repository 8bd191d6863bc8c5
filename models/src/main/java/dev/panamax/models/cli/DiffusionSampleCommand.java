package dev.panamax.models.cli;

import dev.panamax.engine.Backend;
import dev.panamax.engine.Backends;
import dev.panamax.models.diffusion.DiffusionCheckpoint;
import dev.panamax.models.diffusion.Sampler;
import dev.panamax.models.diffusion.UNet;
import dev.panamax.models.diffusion.UNetConfig;
import dev.panamax.models.plot.ImageGrid;
import dev.panamax.models.training.ProgressBar;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code panamax diffusion sample}: generates images from a trained checkpoint (its EMA weights) with DDIM or DDPM
 * and writes them as one PNG grid; with {@code --trajectory}, also a strip per image from x_T (noise) to x_0.
 */
@Command(name = "sample", sortOptions = false, mixinStandardHelpOptions = true,
        description = {"Generate images from a checkpoint of 'panamax diffusion train' with DDIM or DDPM sampling;",
            "writes a PNG grid (and with --trajectory the denoising steps x_T -> x_0)."})
final class DiffusionSampleCommand implements Callable<Integer> {

    @ParentCommand
    DiffusionCommand parent;

    @Option(names = "--checkpoint", required = true, paramLabel = "DIR",
            description = "Run folder (or its checkpoint.safetensors).")
    Path checkpoint;

    @Option(names = "--sampler", defaultValue = "ddim", description = "ddim or ddpm (default: ${DEFAULT-VALUE}).")
    String sampler;

    @Option(names = "--steps", description = "Denoising steps, 1..T (default: 50 for ddim, T for ddpm).")
    Integer steps;

    @Option(names = "--label", description = "Class of every image (default: the classes in turn; none for an "
            + "unconditional model).")
    Integer label;

    @Option(names = "--guidance", description = "Classifier-free guidance scale w; 1 = none (default: 2 for a "
            + "conditional model, 1 otherwise).")
    Float guidance;

    @Option(names = "--count", defaultValue = "16", description = "Images (default: ${DEFAULT-VALUE}).")
    int count;

    @Option(names = "--seed", defaultValue = "1", description = "Noise seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--out", paramLabel = "PNG", description = "Output grid (default: <checkpoint>/sample-<sampler>"
            + "-<steps>.png).")
    Path out;

    @Option(names = "--trajectory", description = "Also write <out>-trajectory.png: each image from noise to sample.")
    boolean trajectory;

    @Option(names = "--frames", defaultValue = "10", description = "Frames of the trajectory (default: ${DEFAULT-VALUE}).")
    int frames;

    @Override
    public Integer call() {
        try {
            return run();
        } catch (IOException e) {
            throw new IllegalStateException(e.getMessage(), e);   // one clear line, e.g. an unreadable checkpoint
        }
    }

    private int run() throws IOException {
        if (count < 1) {
            throw new IllegalArgumentException("--count must be >= 1, got " + count);
        }
        Backend backend = Backends.select(parent.parent.backend);
        Sampler.Method method = Sampler.Method.of(sampler);
        try (Arena arena = Arena.ofShared()) {
            DiffusionCheckpoint.Loaded loaded = DiffusionCheckpoint.load(checkpoint, arena);
            UNetConfig c = loaded.modelConfig();
            int t = loaded.schedule().timesteps();
            int stepCount = steps != null ? steps : method == Sampler.Method.DDIM ? Math.min(50, t) : t;
            float w = guidance != null ? guidance : c.conditional() ? 2f : 1f;
            int[] labels = new int[count];
            for (int i = 0; i < count; i++) {
                labels[i] = label != null ? label : c.conditional() ? i % c.classes() : UNet.NULL_LABEL;
            }
            Sampler.Trajectory frames = trajectory ? new Sampler.Trajectory(this.frames) : null;
            Path grid = out != null ? out : (Files.isDirectory(checkpoint) ? checkpoint : checkpoint.toAbsolutePath()
                    .getParent()).resolve(String.format(Locale.ROOT, "sample-%s-%d.png",
                    method.name().toLowerCase(Locale.ROOT), stepCount));
            long start = System.nanoTime();
            float[] images = new Sampler(loaded.model(), loaded.schedule(), backend)
                    .sample(method, labels, w, stepCount, seed, frames);
            double seconds = (System.nanoTime() - start) / 1e9;
            int columns = label == null && c.conditional() ? c.classes() : (int) Math.ceil(Math.sqrt(count));
            int scale = Math.max(1, 64 / c.height());
            ImageGrid.write(images, count, c.imageChannels(), c.height(), c.width(), columns, scale, grid);
            System.out.printf(Locale.ROOT, "%d images, %s %d steps, %s, guidance %s, seed %d, in %s (model step %d)%n",
                    count, method, stepCount, label != null ? "label " + label
                            : c.conditional() ? "labels 0.." + (c.classes() - 1) + " in turn" : "unconditional",
                    w, seed, ProgressBar.duration(seconds), loaded.step());
            System.out.println("wrote " + grid);
            if (frames != null) {
                String name = grid.getFileName().toString().replaceFirst("\\.png$", "");
                Path strip = grid.resolveSibling(name + "-trajectory.png");
                ImageGrid.write(frames.strips(), frames.images() * frames.frames(), c.imageChannels(), c.height(),
                        c.width(), frames.frames(), scale, strip);
                System.out.println("wrote " + strip + " (one row per image, x_T on the left, x_0 on the right)");
            }
        }
        return 0;
    }
}
