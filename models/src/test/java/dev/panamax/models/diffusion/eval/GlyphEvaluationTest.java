package dev.panamax.models.diffusion.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panamax.engine.Backends;
import dev.panamax.models.diffusion.data.GlyphDataset;
import dev.panamax.models.diffusion.data.ImageBatches;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The glyph classifier and the evaluation built on it. One tiny classifier (16×16 glyphs, 1 200 training images,
 * two epochs: a few seconds) is trained once for the whole class; the ≥ 97 % figure of the full recipe is measured
 * by {@code panamax glyphs --train-classifier} and quoted in the README, not here.
 */
class GlyphEvaluationTest {

    private static final int SIZE = 16;
    private static final GlyphClassifier.GlyphRecipe TINY = new GlyphClassifier.GlyphRecipe(1200, 500,
            new GlyphClassifier.Training(2, 32, 1e-2, 1));

    @TempDir
    static Path cache;

    private static GlyphClassifier classifier;
    private static String progress;
    /** Real glyphs the classifier never saw, as "generated" images, and held-out real images to compare with. */
    private static GlyphDataset source;
    private static GlyphDataset reference;

    @BeforeAll
    static void train() {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        classifier = GlyphClassifier.trainOrLoad(cache, SIZE, GlyphDataset.Glyphs.DIGITS, TINY,
                Backends.select("auto"), new PrintStream(log, true));
        progress = log.toString();
        source = GlyphDataset.generate(200, SIZE, 200);
        reference = GlyphDataset.generate(800, SIZE, 201);
    }

    @AfterAll
    static void free() {
        classifier.close();
    }

    @Test
    void aBrieflyTrainedClassifierRecognisesHeldOutGlyphs() {
        assertTrue(progress.contains("step") && progress.contains("loss"), "training shows progress: " + progress);
        assertTrue(classifier.heldOutAccuracy() >= 0.8, "held-out accuracy " + classifier.heldOutAccuracy());
        double accuracy = classifier.accuracy(reference);
        assertTrue(accuracy >= 0.8, "accuracy on other glyphs " + accuracy);
        assertEquals(List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"), classifier.classNames());
    }

    @Test
    void aCachedClassifierIsLoadedWithTheSameWeightsAndAnotherRecipeIsNot() {
        assertTrue(GlyphClassifier.isCached(cache, SIZE, GlyphDataset.Glyphs.DIGITS, TINY));
        float[] images = ImageBatches.range(reference, 0, 20);
        try (GlyphClassifier loaded = GlyphClassifier.trainOrLoad(cache, SIZE, GlyphDataset.Glyphs.DIGITS, TINY,
                Backends.select("auto"), null)) {
            assertEquals(classifier.heldOutAccuracy(), loaded.heldOutAccuracy());
            float[][] expected = classifier.features(images, 20);
            float[][] actual = loaded.features(images, 20);
            for (int i = 0; i < 20; i++) {
                assertArrayEquals(expected[i], actual[i]);
            }
        }
        var other = new GlyphClassifier.GlyphRecipe(1300, 500, TINY.training());
        assertFalse(GlyphClassifier.isCached(cache, SIZE, GlyphDataset.Glyphs.DIGITS, other));
        assertFalse(GlyphClassifier.isCached(cache, SIZE + 4, GlyphDataset.Glyphs.DIGITS, TINY));
    }

    @Test
    void loadingSomethingElseFailsClearly() throws Exception {
        Path missing = cache.resolve("missing.safetensors");
        var e = assertThrows(IllegalArgumentException.class, () -> GlyphClassifier.load(missing,
                Backends.select("auto")));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
        Path junk = Files.writeString(cache.resolve("junk.safetensors"), "not a safetensors file");
        assertThrows(IllegalArgumentException.class, () -> GlyphClassifier.load(junk, Backends.select("auto")));
        // An unusable cache folder (here: a file) fails before any training.
        var folder = assertThrows(IllegalArgumentException.class, () -> GlyphClassifier.trainOrLoad(junk, SIZE,
                GlyphDataset.Glyphs.DIGITS, TINY, Backends.select("auto"), null));
        assertTrue(folder.getMessage().contains("cache folder"), folder.getMessage());
    }

    @Test
    void featuresArePerImageWhateverTheBatch() {
        int n = 300;                                   // more than one inference batch of 256
        GlyphDataset data = GlyphDataset.generate(n, SIZE, 300);
        float[] images = ImageBatches.range(data, 0, n);
        float[][] batched = classifier.features(images, n);
        int[] predicted = classifier.predict(images, n);
        assertEquals(n, batched.length);
        assertEquals(GlyphClassifier.FEATURES, batched[0].length);
        for (int i : new int[] {0, 255, 256, 299}) {
            float[] alone = classifier.features(ImageBatches.range(data, i, 1), 1)[0];
            assertArrayEquals(alone, batched[i], 1e-4f, "image " + i);
            assertEquals(classifier.predict(ImageBatches.range(data, i, 1), 1)[0], predicted[i]);
        }
        var e = assertThrows(IllegalArgumentException.class, () -> classifier.features(new float[10], 1));
        assertTrue(e.getMessage().contains("1x16x16"), e.getMessage());
    }

    @Test
    void realImagesScoreNearTheFloorAndWrongLabelsOrNoiseDoNot() {
        int n = source.size();
        float[] images = ImageBatches.range(source, 0, n);
        int[] labels = new int[n];
        int[] wrong = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = source.label(i);
            wrong[i] = (labels[i] + 1) % 10;
        }
        SampleEvaluation real = SampleEvaluation.evaluate(images, labels, n, reference, classifier);
        assertTrue(real.conditional());
        assertTrue(real.accuracy() >= 0.75, real.toString());
        assertTrue(real.ratio() < 2.5, real.toString());
        assertEquals(n, java.util.Arrays.stream(real.requestedPerClass()).sum());
        assertEquals(SampleEvaluation.REAL_SETS, real.distancesToRealSets().length);
        assertEquals(3, real.realPairDistances().length);
        assertEquals(java.util.Arrays.stream(real.realPairDistances()).average().orElseThrow(), real.floor(), 1e-12);

        SampleEvaluation mislabelled = SampleEvaluation.evaluate(images, wrong, n, reference, classifier);
        assertTrue(mislabelled.accuracy() < 0.3, mislabelled.toString());

        SampleEvaluation unconditional = SampleEvaluation.evaluate(images, null, n, reference, classifier);
        assertFalse(unconditional.conditional());
        assertTrue(Double.isNaN(unconditional.accuracy()));
        assertTrue(unconditional.toString().contains("n/a"), unconditional.toString());

        float[] noise = DistanceSanityCheck.noisy(new float[images.length], 1.0, 9);
        SampleEvaluation pure = SampleEvaluation.evaluate(noise, labels, n, reference, classifier);
        assertTrue(pure.ratio() > 5 && pure.distance() > 5 * real.distance(), pure.toString());

        String report = real.toString();
        assertTrue(report.contains("recognised as the requested class") && report.contains("floor")
                && report.contains("ratio"), report);
        assertTrue(report.contains(String.format(java.util.Locale.ROOT, "%.3f", real.distance())), report);
    }

