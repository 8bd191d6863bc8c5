package dev.panamax.models.cli;

import dev.panamax.engine.Backend;
import dev.panamax.engine.Backends;
import dev.panamax.models.diffusion.DiffusionCheckpoint;
import dev.panamax.models.diffusion.DiffusionTrainer;
import dev.panamax.models.diffusion.Sampler;
import dev.panamax.models.diffusion.TrainingConfig;
import dev.panamax.models.diffusion.UNet;
import dev.panamax.models.diffusion.UNetConfig;
import dev.panamax.models.diffusion.data.ImageDataset;
import dev.panamax.models.diffusion.data.ImageFolderDataset;
import dev.panamax.models.plot.ImageGrid;
import dev.panamax.models.plot.LineChart;
import dev.panamax.models.training.MetricsCsv;
import dev.panamax.models.training.ProgressBar;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code panamax diffusion train}: trains a (class-conditional) DDPM U-Net on a dataset and writes, under
 * {@code <out>/<name>/}: {@code checkpoint.safetensors} + {@code config.json}, {@code metrics.csv} (one row per
 * step), {@code loss.png}, and sample grids ({@code samples/step_NNNNNN.png} every {@code --sample-every} steps,
 * {@code samples.png} at the end, one row per class). {@code --resume} continues the run in that folder exactly.
 */
@Command(name = "train", sortOptions = false, mixinStandardHelpOptions = true,
        description = {"Train a DDPM U-Net noise predictor; outputs under <out>/<name>/: checkpoint, metrics.csv,",
            "loss.png and sample grids. Defaults are the documented recipe (README, Diffusion)."})
final class DiffusionTrainCommand implements Callable<Integer> {

    static final String[] METRICS = {"step", "loss", "lr", "images_per_s", "seconds"};

    @ParentCommand
    DiffusionCommand parent;

    @Option(names = "--data", defaultValue = DiffusionData.GLYPHS, paramLabel = "NAME|DIR",
            description = {"glyphs (the recipe's digits, 28x28), shapes (synthetic, 16x16), or a folder of PNG/JPEG",
                "images (loose: unconditional; one sub-folder per class: labelled) (default: ${DEFAULT-VALUE})."})
    String data;

    @Option(names = "--image-size", paramLabel = "PX",
            description = "Image side (default: the dataset's; 28 for a folder).")
    Integer imageSize;

    @Option(names = "--data-count", paramLabel = "N",
            description = "Images to generate for glyphs or shapes (default: 60000 glyphs, 10000 shapes).")
    Integer dataCount;

    @Option(names = "--rgb", description = "Read a folder's images in colour (3 channels) instead of grayscale.")
    boolean rgb;

    @Option(names = "--name", defaultValue = "diffusion", description = "Run name (default: ${DEFAULT-VALUE}).")
    String name;

    @Option(names = "--out", defaultValue = "runs", paramLabel = "DIR",
            description = "Parent folder of the run (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--resume", description = "Continue the run saved in <out>/<name>/ (up to --steps in total).")
    boolean resume;

    @Option(names = "--steps", defaultValue = "3000", description = "Total optimizer steps (default: ${DEFAULT-VALUE}).")
    long steps;

    @Option(names = "--max-seconds", paramLabel = "S",
            description = "Stop earlier after this many seconds of training (the checkpoint is saved).")
    Double maxSeconds;

    @Option(names = "--batch", defaultValue = "32", description = "Images per step (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--lr", defaultValue = "1e-3", description = "Peak learning rate (default: ${DEFAULT-VALUE}).")
    double learningRate;

    @Option(names = "--warmup", defaultValue = "100", description = "Warmup steps (default: ${DEFAULT-VALUE}).")
    long warmup;

    @Option(names = "--weight-decay", defaultValue = "0", description = "AdamW weight decay (default: ${DEFAULT-VALUE}).")
    double weightDecay;

    @Option(names = "--clip", defaultValue = "1", description = "Gradient-norm clip, 0 = off (default: ${DEFAULT-VALUE}).")
    double clip;

    @Option(names = "--ema", defaultValue = "0.999", description = "EMA decay of the weights (default: ${DEFAULT-VALUE}).")
    double ema;

    @Option(names = "--label-dropout", defaultValue = "0.1",
            description = "Share of labels replaced by the null label (default: ${DEFAULT-VALUE}).")
    double labelDropout;

    @Option(names = "--unconditional", description = "Ignore the labels: an unconditional model.")
    boolean unconditional;

    @Option(names = "--schedule", defaultValue = "linear", description = "linear or cosine (default: ${DEFAULT-VALUE}).")
    String schedule;

    @Option(names = "--timesteps", defaultValue = "1000", description = "T (default: ${DEFAULT-VALUE}).")
    int timesteps;

