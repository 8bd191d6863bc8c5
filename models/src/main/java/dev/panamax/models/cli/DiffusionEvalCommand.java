package dev.panamax.models.cli;

import dev.panamax.engine.Backend;
import dev.panamax.engine.Backends;
import dev.panamax.models.diffusion.DiffusionCheckpoint;
import dev.panamax.models.diffusion.Sampler;
import dev.panamax.models.diffusion.UNet;
import dev.panamax.models.diffusion.UNetConfig;
import dev.panamax.models.diffusion.data.GlyphDataset;
import dev.panamax.models.diffusion.eval.GlyphClassifier;
import dev.panamax.models.diffusion.eval.SampleEvaluation;
import dev.panamax.models.plot.ImageGrid;
import dev.panamax.models.training.ProgressBar;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code panamax diffusion eval}: how good a glyph model's samples are. Generates {@code --count} images from the
 * checkpoint's EMA weights (balanced over the requested classes), then has the glyph classifier judge them
 * ({@link SampleEvaluation}): the share recognised as the requested class, the FID-style distance to held-out real
 * glyphs and the real-vs-real floor. An unconditional model gets the distance only.
 */
@Command(name = "eval", sortOptions = false, mixinStandardHelpOptions = true,
        description = {"Judge a glyph model: sample from the checkpoint, then print the share of samples the glyph",
            "classifier recognises as the requested class and the FID-style distance to real glyphs (with the",
            "real-vs-real floor). The classifier is trained once and cached (--judge-cache)."})
final class DiffusionEvalCommand implements Callable<Integer> {

    @ParentCommand
    DiffusionCommand parent;

    @Option(names = "--checkpoint", required = true, paramLabel = "DIR",
            description = "Run folder (or its checkpoint.safetensors).")
    Path checkpoint;

    @Option(names = "--count", defaultValue = "1000",
            description = "Samples in all, balanced over the labels (default: ${DEFAULT-VALUE}; 1000 or more for a "
                    + "meaningful distance).")
    int count;

    @Option(names = "--labels", split = ",", paramLabel = "L",
            description = "Classes to request (default: all of the model's).")
    int[] labels;

    @Option(names = "--sampler", defaultValue = "ddim", description = "ddim or ddpm (default: ${DEFAULT-VALUE}).")
    String sampler;

    @Option(names = "--steps", defaultValue = "50", description = "Denoising steps (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--guidance", description = "Classifier-free guidance scale w (default: 2 for a conditional "
            + "model, 1 otherwise).")
    Float guidance;

    @Option(names = "--seed", defaultValue = "1", description = "Noise seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--grid", paramLabel = "PNG", description = "Also write the evaluated samples as a PNG grid.")
    Path grid;

    @Option(names = "--judge-cache", defaultValue = "runs/glyph-classifier", paramLabel = "DIR",
            description = "Where the glyph classifier is cached (default: ${DEFAULT-VALUE}).")
    Path judgeCache;

    @Option(names = "--judge-images", defaultValue = "20000", paramLabel = "N",
            description = "Glyphs the classifier trains on when none is cached (default: ${DEFAULT-VALUE}).")
    int judgeImages;

    @Override
    public Integer call() {
        try {
            return run();
        } catch (IOException e) {
            throw new IllegalStateException(e.getMessage(), e);   // one clear line, e.g. an unreadable checkpoint
        }
    }

