package dev.panamax.models.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panamax.engine.Backend;
import dev.panamax.engine.Backends;
import dev.panamax.engine.SimdBackend;
import dev.panamax.engine.Tensor;
import dev.panamax.engine.autograd.Tape;
import dev.panamax.engine.nn.Parameter;
import dev.panamax.engine.parallel.WorkerPool;
import dev.panamax.models.diffusion.Sampler.Method;
import dev.panamax.models.diffusion.data.ShapesDataset;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The U-Net, the trainer and the samplers end to end on a tiny configuration (8×8 shapes, 8 base channels): one
 * short training run shared by the tests, then what a user relies on — the loss falls, the model denoises,
 * checkpoints round-trip and resume exactly, sampling is reproducible, and bad input is refused clearly.
 */
class DiffusionModelTest {

    static final Backend BACKEND = Backends.select("auto");
    static final ShapesDataset DATA = new ShapesDataset(512, 8, 1);
    static final UNetConfig TINY = new UNetConfig(1, 8, 8, 8, new int[] {1, 2}, 1, 2, 4, 4, 16);
    static final TrainingConfig TRAINING = new TrainingConfig(80, 8, 3e-3, 10, 0.0, 1.0, 0.99, 0.1, "linear", 1000,
            7);

    static DiffusionTrainer trainer;
    static final List<Double> losses = new ArrayList<>();

    @BeforeAll
    static void train() {
        trainer = new DiffusionTrainer(TINY, TRAINING, DATA, BACKEND);
        for (int s = 0; s < TRAINING.steps(); s++) {
            losses.add(trainer.step());
        }
    }

    @AfterAll
    static void close() {
        trainer.close();
    }

    /**
     * The engine's kernels split work so that every value has one owner and a fixed summation order; a training
     * step must therefore give the same bits on any number of threads. 16×16 images at batch 16 are large enough
     * that the convolutions, GroupNorm(+SiLU) and the elementwise passes really split.
     */
    @Test
    void trainingGivesTheSameBitsOnOneAndThreeThreads() {
        UNetConfig model = new UNetConfig(1, 16, 16, 16, new int[] {1, 2}, 1, 2, 4, 4, 16);
        TrainingConfig training = new TrainingConfig(3, 16, 3e-3, 10, 0.0, 1.0, 0.99, 0.1, "linear", 1000, 7);
        ShapesDataset data = new ShapesDataset(64, 16, 1);
        List<float[]> results = new ArrayList<>();
        for (int threads : new int[] {1, 3}) {
            try (WorkerPool pool = new WorkerPool(threads);
                 DiffusionTrainer run = new DiffusionTrainer(model, training, data,
                         new SimdBackend(pool))) {
                float[] losses = new float[3];
                for (int s = 0; s < losses.length; s++) {
                    losses[s] = (float) run.step();
                }
                results.add(losses);
                for (Parameter p : run.model().parameters()) {
                    results.add(p.value().toArray());
                }
            }
        }
        int half = results.size() / 2;
        for (int i = 0; i < half; i++) {
            assertArrayEquals(results.get(i), results.get(half + i), 0f,
                    (i == 0 ? "losses" : "parameter " + (i - 1)) + " differ between 1 and 3 threads");
        }
    }

    @Test
    void theLossFalls() {
        double first = losses.subList(0, 5).stream().mapToDouble(d -> d).average().orElseThrow();
        double last = losses.subList(losses.size() - 10, losses.size()).stream().mapToDouble(d -> d).average()
                .orElseThrow();
        // An untrained model predicts ε̂ = 0 (zero output convolution): loss = E[ε²] = 1.
        assertEquals(1.0, losses.get(0), 0.1, "first loss");
        assertTrue(last < 0.5 * first, "loss " + first + " -> " + last);
        assertEquals(80, trainer.stepCount());
    }