    @Option(names = "--base-channels", defaultValue = "16", description = "U-Net width (default: ${DEFAULT-VALUE}).")
    int baseChannels;

    @Option(names = "--channel-mult", defaultValue = "1,2,2", split = ",",
            description = "Channel multiplier per level (default: ${DEFAULT-VALUE}).")
    int[] channelMultipliers;

    @Option(names = "--res-blocks", defaultValue = "1", description = "Residual blocks per level (default: ${DEFAULT-VALUE}).")
    int resBlocks;

    @Option(names = "--heads", defaultValue = "4", description = "Attention heads (default: ${DEFAULT-VALUE}).")
    int heads;

    @Option(names = "--groups", defaultValue = "8", description = "GroupNorm groups (default: ${DEFAULT-VALUE}).")
    int groups;

    @Option(names = "--time-embedding", description = "Time-embedding width (default: 4 x base channels).")
    Integer timeEmbedding;

    @Option(names = "--sample-every", defaultValue = "500",
            description = "Write a sample grid every N steps, 0 = only at the end (default: ${DEFAULT-VALUE}).")
    long sampleEvery;

    @Option(names = "--sample-steps", defaultValue = "20", description = "DDIM steps of those grids (default: ${DEFAULT-VALUE}).")
    int sampleSteps;

    @Option(names = "--checkpoint-every", defaultValue = "500",
            description = "Save every N steps, 0 = only at the end (default: ${DEFAULT-VALUE}).")
    long checkpointEvery;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of weights and batches (default: ${DEFAULT-VALUE}).")
    long seed;

    /** Where the run was written, for the demo. */
    Path runDir;

    @Override
    public Integer call() {
        try {
            return run();
        } catch (IOException e) {
            throw new IllegalStateException(e.getMessage(), e);   // one clear line, e.g. an unreadable checkpoint
        }
    }

    private int run() throws IOException {
        Backend backend = Backends.select(parent.parent.backend);
        PrintStream stdout = System.out;
        if (sampleEvery < 0 || checkpointEvery < 0 || (maxSeconds != null && !(maxSeconds > 0))) {
            throw new IllegalArgumentException("--sample-every and --checkpoint-every must be >= 0 and --max-seconds > 0");
        }
        ImageDataset dataset = DiffusionData.open(data, imageSize, dataCount, seed,
                rgb ? ImageFolderDataset.Color.RGB : ImageFolderDataset.Color.GRAY);
        runDir = out.resolve(name);
        DiffusionTrainer trainer;
        if (resume) {
            trainer = DiffusionTrainer.resume(runDir, dataset, backend, steps);
        } else {
            UNetConfig model = new UNetConfig(dataset.channels(), dataset.height(), dataset.width(), baseChannels,
                    channelMultipliers, resBlocks, heads, groups, unconditional ? 0 : dataset.classes(),
                    timeEmbedding == null ? 4 * baseChannels : timeEmbedding);
            TrainingConfig training = new TrainingConfig(steps, batch, learningRate, Math.min(warmup, steps - 1),
                    weightDecay, clip, ema, labelDropout, schedule, timesteps, seed);
            trainer = new DiffusionTrainer(model, training, dataset, backend);
        }
        try (trainer) {
            train(trainer, dataset, stdout);
        }
        return 0;
    }

