package dev.panamax.models.diffusion.eval;

import dev.panamax.models.diffusion.data.GlyphDataset;
import dev.panamax.models.diffusion.data.ImageBatches;
import dev.panamax.models.diffusion.data.ImageDataset;
import dev.panamax.models.regression.TrainTestSplit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

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
 * The distance of n samples is mostly finite-sample bias (about 1/n) plus noise of about 20 % (measured on glyphs:
 * 12.4 ± 2.6 between real sets of 1 000). One real set would make the floor, and so the ratio, that noisy, so
 * {@value #REAL_SETS} disjoint real sets R₁..R₃ of n images are drawn: the distance is the mean of the distances
 * from the samples to each Rₖ, the floor the mean over the pairs (Rᵢ, Rⱼ). Both are then means of three
 * n-versus-n distances, the ratio compares like with like, and a perfect generator scores about 1.
 *
 * <p>For conditional samples the real sets are class-matched: every sample of class y is paired with a real image
 * of class y in each set, so asking for only 3s compares with real 3s. Compare figures of the same sample count
 * only (the floor of 500 images is twice that of 1 000), and use 1 000 samples or more.
 *
 * @param samples               how many images were generated
 * @param classNames            the classifier's classes
 * @param requestedPerClass     samples requested per class (all zero for unconditional samples)
 * @param recognisedPerClass    of those, how many the classifier recognised as the requested class
 * @param distancesToRealSets   Fréchet distance from the samples to each real set
 * @param realPairDistances     Fréchet distance between each pair of real sets
 */
public record SampleEvaluation(int samples, List<String> classNames, int[] requestedPerClass,
                               int[] recognisedPerClass, double[] distancesToRealSets, double[] realPairDistances) {

    /** How many disjoint real sets of the sample count are drawn (so the held-out data needs this many times it). */
    public static final int REAL_SETS = 3;
    /** Which real images are drawn for the real sets; fixed, so evaluations of two models are comparable. */
    private static final long REAL_SET_SEED = 0x5EED;
    /**
     * The seed of the held-out glyphs {@link #againstGlyphs} draws: apart from the classifier's training and
     * held-out seeds, so the judge never saw these images.
     */
    public static final long HELD_OUT_GLYPH_SEED = 20_251_108;

    public SampleEvaluation {
        classNames = List.copyOf(classNames);
        requestedPerClass = requestedPerClass.clone();
        recognisedPerClass = recognisedPerClass.clone();
        distancesToRealSets = distancesToRealSets.clone();
        realPairDistances = realPairDistances.clone();
    }

    /**
     * Evaluates {@code count} generated images ({@code generated}: image i at i·C·H·W, values in [-1, 1]; values
     * outside are clipped as an image file would) against {@code heldOut} real images, which must hold at least
     * {@value #REAL_SETS}·count images ({@value #REAL_SETS}× each requested class's count for conditional samples;
     * {@link #heldOutImagesNeeded} says how many a balanced labelled dataset needs).
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
            realSets = classMatchedRealSets(heldOut, requestedLabels);
            int[] predicted = classifier.predict(samples, count);
            for (int i = 0; i < count; i++) {
                requested[requestedLabels[i]]++;
                recognised[requestedLabels[i]] += predicted[i] == requestedLabels[i] ? 1 : 0;
            }
        } else {
            realSets = randomRealSets(heldOut, count);
        }
        FrechetDistance.Gaussian generatedFit = FrechetDistance.Gaussian.fit(classifier.features(samples, count));
        FrechetDistance.Gaussian[] realFits = new FrechetDistance.Gaussian[REAL_SETS];
        double[] toReal = new double[REAL_SETS];
        for (int k = 0; k < REAL_SETS; k++) {
            realFits[k] = FrechetDistance.Gaussian.fit(
                    classifier.features(ImageBatches.gather(heldOut, realSets[k]), count));
            toReal[k] = FrechetDistance.between(generatedFit, realFits[k]);
        }
        double[] pairs = new double[REAL_SETS * (REAL_SETS - 1) / 2];
        int p = 0;
        for (int i = 0; i < REAL_SETS; i++) {
            for (int j = i + 1; j < REAL_SETS; j++) {
                pairs[p++] = FrechetDistance.between(realFits[i], realFits[j]);
            }
        }
        return new SampleEvaluation(count, classifier.classNames(), requested, recognised, toReal, pairs);
    }

    /**
     * How many images a labelled held-out dataset with balanced classes (as {@link GlyphDataset} makes) must hold
     * for {@link #evaluate}: enough that every class has {@value #REAL_SETS}× its most requested count
     * ({@value #REAL_SETS}·count for unconditional samples, labels null).
     */
    public static int heldOutImagesNeeded(int[] requestedLabels, int count, int classes) {
        if (requestedLabels == null) {
            return Math.multiplyExact(REAL_SETS, count);
        }
        int[] perClass = new int[classes];
        int most = 0;
        for (int label : requestedLabels) {
            if (label >= 0 && label < classes) {
                most = Math.max(most, ++perClass[label]);
            }
        }
        // Balanced labels give each class total/classes, rounded down, or one more: one spare per class covers it.
        return Math.multiplyExact(classes, Math.addExact(Math.multiplyExact(REAL_SETS, most), 1));
    }

    /**
     * {@link #evaluate} against fresh held-out glyphs (seed {@link #HELD_OUT_GLYPH_SEED}) of the classifier's size
     * and glyph set, as many as the requested classes need. The usual call after sampling from a model trained on
     * {@link GlyphDataset}.
     */
    public static SampleEvaluation againstGlyphs(float[] generated, int[] requestedLabels, int count,
                                                 GlyphClassifier classifier) {
        int classes = classifier.classNames().size();
        GlyphDataset.Glyphs glyphs = null;
        for (GlyphDataset.Glyphs g : GlyphDataset.Glyphs.values()) {
            if (g.classes() == classes) {
                glyphs = g;
            }
        }
        if (glyphs == null || classifier.channels() != 1) {
            throw new IllegalArgumentException("SampleEvaluation.againstGlyphs: the classifier (" + classifier.channels()
                    + " channels, " + classes + " classes) was not trained on glyphs; use evaluate with your own "
                    + "held-out images");
        }
        long real = heldOutImagesNeeded(requestedLabels, count, classes);
        if (real > 2_000_000) {
            throw new IllegalArgumentException("SampleEvaluation.againstGlyphs: " + count + " samples would need "
                    + real + " real glyphs; evaluate fewer samples");
        }
        GlyphDataset heldOut = GlyphDataset.generate((int) real, classifier.imageSize(), HELD_OUT_GLYPH_SEED, glyphs);
        return evaluate(generated, requestedLabels, count, heldOut, classifier);
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

    /** {@value #REAL_SETS} disjoint sets of real indices; entry i of each has the class of sample i. */
    private static int[][] classMatchedRealSets(ImageDataset real, int[] labels) {
        int classes = real.classes();
        List<List<Integer>> byClass = new ArrayList<>();
        for (int c = 0; c < classes; c++) {
            byClass.add(new ArrayList<>());
        }
        for (int i : TrainTestSplit.shuffled(real.size(), REAL_SET_SEED)) {
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
            if (byClass.get(c).size() < REAL_SETS * needed[c]) {
                throw new IllegalArgumentException("SampleEvaluation: " + needed[c] + " samples of class '"
                        + real.classNames().get(c) + "' need " + REAL_SETS * needed[c] + " real images of that class ("
                        + REAL_SETS + " disjoint sets), the real data holds " + byClass.get(c).size());
            }
        }
        int[][] sets = new int[REAL_SETS][labels.length];
        int[] used = new int[classes];
        for (int i = 0; i < labels.length; i++) {
            int label = labels[i];
            for (int k = 0; k < REAL_SETS; k++) {
                sets[k][i] = byClass.get(label).get(k * needed[label] + used[label]);
            }
            used[label]++;
        }
        return sets;
    }

    private static int[][] randomRealSets(ImageDataset real, int count) {
        if (real.size() < (long) REAL_SETS * count) {
            throw new IllegalArgumentException("SampleEvaluation: " + count + " samples need " + REAL_SETS * count
                    + " real images (" + REAL_SETS + " disjoint sets), the real data holds " + real.size());
        }
        int[] order = TrainTestSplit.shuffled(real.size(), REAL_SET_SEED);
        int[][] sets = new int[REAL_SETS][];
        for (int k = 0; k < REAL_SETS; k++) {
            sets[k] = java.util.Arrays.copyOfRange(order, k * count, (k + 1) * count);
        }
        return sets;
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

    /** The mean distance from the samples to the real sets. */
    public double distance() {
        return mean(distancesToRealSets);
    }

    /** The mean distance between two disjoint real sets of the sample count: what a perfect generator scores. */
    public double floor() {
        return mean(realPairDistances);
    }

    /** distance / floor: 1 is as close to the real images as another real set; the target is ≤ 3. */
    public double ratio() {
        return distance() / floor();
    }

    private static double mean(double[] values) {
        double sum = 0;
        for (double v : values) {
            sum += v;
        }
        return sum / values.length;
    }

    /** A report for a terminal. */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "Sample evaluation: %d generated images against %d disjoint sets of %d "
                + "held-out real images (%d-d classifier features)%n", samples, REAL_SETS, samples,
                GlyphClassifier.FEATURES));
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
        s.append(String.format(Locale.ROOT, "  FID-style distance, generated vs real  %10.3f  %s%n", distance(),
                range(distancesToRealSets)));
        s.append(String.format(Locale.ROOT, "  floor, real vs real (disjoint sets)    %10.3f  %s%n", floor(),
                range(realPairDistances)));
        s.append(String.format(Locale.ROOT, "  ratio to the floor                     %10.2fx", ratio()));
        return s.toString();
    }

    /** "(3 values: 9.1 .. 14.2)". */
    private static String range(double[] values) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (double v : values) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        return String.format(Locale.ROOT, "(mean of %d: %.3f .. %.3f)", values.length, lo, hi);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SampleEvaluation e && samples == e.samples && classNames.equals(e.classNames)
                && java.util.Arrays.equals(requestedPerClass, e.requestedPerClass)
                && java.util.Arrays.equals(recognisedPerClass, e.recognisedPerClass)
                && java.util.Arrays.equals(distancesToRealSets, e.distancesToRealSets)
                && java.util.Arrays.equals(realPairDistances, e.realPairDistances);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(samples, classNames, java.util.Arrays.hashCode(requestedPerClass),
                java.util.Arrays.hashCode(recognisedPerClass), java.util.Arrays.hashCode(distancesToRealSets),
                java.util.Arrays.hashCode(realPairDistances));
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

    @Override
    public double[] distancesToRealSets() {
        return distancesToRealSets.clone();
    }

    @Override
    public double[] realPairDistances() {
        return realPairDistances.clone();
    }
}