    @Test
    void theTrainedModelDenoisesBetterThanTheIdentity() {
        ShapesDataset heldOut = new ShapesDataset(16, 8, 99);
        int n = heldOut.size();
        int size = TINY.imageSize();
        float[] x0 = new float[n * size];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            heldOut.image(i, x0, i * size);
            labels[i] = heldOut.label(i);
        }
        NoiseSchedule schedule = trainer.schedule();
        SplittableRandom random = new SplittableRandom(3);
        for (int t : new int[] {100, 300, 500}) {
            float[] noise = new float[x0.length];
            for (int i = 0; i < noise.length; i++) {
                noise[i] = (float) random.nextGaussian();
            }
            int[] steps = new int[n];
            java.util.Arrays.fill(steps, t);
            float[] xt = new float[x0.length];
            schedule.addNoise(x0, noise, steps, xt);
            float[] eps = predict(trainer.ema(), xt, steps, labels);
            double a = schedule.alphaBar(t);
            double predictedError = 0;
            double identityError = 0;
            for (int i = 0; i < x0.length; i++) {
                double x0Hat = (xt[i] - Math.sqrt(1 - a) * eps[i]) / Math.sqrt(a);
                predictedError += (x0Hat - x0[i]) * (x0Hat - x0[i]);
                identityError += (xt[i] - x0[i]) * (xt[i] - x0[i]);
            }
            // Far into the schedule (t = 500, ᾱ ≈ 0.08) little is left to recover; nearer, much more is.
            assertTrue(predictedError < (t < 500 ? 0.8 : 1.0) * identityError, "t=" + t + ": MSE of x̂_0 " + predictedError / x0.length
                    + " vs x_t " + identityError / x0.length);
        }
    }

    static float[] predict(UNet model, float[] x, int[] t, int[] labels) {
        try (Tape tape = new Tape(BACKEND)) {
            Tensor input = tape.allocate(t.length, TINY.imageChannels(), TINY.height(), TINY.width());
            input.copyFrom(x);
            return model.forward(tape, tape.constant(input), t, labels).value().toArray();
        }
    }

    @Test
    void aCheckpointRoundTripsToIdenticalPredictions(@TempDir Path dir) throws Exception {
        Path file = trainer.save(dir);
        assertTrue(Files.isRegularFile(file) && Files.isRegularFile(dir.resolve("config.json")));
        float[] x = new float[2 * TINY.imageSize()];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.sin(i);
        }
        int[] t = {10, 700};
        int[] labels = {3, UNet.NULL_LABEL};
        try (Arena arena = Arena.ofShared()) {
            DiffusionCheckpoint.Loaded loaded = DiffusionCheckpoint.load(dir, arena);
            assertEquals(TINY, loaded.modelConfig());
            assertEquals(TRAINING, loaded.training());
            assertEquals(80, loaded.step());
            assertArrayEquals(predict(trainer.ema(), x, t, labels), predict(loaded.model(), x, t, labels), 0f);
            float[] before = new Sampler(trainer.ema(), trainer.schedule(), BACKEND).sample(Method.DDIM,
                    new int[] {1, 2}, 2f, 5, 11, null);
            float[] after = new Sampler(loaded.model(), loaded.schedule(), BACKEND).sample(Method.DDIM,
                    new int[] {1, 2}, 2f, 5, 11, null);
            assertArrayEquals(before, after, 0f);
        }
    }

    @Test
    void aResumedRunTakesTheSameStepsAsAnUninterruptedOne(@TempDir Path dir) throws Exception {
        TrainingConfig short4 = TRAINING.withSteps(4);
        double[] straightLosses = new double[4];
        List<float[]> straight;
        List<float[]> straightEma;
        try (DiffusionTrainer a = new DiffusionTrainer(TINY, short4, DATA, BACKEND)) {
            for (int s = 0; s < 4; s++) {
                straightLosses[s] = a.step();
                if (s == 1) {
                    a.save(dir);
                }
            }
            straight = values(a.model());
            straightEma = values(a.ema());
        }
        try (DiffusionTrainer b = DiffusionTrainer.resume(dir, DATA, BACKEND, 0)) {
            assertEquals(2, b.stepCount());
            assertEquals(straightLosses[2], b.step(), 0);
            assertEquals(straightLosses[3], b.step(), 0);
            List<float[]> resumed = values(b.model());
            List<float[]> resumedEma = values(b.ema());
            for (int i = 0; i < straight.size(); i++) {
                assertArrayEquals(straight.get(i), resumed.get(i), 0f, b.model().parameters().get(i).name());
                assertArrayEquals(straightEma.get(i), resumedEma.get(i), 0f, "ema " + i);
            }
        }
    }

    private static List<float[]> values(UNet model) {
        List<float[]> all = new ArrayList<>();
        for (Parameter p : model.parameters()) {
            all.add(p.value().toArray());
        }
        return all;
    }

    @Test
    void samplingIsReproducibleWithASeed() {
        Sampler sampler = new Sampler(trainer.ema(), trainer.schedule(), BACKEND);
        int[] labels = {0, 1, 2};
        for (Method method : Method.values()) {
            float[] a = sampler.sample(method, labels, 2f, 8, 42, null);
            float[] b = sampler.sample(method, labels, 2f, 8, 42, null);
            float[] c = sampler.sample(method, labels, 2f, 8, 43, null);
            assertArrayEquals(a, b, 0f, method + ": same seed");
            assertFalse(java.util.Arrays.equals(a, c), method + ": another seed gives other images");
            // Image i depends on (seed, i) only, not on how many go through the network at once.
            float[] oneAtATime = new Sampler(trainer.ema(), trainer.schedule(), BACKEND).batch(1)
                    .sample(method, labels, 2f, 8, 42, null);
            assertArrayEquals(a, oneAtATime, 1e-5f, method + ": batch size");
        }
        // DDIM (η = 0) and DDPM (η = 1) start from the same noise but only DDPM adds noise along the way.
        assertFalse(java.util.Arrays.equals(sampler.sample(Method.DDIM, labels, 1f, 8, 42, null),
                sampler.sample(Method.DDPM, labels, 1f, 8, 42, null)));
    }

    @Test
    void guidanceBatchesTheConditionalAndUnconditionalPassesTogether() {
        Sampler sampler = new Sampler(trainer.ema(), trainer.schedule(), BACKEND);
        // w = 0 keeps only the unconditional half of the guided batch: the same as sampling with null labels.
        float[] guidedToNothing = sampler.sample(Method.DDIM, new int[] {0, 3}, 0f, 6, 5, null);
        float[] unconditional = sampler.sample(Method.DDIM, new int[] {UNet.NULL_LABEL, UNet.NULL_LABEL}, 1f, 6, 5,
                null);
        assertArrayEquals(unconditional, guidedToNothing, 1e-5f);
        float[] plain = sampler.sample(Method.DDIM, new int[] {0, 3}, 1f, 6, 5, null);
        float[] guided = sampler.sample(Method.DDIM, new int[] {0, 3}, 3f, 6, 5, null);
        assertFalse(java.util.Arrays.equals(plain, guided), "a guidance scale changes the samples");
    }

    @Test
    void aTrajectoryRunsFromNoiseToTheSample() {
        Sampler sampler = new Sampler(trainer.ema(), trainer.schedule(), BACKEND);
        Sampler.Trajectory trajectory = new Sampler.Trajectory(5);
        float[] images = sampler.sample(Method.DDIM, new int[] {1, 2}, 2f, 8, 9, trajectory);
        assertEquals(5, trajectory.frames());
        assertEquals(2, trajectory.images());
        float[] strips = trajectory.strips();
        int size = TINY.imageSize();
        for (int i = 0; i < 2; i++) {
            float[] first = java.util.Arrays.copyOfRange(strips, (i * 5) * size, (i * 5 + 1) * size);
            float[] last = java.util.Arrays.copyOfRange(strips, (i * 5 + 4) * size, (i * 5 + 5) * size);
            assertArrayEquals(java.util.Arrays.copyOfRange(images, i * size, (i + 1) * size), last, 0f);
            double squares = 0;
            for (float v : first) {
                squares += v * v;
            }
            double rms = Math.sqrt(squares / size);
            assertTrue(rms > 0.6 && rms < 1.5, "x_T is unit Gaussian noise, rms " + rms);
        }
    }

    @Test
    void badInputGetsClearErrors() {
        Sampler sampler = new Sampler(trainer.ema(), trainer.schedule(), BACKEND);
        var e = assertThrows(IllegalArgumentException.class,
                () -> sampler.sample(Method.DDIM, new int[] {4}, 2f, 10, 1, null));
        assertTrue(e.getMessage().contains("label 4 is outside the model's classes [0, 4)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> sampler.sample(Method.DDIM, new int[] {1}, 2f, 0, 1, null));
        assertTrue(e.getMessage().contains("steps must be in [1, 1000]") && e.getMessage().contains("got 0"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> sampler.sample(Method.DDPM, new int[] {1}, 2f, 1001, 1, null));
        assertTrue(e.getMessage().contains("got 1001"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> sampler.sample(Method.DDIM, new int[] {1}, -1f, 10, 1, null));
        assertTrue(e.getMessage().contains("guidance scale must be a finite number >= 0"), e.getMessage());

        try (Arena arena = Arena.ofShared()) {
            UNetConfig unconditional = new UNetConfig(1, 8, 8, 8, new int[] {1, 2}, 1, 2, 4, 0, 16);
            UNet model = new UNet(arena, unconditional, 1);
            Sampler plain = new Sampler(model, NoiseSchedule.linear(100), BACKEND);
            e = assertThrows(IllegalArgumentException.class, () -> plain.sample(Method.DDIM,
                    new int[] {UNet.NULL_LABEL}, 2f, 10, 1, null));
            assertTrue(e.getMessage().contains("guidance scale 2 needs a class-conditional model"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> plain.sample(Method.DDIM, new int[] {0}, 1f, 10,
                    1, null));
            assertTrue(e.getMessage().contains("this model is unconditional"), e.getMessage());
            assertEquals(2 * unconditional.imageSize(), plain.unconditional(Method.DDIM, 2, 3, 1).length);
        }

        e = assertThrows(IllegalArgumentException.class,
                () -> new UNetConfig(1, 28, 28, 8, new int[] {1, 2, 2, 2}, 1, 2, 4, 10, 16));
        assertTrue(e.getMessage().contains("image size 28x28 is not divisible by 2^3 = 8"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new UNetConfig(1, 8, 8, 6, new int[] {1, 2}, 1, 2, 4, 10, 16));
        assertTrue(e.getMessage().contains("4 GroupNorm groups do not divide the 6 base channels"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> predict(trainer.ema(), new float[TINY.imageSize()],
                new int[] {3}, new int[] {7}));
        assertTrue(e.getMessage().contains("label 7 is outside [0, 4)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new DiffusionTrainer(TINY, TRAINING, new ShapesDataset(10, 16, 1), BACKEND));
        assertTrue(e.getMessage().contains("1x16x16 but the model takes 1x8x8"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> DiffusionCheckpoint.load(Path.of("no/such/run"), Arena.global()));
        assertTrue(e.getMessage().contains("no/such/run does not exist"), e.getMessage());
    }

    @Test
    void theFlopCountFollowsTheConfig() {
        // 8×8, base 8, levels {8, 16} channels: count the convolutions by hand.
        long pixels = 64;
        long quarter = 16;
        long input = 2L * 9 * 1 * 8 * pixels;
        long down0 = 2L * 9 * 8 * 8 * pixels * 2 + 2 * 16 * 8;
        long downsample = 2L * 9 * 8 * 8 * quarter;
        long down1 = 2L * 9 * 8 * 16 * quarter + 2L * 9 * 16 * 16 * quarter + 2L * 8 * 16 * quarter + 2 * 16 * 16;
        long middleBlock = 2L * 9 * 16 * 16 * quarter * 2 + 2 * 16 * 16;
        long attention = 2L * quarter * 16 * 48 + 2L * quarter * 16 * 16 + 4L * quarter * quarter * 16;
        // up level 1: inputs 16+16, 16+8 (the downsample skip); up level 0: 16+8, 8+8 (after upsampling)
        long up1 = res(32, 16, quarter) + res(24, 16, quarter);
        long upsample = 2L * 9 * 16 * 16 * pixels;
        long up0 = res(24, 8, pixels) + res(16, 8, pixels);
        long out = 2L * 9 * 8 * 1 * pixels;
        long time = 2L * 8 * 16 + 2L * 16 * 16;
        assertEquals(time + input + down0 + downsample + down1 + 2 * middleBlock + attention + up1 + upsample + up0
                + out, trainer.model().flopsPerImage());
    }

    private static long res(int in, int out, long pixels) {
        return 2L * 9 * in * out * pixels + 2L * 9 * out * out * pixels + 2L * in * out * pixels + 2L * 16 * out;
    }
}
