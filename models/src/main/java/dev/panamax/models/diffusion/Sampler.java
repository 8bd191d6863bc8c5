package dev.panamax.models.diffusion;

import dev.panamax.engine.Backend;
import dev.panamax.engine.Backends;
import dev.panamax.engine.StepMemory;
import dev.panamax.engine.Tensor;
import dev.panamax.engine.autograd.Tape;
import dev.panamax.engine.autograd.Var;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The reverse process: from pure noise x_T ~ N(0, I) to an image, one denoising step at a time.
 *
 * <p>Both samplers walk a decreasing list of steps τ_S > … > τ_1 (all T steps, or an evenly spaced subset) and
 * at each one predict the noise, estimate the clean image and step to the previous τ (DDIM, Song et al. 2021):
 *
 * <pre>
 *   x̂_0   = clip((x_t − √(1 − ᾱ_t) · ε̂) / √ᾱ_t, −1, 1)        ε̂ recomputed from the clipped x̂_0
 *   x_prev = √ᾱ_prev · x̂_0 + √(1 − ᾱ_prev − σ²) · ε̂ + σ · z,   z ~ N(0, I)
 *   σ²    = η² · (1 − ᾱ_prev)/(1 − ᾱ_t) · (1 − ᾱ_t/ᾱ_prev)
 * </pre>
 *
 * {@link Method#DDIM} is η = 0: deterministic given x_T, and good in 50 steps. {@link Method#DDPM} is η = 1,
 * which over all T steps is exactly Ho et al.'s ancestral sampler (σ² = β̃_t, the posterior variance).
 *
 * <p>Classifier-free guidance (Ho &amp; Salimans 2022) with scale w: ε̂ = ε̂_uncond + w · (ε̂_cond − ε̂_uncond); w = 1
 * is the plain conditional model, larger w trades diversity for fidelity. The conditional and unconditional
 * passes run as one batch of 2N images.
 *
 * <p>Reproducible: image i's starting noise and its per-step noise come from a generator seeded by (seed, i), so
 * the same seed gives the same images bit for bit, whatever the batch size (the model's kernels are
 * deterministic).
 */
public final class Sampler {

    /** DDIM (η = 0, deterministic) or DDPM (ancestral, η = 1). */
    public enum Method {
        DDIM, DDPM;

        /** "ddim" or "ddpm", case-insensitive. */
        public static Method of(String name) {
            for (Method m : values()) {
                if (m.name().equalsIgnoreCase(name)) {
                    return m;
                }
            }
            throw new IllegalArgumentException("sampler: unknown method '" + name + "'; use ddim or ddpm");
        }
    }

    /** Images per forward pass (with guidance, twice as many rows go through the network). */
    public static final int DEFAULT_BATCH = 64;

    private final UNet model;
    private final NoiseSchedule schedule;
    private final Backend backend;
    /** Each denoising step reuses the activation memory of the one before. */
    private final StepMemory stepMemory = new StepMemory();
    private int batch = DEFAULT_BATCH;
    private java.util.function.LongConsumer progress = done -> { };

    public Sampler(UNet model, NoiseSchedule schedule, Backend backend) {
        if (model == null || schedule == null || backend == null) {
            throw new IllegalArgumentException("Sampler: model, schedule and backend are required");
        }
        this.model = model;
        this.schedule = schedule;
        this.backend = backend;
    }

    /** Sets how many images go through the network at once (memory against speed); results do not change. */
    public Sampler batch(int images) {
        if (images < 1) {
            throw new IllegalArgumentException("Sampler.batch: must be >= 1, got " + images);
        }
        this.batch = images;
        return this;
    }

    /**
     * Reports progress: after every denoising step of a batch, {@code imageStepsDone} receives how many image-steps
     * are done so far, out of count × steps (for a progress bar over a long evaluation).
     */
    public Sampler progress(java.util.function.LongConsumer imageStepsDone) {
        if (imageStepsDone == null) {
            throw new IllegalArgumentException("Sampler.progress: the listener must not be null");
        }
        this.progress = imageStepsDone;
        return this;
    }

    /**
     * The simplest call, for evaluation code: DDIM with {@code steps} steps on the {@code auto} backend, one image
     * per entry of {@code labels} (label, or {@link UNet#NULL_LABEL}), guidance scale w (1 = none).
     */
    public static float[] sample(UNet model, NoiseSchedule schedule, int[] labels, float guidance, int steps,
                                 long seed) {
        return new Sampler(model, schedule, Backends.select("auto")).sample(Method.DDIM, labels, guidance, steps,
                seed, null);
    }

    /** {@code count} images from an unconditional model (or a conditional one without labels). */
    public float[] unconditional(Method method, int count, int steps, long seed) {
        if (count < 1) {
            throw new IllegalArgumentException("sampler: count must be >= 1, got " + count);
        }
        int[] labels = new int[count];
        java.util.Arrays.fill(labels, UNet.NULL_LABEL);
        return sample(method, labels, 1f, steps, seed, null);
    }

    /**
     * One image per entry of {@code labels} (a class, or {@link UNet#NULL_LABEL}), as [count, C, H, W] floats in
     * [−1, 1]. With a {@code trajectory}, snapshots of x along the way are recorded into it.
     *
     * @param guidance classifier-free guidance scale w; 1 means none, and anything else needs a conditional model
     * @param steps    denoising steps, 1 … T (DDPM over all T steps is the original sampler)
     */
    public float[] sample(Method method, int[] labels, float guidance, int steps, long seed, Trajectory trajectory) {
        check(labels, guidance, steps);
        int[] taus = timesteps(schedule.timesteps(), steps);
        int count = labels.length;
        int size = model.config().imageSize();
        float[] images = new float[count * size];
        for (int from = 0; from < count; from += batch) {
            int to = Math.min(count, from + batch);
            float[] x = new float[(to - from) * size];
            SplittableRandom[] randoms = new SplittableRandom[to - from];
            for (int i = from; i < to; i++) {
                randoms[i - from] = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + i * 0xD1B54A32D192ED03L);
                for (int p = 0; p < size; p++) {
                    x[(i - from) * size + p] = (float) randoms[i - from].nextGaussian();
                }
            }
            int[] chunkLabels = java.util.Arrays.copyOfRange(labels, from, to);
            if (trajectory != null) {
                trajectory.record(from, x, size, taus.length, -1);
            }
            for (int s = taus.length - 1; s >= 0; s--) {
                int t = taus[s];
                int previous = s == 0 ? -1 : taus[s - 1];
                float[] eps = predictNoise(x, t, chunkLabels, guidance);
                denoiseStep(method, x, eps, t, previous, randoms, size);
                progress.accept((long) from * taus.length + (long) (to - from) * (taus.length - s));
                if (trajectory != null) {
                    trajectory.record(from, x, size, taus.length, taus.length - s - 1);
                }
            }
            System.arraycopy(x, 0, images, from * size, x.length);
        }
        return images;
    }

    /** The steps a sampler of {@code steps} steps visits, increasing: ⌊i·T/steps⌋ for i = 0 … steps−1. */
    public static int[] timesteps(int total, int steps) {
        if (steps < 1 || steps > total) {
            throw new IllegalArgumentException("sampler: steps must be in [1, " + total + "] (the schedule's T), got "
                    + steps);
        }
        int[] taus = new int[steps];
        for (int i = 0; i < steps; i++) {
            taus[i] = (int) ((long) i * total / steps);
        }
        return taus;
    }

    private void check(int[] labels, float guidance, int steps) {
        UNetConfig c = model.config();
        if (labels == null || labels.length == 0) {
            throw new IllegalArgumentException("sampler: at least one image (label) is needed");
        }
        if (!Float.isFinite(guidance) || guidance < 0) {
            throw new IllegalArgumentException("sampler: the guidance scale must be a finite number >= 0, got "
                    + guidance);
        }
        if (!c.conditional() && guidance != 1f) {
            throw new IllegalArgumentException("sampler: guidance scale " + fmt(guidance) + " needs a class-"
                    + "conditional model, but this one is unconditional (0 classes); use guidance 1");
        }
        boolean anyNull = false;
        for (int label : labels) {
            if (label == UNet.NULL_LABEL) {
                anyNull = true;
            } else if (label < 0 || label >= c.classes()) {
                throw new IllegalArgumentException("sampler: label " + label + " is outside the model's classes [0, "
                        + c.classes() + ")" + (c.conditional() ? "" : ": this model is unconditional"));
            }
        }
        if (anyNull && guidance != 1f) {
            throw new IllegalArgumentException("sampler: guidance scale " + fmt(guidance) + " needs a label for "
                    + "every image (the null label " + UNet.NULL_LABEL + " has nothing to guide towards)");
        }
        timesteps(schedule.timesteps(), steps);
    }

    /** ε̂ for the batch x at step t; with guidance, one pass over [x; x] with [labels; null]. */
    private float[] predictNoise(float[] x, int t, int[] labels, float guidance) {
        UNetConfig c = model.config();
        int n = labels.length;
        boolean guided = guidance != 1f;
        int rows = guided ? 2 * n : n;
        int[] steps = new int[rows];
        java.util.Arrays.fill(steps, t);
        int[] passLabels = new int[rows];
        for (int i = 0; i < rows; i++) {
            passLabels[i] = i < n ? labels[i] : UNet.NULL_LABEL;
        }
        float[] eps;
        try (Tape tape = new Tape(backend, stepMemory)) {
            Tensor input = tape.allocateUninitialized(rows, c.imageChannels(), c.height(), c.width());
            if (guided) {
                float[] doubled = new float[2 * x.length];
                System.arraycopy(x, 0, doubled, 0, x.length);
                System.arraycopy(x, 0, doubled, x.length, x.length);
                input.copyFrom(doubled);
            } else {
                input.copyFrom(x);
            }
            Var out = model.forward(tape, tape.constant(input), steps, c.conditional() ? passLabels : null);
            eps = out.value().toArray();
        }
        if (!guided) {
            return eps;
        }
        float[] combined = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            float conditional = eps[i];
            float unconditional = eps[x.length + i];
            combined[i] = unconditional + guidance * (conditional - unconditional);
        }
        return combined;
    }

    /** x ← x_prev, in place (see the class comment). */
    private void denoiseStep(Method method, float[] x, float[] eps, int t, int previous, SplittableRandom[] randoms,
                             int size) {
        double alphaBar = schedule.alphaBar(t);
        double alphaBarPrevious = schedule.alphaBar(previous);
        double eta = method == Method.DDPM ? 1 : 0;
        double variance = eta * eta * (1 - alphaBarPrevious) / (1 - alphaBar) * (1 - alphaBar / alphaBarPrevious);
        double sigma = Math.sqrt(Math.max(0, variance));
        double signal = Math.sqrt(alphaBar);
        double spread = Math.sqrt(1 - alphaBar);
        double towardsData = Math.sqrt(alphaBarPrevious);
        double towardsNoise = Math.sqrt(Math.max(0, 1 - alphaBarPrevious - variance));
        for (int i = 0; i < x.length; i++) {
            double x0 = (x[i] - spread * eps[i]) / signal;
            x0 = Math.max(-1, Math.min(1, x0));
            double e = (x[i] - signal * x0) / spread;
            double next = towardsData * x0 + towardsNoise * e;
            if (sigma > 0) {
                next += sigma * randoms[i / size].nextGaussian();
            }
            x[i] = (float) next;
        }
    }

    private static String fmt(float v) {
        return String.format(Locale.ROOT, "%g", v).replaceAll("\\.?0+$", "");
    }

    /**
     * Snapshots of the images along the reverse process, x_T → x_0: {@code frames} evenly spaced states including
     * the first (pure noise) and the last (the sample).
     */
    public static final class Trajectory {

        private final int frames;
        private final List<float[]> snapshots = new ArrayList<>();   // [frame] → all images of that frame
        private int count;
        private int imageSize;

        public Trajectory(int frames) {
            if (frames < 2) {
                throw new IllegalArgumentException("Trajectory: frames must be >= 2 (x_T and x_0), got " + frames);
            }
            this.frames = frames;
        }

        /** Records x after sampler step {@code done} (−1: before the first) of {@code total}, when it is a frame. */
        void record(int firstImage, float[] x, int size, int total, int done) {
            int wanted = Math.min(frames, total + 1);
            // frame f shows the state after step round(f·total/(wanted−1)) − 1
            for (int f = 0; f < wanted; f++) {
                int at = (int) Math.round((double) f * total / (wanted - 1)) - 1;
                if (at == done) {
                    while (snapshots.size() <= f) {
                        snapshots.add(new float[0]);
                    }
                    float[] frame = snapshots.get(f);
                    int needed = firstImage * size + x.length;
                    if (frame.length < needed) {
                        frame = java.util.Arrays.copyOf(frame, needed);
                        snapshots.set(f, frame);
                    }
                    System.arraycopy(x, 0, frame, firstImage * size, x.length);
                    imageSize = size;
                    count = Math.max(count, needed / size);
                }
            }
        }

        /** Recorded frames (≤ the requested number when the sampler has fewer steps). */
        public int frames() {
            return snapshots.size();
        }

        /** Images per frame. */
        public int images() {
            return count;
        }

        /**
         * The frames laid out image by image: row i holds image i at every frame, x_T first, ready for
         * {@code ImageGrid} with {@code frames()} columns.
         */
        public float[] strips() {
            float[] out = new float[count * snapshots.size() * imageSize];
            for (int i = 0; i < count; i++) {
                for (int f = 0; f < snapshots.size(); f++) {
                    System.arraycopy(snapshots.get(f), i * imageSize, out, (i * snapshots.size() + f) * imageSize,
                            imageSize);
                }
            }
            return out;
        }
    }
}