    private int run() throws IOException {
        if (count < 2) {
            throw new IllegalArgumentException("--count must be >= 2 (a distance needs two samples), got " + count);
        }
        if (judgeImages < 100) {
            throw new IllegalArgumentException("--judge-images must be >= 100, got " + judgeImages);
        }
        Backend backend = Backends.select(parent.parent.backend);
        Sampler.Method method = Sampler.Method.of(sampler);
        try (Arena arena = Arena.ofShared()) {
            DiffusionCheckpoint.Loaded loaded = DiffusionCheckpoint.load(checkpoint, arena);
            UNetConfig c = loaded.modelConfig();
            GlyphDataset.Glyphs glyphs = glyphsOf(c);
            float w = guidance != null ? guidance : c.conditional() ? 2f : 1f;
            int[] requested = requestedLabels(c);
            System.out.printf(Locale.ROOT, "evaluating %s (step %d): %d samples, %s %d steps, guidance %s, seed %d%n",
                    checkpoint, loaded.step(), count, method, steps, w, seed);

            ProgressBar bar = new ProgressBar(System.err, "image-step", (long) count * steps);
            long start = System.nanoTime();
            float[] images = new Sampler(loaded.model(), loaded.schedule(), backend)
                    .progress(done -> bar.update(done, String.format(Locale.ROOT, "%s img/s",
                            ProgressBar.rate(done / (double) steps / bar.elapsedSeconds()))))
                    .sample(method, requested, w, steps, seed, null);
            double seconds = (System.nanoTime() - start) / 1e9;
            bar.println(String.format(Locale.ROOT, "sampled %d images in %s", count, ProgressBar.duration(seconds)));
            if (grid != null) {
                int columns = c.conditional() && labels == null ? c.classes() : (int) Math.ceil(Math.sqrt(count));
                ImageGrid.write(images, count, c.imageChannels(), c.height(), c.width(), columns,
                        Math.max(1, 32 / c.height()), grid);
                System.out.println("wrote " + grid);
            }

            GlyphClassifier.GlyphRecipe recipe = judgeImages == GlyphClassifier.GlyphRecipe.DEFAULT.trainImages()
                    ? GlyphClassifier.GlyphRecipe.DEFAULT
                    : new GlyphClassifier.GlyphRecipe(judgeImages, Math.min(judgeImages, 5_000),
                            GlyphClassifier.GlyphRecipe.DEFAULT.training());
            try (GlyphClassifier judge = GlyphClassifier.trainOrLoad(judgeCache, c.height(), glyphs, recipe, backend,
                    System.err)) {
                System.out.printf(Locale.ROOT, "judge: %s (%.1f%% on held-out glyphs)%n",
                        GlyphClassifier.cacheFile(judgeCache, c.height(), glyphs), 100 * judge.heldOutAccuracy());
                SampleEvaluation evaluation = SampleEvaluation.againstGlyphs(images,
                        c.conditional() ? requested : null, count, judge);
                System.out.println(evaluation);
            }
        }
        return 0;
    }

    /**
     * Which glyphs the model draws, from its shape: the judge only knows grayscale square glyph images, and a
     * conditional model's classes must be the digits (10) or digits and letters (36).
     */
    private static GlyphDataset.Glyphs glyphsOf(UNetConfig c) {
        if (c.imageChannels() != 1 || c.height() != c.width() || c.height() % 4 != 0
                || c.height() < GlyphDataset.MIN_SIZE) {
            throw new IllegalArgumentException("diffusion eval judges glyph models (grayscale, square, a side that is "
                    + "a multiple of 4 and >= " + GlyphDataset.MIN_SIZE + ", e.g. 28x28); this model makes "
                    + c.imageChannels() + "x" + c.height() + "x" + c.width() + " images");
        }
        if (!c.conditional()) {
            return GlyphDataset.Glyphs.DIGITS;      // distance only, against real digits
        }
        for (GlyphDataset.Glyphs g : GlyphDataset.Glyphs.values()) {
            if (g.classes() == c.classes()) {
                return g;
            }
        }
        throw new IllegalArgumentException("diffusion eval judges glyph models: the model has " + c.classes()
                + " classes, glyphs have 10 (digits) or 36 (digits and letters)");
    }

    /** Sample i asks for labels[i mod k] (all the model's classes by default); the null label when unconditional. */
    private int[] requestedLabels(UNetConfig c) {
        int[] result = new int[count];
        if (!c.conditional()) {
            if (labels != null) {
                throw new IllegalArgumentException("--labels needs a class-conditional model; this one is "
                        + "unconditional");
            }
            java.util.Arrays.fill(result, UNet.NULL_LABEL);
            return result;
        }
        int[] choices = labels;
        if (choices == null) {
            choices = new int[c.classes()];
            for (int k = 0; k < choices.length; k++) {
                choices[k] = k;
            }
        }
        for (int label : choices) {
            if (label < 0 || label >= c.classes()) {
                throw new IllegalArgumentException("--labels: label " + label + " is outside the model's classes [0, "
                        + c.classes() + ")");
            }
        }
        for (int i = 0; i < count; i++) {
            result[i] = choices[i % choices.length];
        }
        return result;
    }
}
