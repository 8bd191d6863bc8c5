package dev.panamax.models.diffusion;

import dev.panamax.engine.Backend;
import dev.panamax.engine.StepMemory;
import dev.panamax.engine.Tensor;
import dev.panamax.engine.autograd.LossOps;
import dev.panamax.engine.autograd.Tape;
import dev.panamax.engine.autograd.Var;
import dev.panamax.engine.nn.Parameter;
import dev.panamax.engine.optim.AdamW;
import dev.panamax.engine.optim.GradientClipping;
import dev.panamax.engine.optim.WarmupCosineSchedule;
import dev.panamax.models.diffusion.data.ImageDataset;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Trains a {@link UNet} to predict the noise that the forward process added (DDPM's "simple" loss):
 *
 * <pre>
 *   x_0 ~ data,  t ~ U{0 … T−1},  ε ~ N(0, I),  x_t = √ᾱ_t · x_0 + √(1 − ᾱ_t) · ε
 *   loss = ‖ε − ε_θ(x_t, t, label)‖² (mean over pixels and batch)
 * </pre>
 *
 * with AdamW, linear warmup then cosine decay, global-norm clipping, an EMA of the weights (the model that samples),
 * and, for a conditional model, the label replaced by the null label with probability {@code labelDropout}
 * (classifier-free guidance). Every step's randomness (batch, steps, noise, dropped labels) is drawn from a
 * generator seeded by (seed, step) alone, so a run resumed from a checkpoint takes exactly the same steps as one
 * that never stopped. Each step records on its own {@link Tape}, whose arena is freed when the step ends.
 */
public final class DiffusionTrainer implements AutoCloseable {

    private final UNetConfig modelConfig;
    private final TrainingConfig config;
    private final ImageDataset data;
    private final Backend backend;
    private final NoiseSchedule schedule;
    private final Arena arena = Arena.ofShared();
    /** Each step reuses the activation memory of the one before. */
    private final StepMemory stepMemory = new StepMemory();
    private final UNet model;
    private final UNet ema;
    private final ExponentialMovingAverage average;
    private final AdamW optimizer;
    private final WarmupCosineSchedule learningRates;
    private long step;
    // Reused every step so the heap stays flat.
    private final float[] x0;
    private final float[] noise;
    private final float[] noisy;
    private final int[] timesteps;
    private final int[] labels;

    public DiffusionTrainer(UNetConfig modelConfig, TrainingConfig config, ImageDataset data, Backend backend) {
        checkData(modelConfig, data);
        this.modelConfig = modelConfig;
        this.config = config;
        this.data = data;
        this.backend = backend;
        this.schedule = config.noiseSchedule();
        this.model = new UNet(arena, modelConfig, config.seed());
        this.ema = new UNet(arena, modelConfig, config.seed());
        this.average = new ExponentialMovingAverage(model.parameters(), ema.parameters(), config.emaDecay());
        this.optimizer = new AdamW(config.learningRate(), 0.9, 0.999, 1e-8, config.weightDecay());
        optimizer.setWorkerPool(backend.workerPool());   // the update splits over the kernels' threads
        this.learningRates = new WarmupCosineSchedule(config.learningRate(), config.learningRate() / 10,
                config.warmupSteps(), Math.max(config.steps(), config.warmupSteps() + 1));
        int batch = config.batchSize();
        this.x0 = new float[batch * modelConfig.imageSize()];
        this.noise = new float[x0.length];
        this.noisy = new float[x0.length];
        this.timesteps = new int[batch];
        this.labels = new int[batch];
    }

    private static void checkData(UNetConfig c, ImageDataset data) {
        if (data.size() < 1) {
            throw new IllegalArgumentException("DiffusionTrainer: the dataset is empty");
        }
        if (data.channels() != c.imageChannels() || data.height() != c.height() || data.width() != c.width()) {
            throw new IllegalArgumentException("DiffusionTrainer: the dataset's images are " + data.channels() + "x"
                    + data.height() + "x" + data.width() + " but the model takes " + c.imageChannels() + "x"
                    + c.height() + "x" + c.width());
        }
        if (c.classes() != 0 && c.classes() != data.classes()) {
            throw new IllegalArgumentException("DiffusionTrainer: the model has " + c.classes()
                    + " classes but the dataset has " + data.classes());
        }
    }

    /**
     * One optimizer step; returns its loss. The first optimizer step also starts the EMA from the weights.
     */
    public double step() {
        if (step == 0) {
            average.reset();
        }
        drawBatch(step);
        List<Parameter> parameters = model.parameters();
        optimizer.zeroGrad(parameters);
        double loss;
        int[] shape = {config.batchSize(), modelConfig.imageChannels(), modelConfig.height(), modelConfig.width()};
        try (Tape tape = new Tape(backend, stepMemory)) {
            Tensor xt = tape.allocateUninitialized(shape);
            xt.copyFrom(noisy);
            Tensor target = tape.allocateUninitialized(shape);
            target.copyFrom(noise);
            Var predicted = model.forward(tape, tape.constant(xt), timesteps,
                    modelConfig.conditional() ? labels : null);
            Var mse = LossOps.mse(tape, predicted, tape.constant(target));
            loss = mse.item();
            tape.backward(mse);
        }
        if (config.gradientClip() > 0) {
            GradientClipping.clipGlobalNorm(parameters, config.gradientClip());
        }
        optimizer.setLearningRate(learningRates.lr(step));
        optimizer.step(parameters);
        step++;
        average.update(backend, step);
        return loss;
    }

    /** Fills x0, noise, noisy, timesteps and labels for step {@code s}, from (seed, s) only. */
    private void drawBatch(long s) {
        SplittableRandom random = stepRandom(config.seed(), s);
        int size = modelConfig.imageSize();
        for (int b = 0; b < config.batchSize(); b++) {
            int index = random.nextInt(data.size());
            data.image(index, x0, b * size);
            timesteps[b] = random.nextInt(schedule.timesteps());
            boolean dropLabel = random.nextDouble() < config.labelDropout();
            labels[b] = modelConfig.conditional() && !dropLabel ? data.label(index) : UNet.NULL_LABEL;
        }
        for (int i = 0; i < noise.length; i++) {
            noise[i] = (float) random.nextGaussian();
        }
        schedule.addNoise(x0, noise, timesteps, noisy);
    }

    /** The generator of step {@code s}: a function of the seed and the step, so resuming needs no other state. */
    static SplittableRandom stepRandom(long seed, long s) {
        return new SplittableRandom(seed * 0x9E3779B97F4A7C15L + s * 0xBF58476D1CE4E5B9L + 0x632BE59BD9B4E019L);
    }

    /** Optimizer steps taken so far. */
    public long stepCount() {
        return step;
    }

    /** The learning rate of the next step. */
    public double learningRate() {
        return learningRates.lr(step);
    }

    /** The trained weights. */
    public UNet model() {
        return model;
    }

    /** The moving average of the weights: the model to sample from. */
    public UNet ema() {
        return ema;
    }

    public NoiseSchedule schedule() {
        return schedule;
    }

    public UNetConfig modelConfig() {
        return modelConfig;
    }

    public TrainingConfig config() {
        return config;
    }

    public Backend backend() {
        return backend;
    }

    AdamW optimizer() {
        return optimizer;
    }

    /**
     * Saves weights, EMA, optimizer state, step and configs to {@code dir}/{@value DiffusionCheckpoint#FILE}
     * (atomically) and {@code dir}/config.json; returns the checkpoint file.
     */
    public Path save(Path dir) throws IOException {
        return DiffusionCheckpoint.save(dir, this);
    }

    /**
     * A trainer that continues the run saved in {@code checkpoint} (a file or its folder) on {@code data}, up to
     * {@code steps} total steps (the saved run's own total when ≤ 0).
     */
    public static DiffusionTrainer resume(Path checkpoint, ImageDataset data, Backend backend, long steps)
            throws IOException {
        return DiffusionCheckpoint.resume(checkpoint, data, backend, steps);
    }

    /** Sets the step counter after a resume. */
    void restoreStep(long restored) {
        this.step = restored;
    }

    @Override
    public void close() {
        optimizer.close();
        arena.close();
    }
}
