package dev.panamax.models.regression;

import dev.panamax.engine.Backend;
import dev.panamax.engine.parallel.WorkerPool;

/**
 * Everything the normal equations need, from <em>one</em> streaming pass over the caller's {@code double[][]}
 * rows: the feature means and variances, the centered cross-product matrix {@code X̃ᵀX̃}, the vector
 * {@code X̃ᵀỹ} and the target's mean (a tilde means "minus the column mean").
 *
 * <p><b>Why one pass, in double.</b> A 1,000,000 × 64 fit is a 512 MB input; its Gram matrix costs 8.4 GFLOP as a
 * float32 GEMM. The engine's {@link Backend#crossProducts} forms the Gram matrix's lower triangle in double
 * straight from the rows (a double SYRK: half the GEMM's multiply-adds at half its lanes, so the same vector
 * work), together with the sums, reading the input once. An earlier design converted blocks of rows to float32
 * for the float GEMM; its Gram carried float rounding (1e-7 relative), which cost a second pass over the input
 * (iterative refinement in double) on every fit, and the conversion and packing cost about as much as the
 * double SYRK does now. In double, {@link NormalEquations} needs that second pass only for ill-conditioned data.
 *
 * <p><b>Centering without a first pass.</b> Cross products of raw columns with mean 500 and spread 5 lose four
 * digits to the means. The means are not known before the pass, so each column is shifted by a provisional
 * center (the mean of the first {@value #PROBE_ROWS} rows), and the exact centered products follow:
 * {@code Σx̃ⱼx̃ₖ = Σdⱼdₖ − (Σdⱼ)(Σdₖ)/n} with {@code d = x − shift}, where the correction is small because the
 * provisional center is close to the mean.
 *
 * <p><b>Determinism and threads.</b> The rows are split into a fixed number of parts (at most
 * {@value #MAX_PARTS}, independent of the thread count; fewer for wide data), which the shared worker pool's
 * threads claim; each part has its own sums, and the parts are added in order, so the result is the same for any
 * number of threads.
 */
final class CrossProducts {

    /** Rows used for the provisional center. */
    static final int PROBE_ROWS = 256;
    /** Fewest rows per part: below this, the work is too small to split. */
    private static final int MIN_PART_ROWS = 4096;
    private static final int MAX_PARTS = 16;
    /** Memory for the parts' private Grams: 16 parts up to ~700 features, two parts at least. */
    private static final long PART_GRAM_BUDGET_BYTES = 64L << 20;

    final int features;
    final double[] means;
    /** Population standard deviations (0 for a constant column). */
    final double[] deviations;
    /** {@code X̃ᵀX̃}, d × d, symmetric. */
    final double[][] gram;
    /** {@code X̃ᵀỹ}. */
    final double[] crossTarget;
    final double targetMean;

    private CrossProducts(double[] means, double[] deviations, double[][] gram, double[] crossTarget,
                          double targetMean) {
        this.features = means.length;
        this.means = means;
        this.deviations = deviations;
        this.gram = gram;
        this.crossTarget = crossTarget;
        this.targetMean = targetMean;
    }

    /** False when x held a NaN or an infinity (or values so large that their squares overflow). */
    boolean isFinite() {
        for (int j = 0; j < features; j++) {
            if (!Double.isFinite(means[j]) || !Double.isFinite(deviations[j]) || !Double.isFinite(crossTarget[j])) {
                return false;
            }
            for (int k = 0; k <= j; k++) {
                if (!Double.isFinite(gram[j][k])) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * The one pass over {@code x} (rectangular, at least one row; its values are not checked here, see
     * {@link #isFinite}) and {@code y}.
     */
    static CrossProducts of(Backend backend, double[][] x, double[] y) {
        int n = x.length;
        int d = x[0].length;
        double[] shift = provisionalCenter(x, y);
        // Each part keeps a d × d Gram: wide data gets fewer parts (two at least, so both cores work).
        long gramBytes = 8L * d * d;
        int parts = (int) Math.max(1, Math.min(rowParts(n), Math.max(2, PART_GRAM_BUDGET_BYTES / gramBytes)));
        PartSums[] sums = new PartSums[parts];
        WorkerPool.shared().run(parts, p -> {
            int from = (int) ((long) n * p / parts);
            int to = (int) ((long) n * (p + 1) / parts);
            sums[p] = new PartSums(d);
            sums[p].targetSum = backend.crossProducts(x, y, from, to, shift, sums[p].gram, sums[p].sum,
                    sums[p].crossTarget);
        });
        return combine(n, d, sums, shift);
    }

    /**
     * How many parts the passes over n rows are cut into: at most {@value #MAX_PARTS}, of at least
     * {@value #MIN_PART_ROWS} rows each; a function of n alone, so sums added part by part do not depend on the
     * thread count. {@link NormalEquations#residualGradient} cuts its pass the same way.
     */
    static int rowParts(int n) {
        return Math.max(1, Math.min(MAX_PARTS, n / MIN_PART_ROWS));
    }

    /** Sums the parts in order and turns the shifted sums into centered ones. */
    private static CrossProducts combine(int n, int d, PartSums[] parts, double[] shift) {
        double[] s1 = new double[d];
        double[] sxy = new double[d];
        double[] shiftedGram = new double[d * d];
        double y1 = 0;
        for (PartSums part : parts) {
            for (int j = 0; j < d; j++) {
                s1[j] += part.sum[j];
                sxy[j] += part.crossTarget[j];
            }
            for (int i = 0; i < d * d; i++) {
                shiftedGram[i] += part.gram[i];
            }
            y1 += part.targetSum;
        }
        double[] means = new double[d];
        double[] deviations = new double[d];
        double[][] gram = new double[d][d];
        double[] crossTarget = new double[d];
        for (int j = 0; j < d; j++) {
            means[j] = shift[j] + s1[j] / n;
            crossTarget[j] = sxy[j] - s1[j] * y1 / n;
            for (int k = 0; k < j; k++) {
                gram[j][k] = shiftedGram[j * d + k] - s1[j] * s1[k] / n;
                gram[k][j] = gram[j][k];
            }
            gram[j][j] = Math.max(0, shiftedGram[j * d + j] - s1[j] * s1[j] / n);
            deviations[j] = Math.sqrt(gram[j][j] / n);
        }
        double targetMean = shift[d] + y1 / n;
        return new CrossProducts(means, deviations, gram, crossTarget, targetMean);
    }

    /**
     * The mean of the first {@link #PROBE_ROWS} rows, the target's last: a center within a few standard errors of
     * the true mean.
     */
    private static double[] provisionalCenter(double[][] x, double[] y) {
        int d = x[0].length;
        double[] shift = new double[d + 1];
        int probe = Math.min(PROBE_ROWS, x.length);
        for (int i = 0; i < probe; i++) {
            for (int j = 0; j < d; j++) {
                shift[j] += x[i][j] / probe;
            }
            shift[d] += y[i] / probe;
        }
        return shift;
    }

    /** One part's running sums (of {@code d = x − shift}, in double). */
    private static final class PartSums {
        final double[] sum;
        final double[] crossTarget;
        /** {@code Σ ddᵀ}, lower triangle, row-major d × d. */
        final double[] gram;
        double targetSum;

        PartSums(int d) {
            this.sum = new double[d];
            this.crossTarget = new double[d];
            this.gram = new double[d * d];
        }
    }
}