    private void train(DiffusionTrainer trainer, ImageDataset dataset, PrintStream stdout) throws IOException {
        Files.createDirectories(runDir);
        long total = trainer.config().steps();
        stdout.printf(Locale.ROOT, "%s %s on %s: %d images %dx%dx%d, %d classes; %s, %.1f MFLOP per image "
                        + "forward; %s%n", resume ? "resuming at step " + trainer.stepCount() + ":" : "training",
                trainer.model(), data, dataset.size(), dataset.channels(), dataset.height(), dataset.width(),
                trainer.modelConfig().classes(), trainer.schedule().name() + " schedule T=" + trainer.schedule()
                        .timesteps(), trainer.model().flopsPerImage() / 1e6, trainer.backend().name() + " backend");
        Path metricsFile = runDir.resolve("metrics.csv");
        ProgressBar bar = new ProgressBar(System.err, "step", total);
        long start = System.nanoTime();
        long firstStep = trainer.stepCount();
        double recent = Double.NaN;
        try (MetricsCsv metrics = resume ? MetricsCsv.openForResume(metricsFile, firstStep, METRICS)
                : MetricsCsv.create(metricsFile, METRICS)) {
            while (trainer.stepCount() < total) {
                double lr = trainer.learningRate();
                long stepStart = System.nanoTime();
                double loss = trainer.step();
                if (!Double.isFinite(loss)) {
                    throw new IllegalStateException("the loss became " + loss + " at step " + trainer.stepCount()
                            + "; lower --lr (now " + learningRate + ") or keep --clip on");
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                double imagesPerSecond = trainer.config().batchSize() / ((System.nanoTime() - stepStart) / 1e9);
                long step = trainer.stepCount();
                metrics.row(step, loss, lr, imagesPerSecond, seconds);
                recent = Double.isNaN(recent) ? loss : 0.95 * recent + 0.05 * loss;
                double averageRate = (step - firstStep) * trainer.config().batchSize() / seconds;
                bar.update(step, String.format(Locale.ROOT, "loss %.4f  %s img/s", recent,
                        ProgressBar.rate(averageRate)));
                boolean timeUp = maxSeconds != null && seconds >= maxSeconds;
                if (checkpointEvery > 0 && step % checkpointEvery == 0 && step < total && !timeUp) {
                    trainer.save(runDir);
                }
                if (sampleEvery > 0 && step % sampleEvery == 0 && step < total && !timeUp) {
                    Path grid = sampleGrid(trainer, runDir.resolve("samples").resolve(String.format(Locale.ROOT,
                            "step_%06d.png", step)));
                    bar.println("step " + step + ": wrote " + grid);
                }
                if (timeUp) {
                    bar.println(String.format(Locale.ROOT, "stopping at step %d: --max-seconds %.0f reached", step,
                            maxSeconds));
                    break;
                }
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        Path checkpoint = trainer.save(runDir);
        Path samples = sampleGrid(trainer, runDir.resolve("samples.png"));
        Path chart = lossChart(metricsFile, runDir.resolve("loss.png"));
        long done = trainer.stepCount() - firstStep;
        stdout.printf(Locale.ROOT, "trained %d steps in %s (%.1f images/s), loss (smoothed) %.4f%n", done,
                ProgressBar.duration(seconds), done * trainer.config().batchSize() / seconds, recent);
        stdout.println("wrote " + checkpoint + ", " + metricsFile + ", " + chart + ", " + samples);
        stdout.println("sample: ./panamax diffusion sample --checkpoint " + runDir
                + (trainer.modelConfig().conditional() ? " --label 0 --guidance 2" : ""));
    }

    /** A grid of EMA samples: for a conditional model one row per class, else 2 rows of 8. */
    static Path sampleGrid(DiffusionTrainer trainer, Path file, int steps) {
        UNetConfig c = trainer.modelConfig();
        int columns = 8;
        int[] labels;
        if (c.conditional()) {
            labels = new int[c.classes() * columns];
            for (int i = 0; i < labels.length; i++) {
                labels[i] = i / columns;
            }
        } else {
            labels = new int[2 * columns];
            java.util.Arrays.fill(labels, UNet.NULL_LABEL);
        }
        float guidance = c.conditional() ? 2f : 1f;
        float[] images = new Sampler(trainer.ema(), trainer.schedule(), trainer.backend())
                .sample(Sampler.Method.DDIM, labels, guidance, Math.min(steps, trainer.schedule().timesteps()), 1,
                        null);
        return ImageGrid.write(images, labels.length, c.imageChannels(), c.height(), c.width(), columns,
                Math.max(1, 64 / c.height()), file);
    }

    private Path sampleGrid(DiffusionTrainer trainer, Path file) {
        return sampleGrid(trainer, file, sampleSteps);
    }

    /** The loss per step (faint) and its moving average, from metrics.csv (so a resumed run shows it all). */
    static Path lossChart(Path metricsFile, Path png) {
        List<double[]> rows = new ArrayList<>();
        try {
            List<String> lines = Files.readAllLines(metricsFile, StandardCharsets.UTF_8);
            for (String line : lines.subList(1, lines.size())) {
                String[] cells = line.split(",");
                rows.add(new double[] {Double.parseDouble(cells[0]), Double.parseDouble(cells[1])});
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + metricsFile + ": " + e.getMessage(), e);
        }
        double[] step = new double[rows.size()];
        double[] loss = new double[rows.size()];
        double[] average = new double[rows.size()];
        int window = Math.max(1, rows.size() / 50);
        double sum = 0;
        for (int i = 0; i < rows.size(); i++) {
            step[i] = rows.get(i)[0];
            loss[i] = rows.get(i)[1];
            sum += loss[i];
            if (i >= window) {
                sum -= loss[i - window];
            }
            average[i] = sum / Math.min(i + 1, window);
        }
        return new LineChart("Diffusion training loss (ε-prediction MSE)").xLabel("step").yLabel("loss").logY(true)
                .line("per step", step, loss).line("moving average of " + window, step, average).write(png);
    }
}
