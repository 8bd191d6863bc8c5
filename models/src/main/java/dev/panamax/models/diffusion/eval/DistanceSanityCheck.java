package dev.panamax.models.diffusion.eval;

import dev.panamax.models.diffusion.data.ImageBatches;
import dev.panamax.models.diffusion.data.ImageDataset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Shows that the FID-style distance orders image sets the right way before it is trusted with a generator: real
 * images that the real sets never saw should score near the floor, the same images degraded (noise, blur) worse,
 * and pure noise worst by far. Each row is a {@link SampleEvaluation} of one "generator" that returns
 * (degraded) real images with their true labels, so its accuracy column is the classifier's accuracy on them.
 */
public final class DistanceSanityCheck {

    /** One degraded version of the source images and how it scored. */
    public record Row(String name, SampleEvaluation evaluation) {
    }

    private DistanceSanityCheck() {
    }

    /**
     * Scores {@code count} images of {@code source} (real, disjoint from {@code heldOut}) as they are, with
     * Gaussian noise, blurred, and replaced by pure noise, each against {@code heldOut} (enough images for
     * {@link SampleEvaluation#evaluate}: {@link SampleEvaluation#heldOutImagesNeeded}).
     */
    public static List<Row> run(GlyphClassifier classifier, ImageDataset source, ImageDataset heldOut, int count,
                                long seed) {
        if (count < 2 || count > source.size()) {
            throw new IllegalArgumentException("DistanceSanityCheck: count must be in [2, " + source.size()
                    + "] (the source images), got " + count);
        }
        float[] images = ImageBatches.range(source, 0, count);
        int[] labels = source.classes() > 0 ? ImageBatches.labels(source, range(count)) : null;
        int c = source.channels();
        int h = source.height();
        int w = source.width();
        List<Row> rows = new ArrayList<>();
        rows.add(row("real images (another set)", images, labels, count, heldOut, classifier));
        rows.add(row("Gaussian noise, sigma 0.1", noisy(images, 0.1, seed), labels, count, heldOut, classifier));
        rows.add(row("Gaussian noise, sigma 0.3", noisy(images, 0.3, seed), labels, count, heldOut, classifier));
        rows.add(row("box blur 3x3", blurred(images, count * c, h, w, 1), labels, count, heldOut, classifier));
        rows.add(row("box blur 5x5", blurred(images, count * c, h, w, 2), labels, count, heldOut, classifier));
        rows.add(row("pure noise N(0, 1)", noisy(new float[images.length], 1.0, seed), labels, count, heldOut,
                classifier));
        return rows;
    }

    private static Row row(String name, float[] images, int[] labels, int count, ImageDataset heldOut,
                           GlyphClassifier classifier) {
        return new Row(name, SampleEvaluation.evaluate(images, labels, count, heldOut, classifier));
    }

    private static int[] range(int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) {
            r[i] = i;
        }
        return r;
    }

    /** images + N(0, sigma²) per pixel, clipped to [-1, 1]. */
    static float[] noisy(float[] images, double sigma, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] out = new float[images.length];
        for (int i = 0; i < images.length; i++) {
            out[i] = (float) Math.clamp(images[i] + sigma * random.nextGaussian(), -1, 1);
        }
        return out;
    }

    /** Each of {@code planes} h×w planes averaged over a (2r+1)² box, the box clipped at the border. */
    static float[] blurred(float[] images, int planes, int h, int w, int r) {
        float[] out = new float[images.length];
        for (int p = 0; p < planes; p++) {
            int base = p * h * w;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    double sum = 0;
                    int n = 0;
                    for (int dy = Math.max(0, y - r); dy <= Math.min(h - 1, y + r); dy++) {
                        for (int dx = Math.max(0, x - r); dx <= Math.min(w - 1, x + r); dx++) {
                            sum += images[base + dy * w + dx];
                            n++;
                        }
                    }
                    out[base + y * w + x] = (float) (sum / n);
                }
            }
        }
        return out;
    }

    /** The rows as a table: distance, ratio to the floor, classifier accuracy. */
    public static String table(List<Row> rows) {
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "%-28s %10s %8s %10s%n", "images vs held-out real", "distance", "x floor",
                "accuracy"));
        for (Row row : rows) {
            SampleEvaluation e = row.evaluation();
            s.append(String.format(Locale.ROOT, "%-28s %10.3f %8.2f %9.1f%%%n", row.name(), e.distance(), e.ratio(),
                    100 * e.accuracy()));
        }
        SampleEvaluation first = rows.get(0).evaluation();
        s.append(String.format(Locale.ROOT, "%-28s %10.3f%n", "floor (real vs real)", first.floor()));
        return s.toString();
    }
}