    @Test
    void theSanityCheckOrdersDegradations() {
        // This tiny 16x16 classifier barely notices mild pixel noise (the full one does: see the README), so only
        // blur and pure noise are ordered here.
        List<DistanceSanityCheck.Row> rows = DistanceSanityCheck.run(classifier, source, reference, 200, 1);
        String table = DistanceSanityCheck.table(rows);
        double real = rows.get(0).evaluation().distance();
        double blur3 = rows.get(3).evaluation().distance();
        double blur5 = rows.get(4).evaluation().distance();
        double pure = rows.get(5).evaluation().distance();
        assertTrue(real < blur3 && blur3 < blur5, table);
        assertTrue(pure > 5 * real, table);
        assertTrue(rows.get(5).evaluation().accuracy() < 0.3, table);
        assertTrue(table.contains("pure noise") && table.contains("floor"), table);
    }

    @Test
    void againstGlyphsDrawsEnoughHeldOutGlyphsForAnyLabelMix() {
        float[] images = ImageBatches.range(source, 0, 64);
        int[] labels = new int[64];
        int[] cycling = new int[64];
        for (int i = 0; i < 64; i++) {
            labels[i] = source.label(i);
            cycling[i] = i % 10;                      // classes 0-3 asked 7 times, the others 6
        }
        SampleEvaluation e = SampleEvaluation.againstGlyphs(images, labels, 64, classifier);
        assertTrue(e.accuracy() >= 0.7, e.toString());
        assertEquals(64, SampleEvaluation.againstGlyphs(images, cycling, 64, classifier).samples());
        assertTrue(Double.isNaN(SampleEvaluation.againstGlyphs(images, null, 64, classifier).accuracy()));
    }

    @Test
    void badEvaluationInputIsRejected() {
        float[] images = ImageBatches.range(source, 0, 100);
        int[] fives = new int[100];
        java.util.Arrays.fill(fives, 5);
        // 100 fives need 3 x 100 real fives; the reference holds 80.
        var e = assertThrows(IllegalArgumentException.class,
                () -> SampleEvaluation.evaluate(images, fives, 100, reference, classifier));
        assertTrue(e.getMessage().contains("class '5'") && e.getMessage().contains("300"), e.getMessage());
        int[] outside = new int[100];
        outside[7] = 10;
        e = assertThrows(IllegalArgumentException.class,
                () -> SampleEvaluation.evaluate(images, outside, 100, reference, classifier));
        assertTrue(e.getMessage().contains("label 10"), e.getMessage());
        float[] nan = images.clone();
        nan[3] = Float.NaN;
        e = assertThrows(IllegalArgumentException.class,
                () -> SampleEvaluation.evaluate(nan, null, 100, reference, classifier));
        assertTrue(e.getMessage().contains("NaN"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> SampleEvaluation.evaluate(images, null, 99, reference, classifier));
    }
}
