package dev.panamax.models.diffusion.eval;

import dev.panamax.models.diffusion.data.ImageBatches;
import dev.panamax.models.diffusion.data.ImageDataset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * How good a batch of generated images is, judged by a {@link GlyphClassifier}:
 * <ul>
 *   <li><b>accuracy</b>: the share of samples the classifier recognises as the class they were generated for
 *       (conditional samples only);</li>
 *   <li><b>distance</b>: the Fréchet distance between Gaussians fitted to the classifier's penultimate features of
 *       the samples and of as many held-out real images (FID's recipe on a small feature space);</li>
 *   <li><b>floor</b>: the same distance between two disjoint real sets of that size, what a perfect generator would
 *       score (the distance of finite samples is not zero), and the {@linkplain #ratio() ratio} to it.</li>
 * </ul>
 * For conditional samples both real sets are class-matched: every sample of class y is paired with a real image of
 * class y in each set, so asking for only 3s compares with real 3s.
 *
 * @param samples            how many images were generated
 * @param classNames         the classifier's classes
 * @param requestedPerClass  samples requested per class (all zero for unconditional samples)
 * @param recognisedPerClass of those, how many the classifier recognised as the requested class
 * @param distance           Fréchet distance, generated vs real
 * @param floor              Fréchet distance, real vs real (disjoint sets of the same size)
 */
public record SampleEvaluation(int samples, List<String> classNames, int[] requestedPerClass,
                               int[] recognisedPerClass, double distance, double floor) {

    /** Which real images are drawn for the two real sets; fixed, so evaluations of two models are comparable. */
    private static final long REAL_SET_SEED = 0x5EED;

    public SampleEvaluation {
        classNames = List.copyOf(classNames);
        requestedPerClass = requestedPerClass.clone();
        recognisedPerClass = recognisedPerClass.clone();
    }

    /**
     * Evaluates {@code count} generated images ({@code generated}: image i at i·C·H·W, values in [-1, 1]; values
     * outside are clipped as an image file would) against {@code heldOut} real images, which must hold at least
     * 2·count images (2× each requested class's count for conditional samples).
     *
     * @param requestedLabels the class each sample was generated for, or null for unconditional samples
     */
    public static SampleEvaluation evaluate(float[] generated, int[] requestedLabels, int count, ImageDataset heldOut,
                                            GlyphClassifier classifier) {
        int per = classifier.channels() * classifier.imageSize() * classifier.imageSize();
        if (count < 2) {
            throw new IllegalArgumentException("SampleEvaluation: at least 2 samples are needed for a distance, got "
                    + count);
        }
        if (generated == null || generated.length != (long) count * per) {
            throw new IllegalArgumentException("SampleEvaluation: expected " + count + " generated images of "
                    + classifier.channels() + "x" + classifier.imageSize() + "x" + classifier.imageSize() + " ("
                    + (long) count * per + " floats), got " + (generated == null ? "null" : generated.length));
        }
        if (heldOut.channels() != classifier.channels() || heldOut.height() != classifier.imageSize()
                || heldOut.width() != classifier.imageSize()) {
            throw new IllegalArgumentException("SampleEvaluation: the real images are " + heldOut.channels() + "x"
                    + heldOut.height() + "x" + heldOut.width() + ", the classifier takes " + classifier.channels()
                    + "x" + classifier.imageSize() + "x" + classifier.imageSize());
        }
        int classes = classifier.classNames().size();
        float[] samples = clipped(generated);
        int[][] realSets;
        int[] requested = new int[classes];
        int[] recognised = new int[classes];
        if (requestedLabels != null) {
            if (requestedLabels.length != count) {
                throw new IllegalArgumentException("SampleEvaluation: " + requestedLabels.length + " labels for "
                        + count + " samples");
            }
            for (int i = 0; i < count; i++) {
                if (requestedLabels[i] < 0 || requestedLabels[i] >= classes) {
                    throw new IllegalArgumentException("SampleEvaluation: label " + requestedLabels[i] + " of sample "
                            + i + " is outside the classifier's classes [0, " + classes + ")");
                }
            }
            if (heldOut.classes() != classes) {
                throw new IllegalArgumentException("SampleEvaluation: the real images have " + heldOut.classes()
                        + " classes, the classifier " + classes + "; class-matched real sets need the same classes");
            }
            int[] predicted = classifier.predict(samples, count);
            for (int i = 0; i < count; i++) {
                requested[requestedLabels[i]]++;
                recognised[requestedLabels[i]] += predicted[i] == requestedLabels[i] ? 1 : 0;
            }
            realSets = classMatchedRealSets(heldOut, requestedLabels);
        } else {
            realSets = randomRealSets(heldOut, count);
        }
        float[][] generatedFeatures = classifier.features(samples, count);
        float[][] realA = classifier.features(ImageBatches.gather(heldOut, realSets[0]), count);
        float[][] realB = classifier.features(ImageBatches.gather(heldOut, realSets[1]), count);
        FrechetDistance.Gaussian a = FrechetDistance.Gaussian.fit(realA);
        double distance = FrechetDistance.between(FrechetDistance.Gaussian.fit(generatedFeatures), a);
        double floor = FrechetDistance.between(FrechetDistance.Gaussian.fit(realB), a);
        return new SampleEvaluation(count, classifier.classNames(), requested, recognised, distance, floor);
    }

    private static float[] clipped(float[] generated) {
        float[] out = new float[generated.length];
        for (int i = 0; i < generated.length; i++) {
            float v = generated[i];
            if (Float.isNaN(v)) {
                throw new IllegalArgumentException("SampleEvaluation: generated value " + i + " is NaN; the sampler "
                        + "or the model diverged");
            }
            out[i] = Math.clamp(v, -1f, 1f);
        }
        return out;
    }

    /** Two disjoint sets of real indices; entry i of each has the class of sample i. */
    private static int[][] classMatchedRealSets(ImageDataset real, int[] labels) {
        int classes = real.classes();
        List<List<Integer>> byClass = new ArrayList<>();
        for (int c = 0; c < classes; c++) {
            byClass.add(new ArrayList<>());
        }
        for (int i : permutation(real.size())) {
            int label = real.label(i);
            if (label >= 0 && label < classes) {
                byClass.get(label).add(i);
            }
        }
        int[] needed = new int[classes];
        for (int label : labels) {
            needed[label]++;
        }
        for (int c = 0; c < classes; c++) {
            if (byClass.get(c).size() < 2 * needed[c]) {
                throw new IllegalArgumentException("SampleEvaluation: " + needed[c] + " samples of class '"
                        + real.classNames().get(c) + "' need " + 2 * needed[c] + " real images of that class (two "
                        + "disjoint sets), the real data holds " + byClass.get(c).size());
            }
        }
        int[][] sets = new int[2][labels.length];
        int[] used = new int[classes];
        for (int i = 0; i < labels.length; i++) {
            List<Integer> pool = byClass.get(labels[i]);
            sets[0][i] = pool.get(used[labels[i]]);
            sets[1][i] = pool.get(needed[labels[i]] + used[labels[i]]);
            used[labels[i]]++;
        }
        return sets;
    }

    private static int[][] randomRealSets(ImageDataset real, int count) {
        if (real.size() < 2 * count) {
            throw new IllegalArgumentException("SampleEvaluation: " + count + " samples need " + 2 * count
                    + " real images (two disjoint sets), the real data holds " + real.size());
        }
        int[] order = permutation(real.size());
        return new int[][] {java.util.Arrays.copyOfRange(order, 0, count),
                java.util.Arrays.copyOfRange(order, count, 2 * count)};
    }

    private static int[] permutation(int n) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        SplittableRandom random = new SplittableRandom(REAL_SET_SEED);
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    /** Whether the samples were generated for given classes (so {@link #accuracy()} is defined). */
    public boolean conditional() {
        int total = 0;
        for (int r : requestedPerClass) {
            total += r;
        }
        return total > 0;
    }

    /** The share of samples recognised as their requested class; NaN for unconditional samples. */
    public double accuracy() {
        int requested = 0;
        int recognised = 0;
        for (int c = 0; c < requestedPerClass.length; c++) {
            requested += requestedPerClass[c];
            recognised += recognisedPerClass[c];
        }
        return requested == 0 ? Double.NaN : (double) recognised / requested;
    }

    /** distance / floor: 1 is as close to the real images as another real set; the target is ≤ 3. */
    public double ratio() {
        return distance / floor;
    }

    /** A report for a terminal. */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "Sample evaluation: %d generated images against 2 x %d held-out real "
                + "images (%d-d classifier features)%n", samples, samples, GlyphClassifier.FEATURES));
        if (conditional()) {
            int recognised = 0;
            for (int r : recognisedPerClass) {
                recognised += r;
            }
            s.append(String.format(Locale.ROOT, "  recognised as the requested class  %6.1f%%  (%d of %d)%n",
                    100 * accuracy(), recognised, samples));
            s.append("    per class:");
            for (int c = 0; c < classNames.size(); c++) {
                if (requestedPerClass[c] > 0) {
                    s.append(String.format(Locale.ROOT, "  %s %.0f%%", classNames.get(c),
                            100.0 * recognisedPerClass[c] / requestedPerClass[c]));
                }
            }
            s.append(System.lineSeparator());
        } else {
            s.append("  recognised as the requested class  n/a (unconditional samples)").append(System.lineSeparator());
        }
        s.append(String.format(Locale.ROOT, "  FID-style distance, generated vs real  %10.3f%n", distance));
        s.append(String.format(Locale.ROOT, "  floor, real vs real (disjoint sets)    %10.3f%n", floor));
        s.append(String.format(Locale.ROOT, "  ratio to the floor                     %10.2fx", ratio()));
        return s.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SampleEvaluation e && samples == e.samples && classNames.equals(e.classNames)
                && java.util.Arrays.equals(requestedPerClass, e.requestedPerClass)
                && java.util.Arrays.equals(recognisedPerClass, e.recognisedPerClass)
                && Double.compare(distance, e.distance) == 0 && Double.compare(floor, e.floor) == 0;
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(samples, classNames, java.util.Arrays.hashCode(requestedPerClass),
                java.util.Arrays.hashCode(recognisedPerClass), distance, floor);
    }

    /** Accessors return copies, so the record stays immutable. */
    @Override
    public int[] requestedPerClass() {
        return requestedPerClass.clone();
    }

    @Override
    public int[] recognisedPerClass() {
        return recognisedPerClass.clone();
    }
}
