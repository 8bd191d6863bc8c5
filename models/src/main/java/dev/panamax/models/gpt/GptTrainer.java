package dev.panamax.models.gpt;

import dev.panamax.engine.Backend;
import dev.panamax.engine.StepMemory;
import dev.panamax.engine.autograd.ElementwiseOps;
import dev.panamax.engine.autograd.Tape;
import dev.panamax.engine.autograd.Var;
import dev.panamax.engine.io.Json;
import dev.panamax.engine.io.SafeTensors;
import dev.panamax.engine.nn.Parameter;
import dev.panamax.engine.optim.AdamW;
import dev.panamax.engine.optim.GradientClipping;
import dev.panamax.engine.optim.OptimizerState;
import dev.panamax.engine.optim.WarmupCosineSchedule;
import dev.panamax.models.gpt.tokenizer.Tokenizer;
import dev.panamax.models.gpt.tokenizer.Tokenizers;
import dev.panamax.models.plot.LineChart;
import dev.panamax.models.training.MetricsCsv;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Trains a {@link GptModel} as nanoGPT's {@code train.py} does: each step reads {@code gradAccumulation}
 * micro-batches of random windows, averages their gradients, clips the global norm, sets the warmup + cosine
 * learning rate and takes an AdamW step (decay on matrices only, β₂ 0.99). Every {@code evalInterval} steps and
 * at the last one it measures the val loss on random val batches, writes the {@code checkpoint/} directory
 * (model, optimizer, step) and, when the val loss is the lowest so far, {@code best/}.
 *
 * <p>Outputs in the run directory: {@code checkpoint/}, {@code best/}, {@code metrics.csv} (one row per step:
 * {@code step,train_loss,val_loss,lr,tokens_per_s,elapsed_s,grad_norm}, val_loss empty between evaluations) and
 * {@code loss.png}.
 *
 * <p>Reproducible and resumable: batches and dropout masks are functions of (seed, step, micro-step)
 * ({@link TokenDataset}), the optimizer state is saved bit for bit, so {@link #resume} continues exactly where the
 * uninterrupted run would be: the same batches, the same losses. Each micro-step records on its own
 * {@link Tape}, whose arena is freed when the micro-step ends, so memory stays flat.
 */
public final class GptTrainer implements AutoCloseable {

    /** One finished step, for progress displays. */
    public record StepReport(int step, int maxIters, double trainLoss, Double valLoss, boolean best, double lr,
                             double gradNorm, double tokensPerSecond, double elapsedSeconds) {
    }

    /** Hears about every step, evaluation and checkpoint. */
    public interface Listener {
        void onStep(StepReport report);

        /** A message worth its own line (a val loss, a checkpoint written). */
        default void onMessage(String message) {
        }
    }

    static final String[] METRICS_COLUMNS = {"step", "train_loss", "val_loss", "lr", "tokens_per_s", "elapsed_s",
        "grad_norm"};

    private final GptModel model;
    private final Tokenizer tokenizer;
    private final TokenDataset data;
    private final TrainingSettings settings;
    private final Backend backend;
    private final Path runDir;
    private final AdamW optimizer;
    private final WarmupCosineSchedule schedule;
    private final List<Parameter> parameters;
    /** Each step reuses the activation memory of the one before. */
    private final StepMemory stepMemory = new StepMemory();
    private final int time;
    private final int[] inputs;
    private final int[] targets;
    private int step;
    private double bestValLoss = Double.POSITIVE_INFINITY;
    private double elapsedBefore;
    private MetricsCsv metrics;
    private boolean ownsModel;

    /**
     * A new run of {@code model} (its block size is the window length) on {@code data}, writing into
     * {@code runDir}.
     */
    public GptTrainer(GptModel model, Tokenizer tokenizer, TokenDataset data, TrainingSettings settings,
                      Backend backend, Path runDir) {
        if (tokenizer.vocabSize() > model.config().vocabSize()) {
            throw new IllegalArgumentException("the tokenizer has " + tokenizer.vocabSize() + " ids but the model's "
                    + "vocabulary has " + model.config().vocabSize());
        }
        this.model = model;
        this.tokenizer = tokenizer;
        this.data = data;
        this.settings = settings;
        this.backend = backend;
        this.runDir = runDir;
        this.parameters = model.parameters();
        this.optimizer = new AdamW(settings.learningRate(), settings.beta1(), settings.beta2(), 1e-8,
                settings.weightDecay());
        optimizer.setWorkerPool(backend.workerPool());   // the update splits over the kernels' threads
        this.schedule = new WarmupCosineSchedule(settings.learningRate(), settings.minLearningRate(),
                settings.warmupIters(), settings.lrDecayIters());
        this.time = model.config().blockSize();
        this.inputs = new int[settings.batchSize() * time];
        this.targets = new int[settings.batchSize() * time];
    }

    /**
     * Continues the run in {@code runDir} from its {@code checkpoint/}: the model, tokenizer, optimizer state,
     * step, best val loss and settings come from there; {@code text} must be the corpus it was trained on (its
     * checksum is compared). {@code maxIters}, when not null, replaces the saved step count (to train longer);
     * the learning-rate schedule stays the saved one.
     */
    public static GptTrainer resume(Path runDir, String text, Integer maxIters, Backend backend) {
        Path dir = runDir.resolve(GptCheckpoint.LATEST);
        Path trainerFile = dir.resolve(GptCheckpoint.TRAINER_FILE);
        Map<?, ?> state = readJson(trainerFile);
        TrainingSettings saved = TrainingSettings.fromJson((Map<?, ?>) state.get("settings"), trainerFile.toString());
        TrainingSettings settings = maxIters == null ? saved : saved.withMaxIters(maxIters);
        Tokenizer tokenizer = Tokenizers.load(dir);
        GptConfig config = GptConfig.load(dir);
        TokenDataset data = TokenDataset.split(tokenizer.encode(text), settings.valFraction(), config.blockSize(),
                "the text");
        long checksum = ((Number) state.get("data_checksum")).longValue();
        if (checksum != data.checksum()) {
            throw new IllegalArgumentException("the text differs from the one " + dir + " was trained on (token "
                    + "checksum " + data.checksum() + ", saved " + checksum + "): resume with the same --text");
        }
        GptModel model = new GptModel(config, 0);
        try {
            model.loadWeights(dir.resolve(GptCheckpoint.MODEL_FILE));
            GptTrainer trainer = new GptTrainer(model, tokenizer, data, settings, backend, runDir);
            trainer.ownsModel = true;
            trainer.step = ((Number) state.get("step")).intValue();
            trainer.bestValLoss = ((Number) state.get("best_val_loss")).doubleValue();
            trainer.elapsedBefore = ((Number) state.get("elapsed_s")).doubleValue();
            Path optimizerFile = dir.resolve(GptCheckpoint.OPTIMIZER_FILE);
            try (Arena arena = Arena.ofShared()) {
                SafeTensors.Contents contents = GptCheckpoint.readSafeTensors(optimizerFile, arena);
                trainer.optimizer.importState(trainer.parameters,
                        OptimizerState.fromMetadata(contents.metadata(), contents.tensors()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(optimizerFile + ": " + e.getMessage(), e);
            }
            if (trainer.step > settings.maxIters()) {
                throw new IllegalArgumentException(dir + " is at step " + trainer.step + ", past max iters "
                        + settings.maxIters() + ": pass a larger --max-iters to train longer");
            }
            return trainer;
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    public GptModel model() {
        return model;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    public TrainingSettings settings() {
        return settings;
    }

    public TokenDataset data() {
        return data;
    }

    /** Optimizer steps done. */
    public int step() {
        return step;
    }

    public double bestValLoss() {
        return bestValLoss;
    }

    public Path runDir() {
        return runDir;
    }

    /** Tokens one optimizer step reads. */
    public long tokensPerStep() {
        return (long) settings.batchSize() * time * settings.gradAccumulation();
    }

    // ---------------------------------------------------------------- the loop

    /** Trains to {@code maxIters}. */
    public void run(Listener listener) {
        run(listener, settings.maxIters());
    }

    /**
     * Trains up to step {@code untilStep} (≤ maxIters; a run stopped early, e.g. to test resuming). Writes the
     * metrics, checkpoints and, at the end, {@code loss.png}.
     */
    public void run(Listener listener, int untilStep) {
        if (untilStep > settings.maxIters()) {
            throw new IllegalArgumentException("run: step " + untilStep + " is past max iters " + settings.maxIters());
        }
        Path metricsFile = runDir.resolve("metrics.csv");
        metrics = step == 0 ? MetricsCsv.create(metricsFile, METRICS_COLUMNS)
                : MetricsCsv.openForResume(metricsFile, step, METRICS_COLUMNS);
        long start = System.nanoTime();
        try {
            while (step < untilStep) {
                long stepStart = System.nanoTime();
                double[] lossAndNorm = trainStep();
                double seconds = (System.nanoTime() - stepStart) / 1e9;
                Double valLoss = null;
                boolean best = false;
                if (step % settings.evalInterval() == 0 || step == settings.maxIters()) {
                    valLoss = evaluate();
                    best = valLoss < bestValLoss;
                    if (best) {
                        bestValLoss = valLoss;
                    }
                }
                double elapsed = elapsedBefore + (System.nanoTime() - start) / 1e9;
                StepReport report = new StepReport(step, settings.maxIters(), lossAndNorm[0], valLoss, best,
                        lossAndNorm[2], lossAndNorm[1], tokensPerStep() / seconds, elapsed);
                metrics.row(step, lossAndNorm[0], valLoss, lossAndNorm[2], report.tokensPerSecond(), elapsed,
                        lossAndNorm[1]);
                if (valLoss != null) {
                    listener.onMessage(String.format(java.util.Locale.ROOT, "step %d: train loss %.4f, val loss %.4f%s",
                            step, lossAndNorm[0], valLoss, best ? " (best so far)" : ""));
                    saveCheckpoint(elapsed, best);
                }
                listener.onStep(report);
            }
            elapsedBefore += (System.nanoTime() - start) / 1e9;
        } finally {
            metrics.close();
        }
        writeLossChart();
    }

    /**
     * One optimizer step; returns {mean train loss over the micro-batches, gradient norm before clipping, lr}.
     */
    public double[] trainStep() {
        int next = step + 1;
        int batch = settings.batchSize();
        int micro = settings.gradAccumulation();
        double lr = schedule.lr(step);
        double lossSum = 0;
        for (int m = 0; m < micro; m++) {
            data.batch(TokenDataset.Split.TRAIN, batch, time, settings.seed(), next, m, inputs, targets);
            try (Tape tape = new Tape(backend, stepMemory)) {
                Var loss = model.loss(tape, inputs, targets, batch, time, model.config().dropout(),
                        TokenDataset.mix(settings.seed(), 7, next, m));
                double value = loss.item();
                if (!Double.isFinite(value)) {
                    throw new IllegalStateException("training diverged at step " + next + ": the loss is " + value
                            + "; try a smaller learning rate (now " + lr + ")");
                }
                lossSum += value;
                // Each micro-batch adds 1/micro of its gradient, so the sum is the mean over the whole batch.
                tape.backward(micro == 1 ? loss : ElementwiseOps.scale(tape, loss, 1f / micro));
            }
        }
        double norm = settings.gradClip() > 0 ? GradientClipping.clipGlobalNorm(parameters, settings.gradClip())
                : GradientClipping.globalNorm(parameters);
        if (!Double.isFinite(norm)) {
            throw new IllegalStateException("training diverged at step " + next + ": the gradient norm is " + norm
                    + "; try a smaller learning rate (now " + lr + ")");
        }
        optimizer.setLearningRate(lr);
        optimizer.step(parameters);
        optimizer.zeroGrad(parameters);
        step = next;
        return new double[] {lossSum / micro, norm, lr};
    }

    /**
     * The mean val loss over {@code evalIters} batches of random val windows, without dropout, as nanoGPT's
     * {@code estimate_loss}: each evaluation draws its own windows (seeded by the step, so a resumed run draws the
     * same ones), which keeps a lucky or unlucky fixed set from biasing every point of the curve the same way.
     */
    public double evaluate() {
        int batch = settings.batchSize();
        double sum = 0;
        for (int i = 0; i < settings.evalIters(); i++) {
            data.batch(TokenDataset.Split.VAL, batch, time, settings.seed(), step, i, inputs, targets);
            try (Tape tape = new Tape(backend, stepMemory)) {
                sum += model.loss(tape, inputs, targets, batch, time, 0f, 0).item();
            }
        }
        return sum / settings.evalIters();
    }

    /**
     * The val loss over the whole val split: every non-overlapping window of the block size once
     * ({@link TokenDataset#sequentialValBatch}), each token weighted equally. A random-window estimate of
     * {@code evalIters} batches scatters around this value; this is the figure to compare runs by.
     */
    public double evaluateWholeValSplit() {
        int batch = settings.batchSize();
        int windows = data.sequentialValWindows(time);
        double sum = 0;
        for (int first = 0; first < windows; first += batch) {
            int count = data.sequentialValBatch(first, batch, time, inputs, targets);
            int[] in = count == batch ? inputs : java.util.Arrays.copyOf(inputs, count * time);
            int[] out = count == batch ? targets : java.util.Arrays.copyOf(targets, count * time);
            try (Tape tape = new Tape(backend, stepMemory)) {
                sum += (double) model.loss(tape, in, out, count, time, 0f, 0).item() * count;
            }
        }
        return sum / windows;
    }

    // ---------------------------------------------------------------- checkpoints and charts

    private void saveCheckpoint(double elapsed, boolean best) {
        GptCheckpoint.writeDirectory(runDir.resolve(GptCheckpoint.LATEST), dir -> {
            GptCheckpoint.writeModel(dir, model, tokenizer);
            try (Arena arena = Arena.ofShared()) {
                OptimizerState state = optimizer.exportState(arena);
                SafeTensors.write(dir.resolve(GptCheckpoint.OPTIMIZER_FILE), state.tensors(), state.metadata());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Map<String, Object> trainer = new LinkedHashMap<>();
            trainer.put("step", (long) step);
            trainer.put("best_val_loss", bestValLoss);
            trainer.put("elapsed_s", elapsed);
            trainer.put("data_checksum", data.checksum());
            trainer.put("train_tokens", (long) data.trainTokens());
            trainer.put("val_tokens", (long) data.valTokens());
            trainer.put("settings", settings.toJson());
            try {
                Files.writeString(dir.resolve(GptCheckpoint.TRAINER_FILE), Json.writePretty(trainer) + "\n");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        if (best) {
            GptCheckpoint.saveModel(runDir.resolve(GptCheckpoint.BEST), model, tokenizer);
        }
    }

    /** {@code loss.png}: the train loss of every step and the val loss of every evaluation, from metrics.csv. */
    public Path writeLossChart() {
        Path csv = runDir.resolve("metrics.csv");
        List<double[]> train = new ArrayList<>();
        List<double[]> val = new ArrayList<>();
        try {
            List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
            for (String line : lines.subList(1, lines.size())) {
                String[] cells = line.split(",", -1);
                double s = Double.parseDouble(cells[0]);
                train.add(new double[] {s, Double.parseDouble(cells[1])});
                if (!cells[2].isEmpty()) {
                    val.add(new double[] {s, Double.parseDouble(cells[2])});
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + csv + ": " + e.getMessage(), e);
        }
        LineChart chart = new LineChart("GPT training loss").xLabel("step").yLabel("cross-entropy (nats/token)")
                .line("train", column(train, 0), column(train, 1));
        if (!val.isEmpty()) {
            chart.lineWithPoints("val", column(val, 0), column(val, 1));
        }
        return chart.write(runDir.resolve("loss.png"));
    }

    private static double[] column(List<double[]> rows, int index) {
        double[] out = new double[rows.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = rows.get(i)[index];
        }
        return out;
    }

    private static Map<?, ?> readJson(Path file) {
        try {
            Object parsed = Json.parse(Files.readString(file, StandardCharsets.UTF_8));
            if (!(parsed instanceof Map<?, ?> map) || !map.containsKey("step") || !map.containsKey("settings")) {
                throw new IllegalArgumentException(file + ": not a trainer state (expected \"step\" and \"settings\")");
            }
            return map;
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("cannot resume: " + file + " does not exist (was the run saved by "
                    + "'panamax gpt train' into this folder?)", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        } catch (Json.JsonException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    /** Frees the optimizer state, and the model when {@link #resume} made it (a caller's model stays open). */
    @Override
    public void close() {
        optimizer.close();
        if (ownsModel) {
            model.close();
        }
    }
}
