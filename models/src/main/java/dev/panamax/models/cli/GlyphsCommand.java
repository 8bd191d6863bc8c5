package dev.panamax.models.cli;

import dev.panamax.engine.Backends;
import dev.panamax.models.diffusion.data.GlyphDataset;
import dev.panamax.models.diffusion.data.ImageBatches;
import dev.panamax.models.diffusion.eval.DistanceSanityCheck;
import dev.panamax.models.diffusion.eval.GlyphClassifier;
import dev.panamax.models.diffusion.eval.SampleEvaluation;
import dev.panamax.models.plot.LabelledImageGrid;
import dev.panamax.models.training.ProgressBar;
import java.io.IOException;
import java.io.PrintStream;
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
 * {@code panamax glyphs}: a preview grid of the generated glyph dataset (the diffusion model's training data), or
 * with {@code --train-classifier} the evaluation's glyph classifier: trained (or loaded from its cache), its
 * held-out accuracy, and a sanity check of the FID-style distance.
 */
@Command(name = "glyphs", sortOptions = false, mixinStandardHelpOptions = true,
        description = {"Preview the generated glyph images (digits drawn with the JDK's fonts), or train and cache",
            "the glyph classifier the diffusion evaluation uses (--train-classifier)."})
final class GlyphsCommand implements Callable<Integer> {

    /** Seeds of the images the sanity check uses, apart from the classifier's training and held-out glyphs. */
    private static final long SANITY_SOURCE_SEED = 101;
    private static final long SANITY_REFERENCE_SEED = 102;

    @ParentCommand
    PanamaxCommand parent;

    @Option(names = "--count", defaultValue = "64", description = "Images in the preview (default: ${DEFAULT-VALUE}).")
    int count;

    @Option(names = "--size", defaultValue = "28", description = "Image size in pixels, 28 or 32 usually (default: "
            + "${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the preview images (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--letters", description = "Digits and the letters A-Z (36 classes) instead of digits only.")
    boolean letters;

    @Option(names = "--installed-fonts", description = "Also draw with every installed font family, not only the "
            + "JDK's five logical fonts.")
    boolean installedFonts;

    @Option(names = "--columns", defaultValue = "16", description = "Images per row of the preview (default: "
            + "${DEFAULT-VALUE}).")
    int columns;

    @Option(names = "--out", defaultValue = "runs/glyphs/preview.png",
            description = "Preview PNG (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--train-classifier", description = "Train (or load from --cache-dir) the glyph classifier, "
            + "print its held-out accuracy and the distance sanity check.")
    boolean trainClassifier;

    @Option(names = "--cache-dir", defaultValue = "runs/glyph-classifier",   // GlyphClassifier.DEFAULT_CACHE_DIR
            description = "Where the trained classifier is kept (default: ${DEFAULT-VALUE}).")
    Path cacheDir;

    @Option(names = "--retrain", description = "Train the classifier even if a cached one fits.")
    boolean retrain;

    @Option(names = "--train-images", description = "Training glyphs (default: 20000).")
    Integer trainImages;

    @Option(names = "--held-out-images", description = "Held-out glyphs the accuracy is measured on (default: 5000).")
    Integer heldOutImages;

    @Option(names = "--epochs", description = "Training passes (default: 2).")
    Integer epochs;

    @Option(names = "--check-samples", defaultValue = "1000", description = "Images per set in the distance sanity "
            + "check (default: ${DEFAULT-VALUE}).")
    int checkSamples;

    @Override
    public Integer call() {
        GlyphDataset.Glyphs glyphs = letters ? GlyphDataset.Glyphs.DIGITS_AND_LETTERS : GlyphDataset.Glyphs.DIGITS;
        return trainClassifier ? trainClassifier(glyphs, System.out, System.err) : preview(glyphs, System.out);
    }

    private int preview(GlyphDataset.Glyphs glyphs, PrintStream stdout) {
        if (count < 1 || count > 4096) {
            throw new IllegalArgumentException("--count must be in [1, 4096] for a preview, got " + count);
        }
        if (columns < 1) {
            throw new IllegalArgumentException("--columns must be >= 1, got " + columns);
        }
        long start = System.nanoTime();
        GlyphDataset data = GlyphDataset.generate(count, size, seed, glyphs,
                installedFonts ? GlyphDataset.Fonts.INSTALLED : GlyphDataset.Fonts.LOGICAL);
        double seconds = (System.nanoTime() - start) / 1e9;
        List<String> captions = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            captions.add(data.classNames().get(data.label(i)));
        }
        float[] pixels = ImageBatches.range(data, 0, count);
        int scale = Math.max(1, 64 / size);
        ModelRuns.writing(() -> LabelledImageGrid.write(pixels, count, 1, size, size, columns, scale, captions, out));
        stdout.printf(Locale.ROOT, "wrote %s: %d glyphs of %dx%d (%s, seed %d, %d faces), rendered in %s%n", out,
                count, size, size, glyphs == GlyphDataset.Glyphs.DIGITS ? "digits" : "digits and letters", seed,
                GlyphDataset.faceCount(glyphs, installedFonts ? GlyphDataset.Fonts.INSTALLED
                        : GlyphDataset.Fonts.LOGICAL), ProgressBar.duration(seconds));
        return 0;
    }

    private int trainClassifier(GlyphDataset.Glyphs glyphs, PrintStream stdout, PrintStream progress) {
        if (checkSamples < 2) {
            throw new IllegalArgumentException("--check-samples must be >= 2, got " + checkSamples);
        }
        GlyphClassifier.GlyphRecipe defaults = GlyphClassifier.GlyphRecipe.DEFAULT;
        GlyphClassifier.Training training = defaults.training();
        if (epochs != null) {
            training = new GlyphClassifier.Training(epochs, training.batchSize(), training.learningRate(),
                    training.seed());
        }
        GlyphClassifier.GlyphRecipe recipe = new GlyphClassifier.GlyphRecipe(
                trainImages == null ? defaults.trainImages() : trainImages,
                heldOutImages == null ? defaults.heldOutImages() : heldOutImages, training);
        Path file = GlyphClassifier.cacheFile(cacheDir, size, glyphs);
        if (retrain) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                throw new IllegalStateException("--retrain: cannot delete " + file + ": " + e.getMessage(), e);
            }
        }
        boolean cached = GlyphClassifier.isCached(cacheDir, size, glyphs, recipe);
        long start = System.nanoTime();
        var backend = Backends.select(parent == null ? "auto" : parent.backend);
        try (GlyphClassifier classifier = ModelRuns.writing(
                () -> GlyphClassifier.trainOrLoad(cacheDir, size, glyphs, recipe, backend, progress))) {
            double seconds = (System.nanoTime() - start) / 1e9;
            stdout.printf(Locale.ROOT, "glyph classifier (%s, %dx%d): %s %s%n",
                    glyphs == GlyphDataset.Glyphs.DIGITS ? "digits" : "digits and letters", size, size,
                    cached ? "loaded from" : "trained in " + ProgressBar.duration(seconds) + ", saved to",
                    file);
            stdout.printf(Locale.ROOT, "held-out accuracy: %.2f%% on %d glyphs not seen in training%n",
                    100 * classifier.heldOutAccuracy(), recipe.heldOutImages());
            GlyphDataset source = GlyphDataset.generate(checkSamples, size, SANITY_SOURCE_SEED, glyphs);
            int[] labels = ImageBatches.labels(source, java.util.stream.IntStream.range(0, checkSamples).toArray());
            GlyphDataset reference = GlyphDataset.generate(
                    SampleEvaluation.heldOutImagesNeeded(labels, checkSamples, glyphs.classes()), size,
                    SANITY_REFERENCE_SEED, glyphs);
            stdout.printf(Locale.ROOT, "%nFID-style distance sanity check (%d images per set, %d-d classifier "
                    + "features; each distance a mean over %d real sets):%n", checkSamples, GlyphClassifier.FEATURES,
                    SampleEvaluation.REAL_SETS);
            stdout.print(DistanceSanityCheck.table(
                    DistanceSanityCheck.run(classifier, source, reference, checkSamples, seed)));
        }
        return 0;
    }
}
