package dev.panamax.models.regression;

import dev.panamax.engine.Backend;
import dev.panamax.engine.Tensor;
import dev.panamax.engine.Transpose;
import dev.panamax.engine.parallel.WorkerPool;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Everything the normal equations need, from <em>one</em> streaming pass over the caller's {@code double[][]}
 * rows: the feature means and variances, the centered cross-product matrix {@code X̃ᵀX̃}, the vector
 * {@code X̃ᵀỹ} and the target's mean (a tilde means "minus the column mean").
 *
 * <p><b>Why one pass, and no big float copy.</b> A 1,000,000 × 64 fit is a 512 MB input; its Gram matrix costs
 * 8.4 GFLOP as a GEMM, a quarter of a second. Converting the whole input to a float32 tensor first (after a pass
 * for the means) streamed the input twice and wrote and re-read a 256 MB copy, which together cost more than the
 * GEMM. Here the rows are taken in blocks of {@link #blockRows} (a float block of about 256 KiB, which stays in
 * the core's L2 cache): the backend's {@link Backend#centerRows} converts each block into a per-part float buffer
 * while it takes the exact double sums, and the engine's SYRK (the GEMM that skips the upper triangle, about half
 * the work) forms the block's {@code ZᵀZ} straight from that cache-resident buffer. Block Grams are summed in double, so float32
 * accumulates over at most one block.
 *
 * <p><b>Centering without a first pass.</b> Float32 keeps about 7 digits; cross products of raw columns with mean
 * 500 and spread 5 would lose four of them to the means. The means are not known before the pass, so each column
 * is shifted by a provisional center (the mean of the first {@value #PROBE_ROWS} rows) and divided by their
 * spread: the block values {@code z = (x − shift)/spread} are then of order one. The exact centered products
 * follow in double: {@code Σx̃ⱼx̃ₖ = Σdⱼdₖ − (Σdⱼ)(Σdₖ)/n} with {@code d = x − shift}, where the correction is
 * small because the provisional center is close to the mean. The diagonal, the means and {@code X̃ᵀỹ} are summed
 * in double directly; only the off-diagonal products carry float32 rounding, which the refinement step of
 * {@link NormalEquations} removes.
 *
 * <p><b>Determinism and threads.</b> The rows are split into a fixed number of parts (at most
 * {@value #MAX_PARTS}, independent of the thread count; fewer for wide data), which the shared worker pool's threads claim; each part
 * has its own buffers and sums, and the parts are added in order. The SYRK inside a part runs on the thread that
 * claimed it (a pool job nested in a job runs inline), so the result is the same for any number of threads.
 */
final class CrossProducts {

    /** Rows used for the provisional center and spread. */
    static final int PROBE_ROWS = 256;
    /** Floats per block buffer: 256 KiB, half of a small L2, leaving room for the GEMM's packed panels. */
    private static final int BLOCK_FLOATS = 1 << 16;
    private static final int MIN_BLOCK_ROWS = 256;
    private static final int MAX_PARTS = 16;
    /** Memory for the parts' private Grams: 16 parts up to ~600 features, one part from ~2,400. */
    private static final long PART_GRAM_BUDGET_BYTES = 64L << 20;
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;

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
     * Block height for {@code features} columns: about {@link #BLOCK_FLOATS} floats, a multiple of 8 rows, and at
     * least {@value #MIN_BLOCK_ROWS} rows, since each block's SYRK also reads and writes its d × d result.
     */
    static int blockRows(int features) {
        return Math.max(MIN_BLOCK_ROWS, BLOCK_FLOATS / features / 8 * 8);
    }

    /**
     * The one pass over {@code x} (rectangular, at least one row; its values are not checked here, see
     * {@link #isFinite}) and {@code y}.
     */
    static CrossProducts of(Backend backend, double[][] x, double[] y) {
        int n = x.length;
        int d = x[0].length;
        double[] shift = new double[d + 1];          // the target's provisional center is the last entry
        double[] inverseSpread = new double[d];
        provisionalCenter(x, y, shift, inverseSpread);

        int block = blockRows(d);
        int blocks = (n + block - 1) / block;
        // Each part keeps a d × d Gram (float and double): wide data gets fewer parts, down to one, whose SYRK then
        // runs as a top-level call and uses the whole pool itself.
        long gramBytes = 12L * d * d;
        int parts = (int) Math.max(1, Math.min(Math.min(MAX_PARTS, blocks), PART_GRAM_BUDGET_BYTES / gramBytes));
        PartSums[] sums = new PartSums[parts];
        try (Arena arena = Arena.ofShared()) {
            for (int p = 0; p < parts; p++) {
                sums[p] = new PartSums(d, Tensor.zeros(arena, block, d), Tensor.zeros(arena, d, d));
            }
            WorkerPool.shared().run(parts, p -> {
                int firstBlock = (int) ((long) blocks * p / parts);
                int endBlock = (int) ((long) blocks * (p + 1) / parts);
                for (int b = firstBlock; b < endBlock; b++) {
                    int from = b * block;
                    int to = Math.min(n, from + block);
                    sums[p].add(backend, x, y, from, to, shift, inverseSpread);
                }
            });
        }
        return combine(n, d, sums, shift, inverseSpread);
    }

    /** Sums the parts in order and turns the shifted sums into centered ones. */
    private static CrossProducts combine(int n, int d, PartSums[] parts, double[] shift, double[] inverseSpread) {
        double[] s1 = new double[d];
        double[] s2 = new double[d];
        double[] sxy = new double[d];
        double[] blockGram = new double[d * d];
        double y1 = 0;
        for (PartSums part : parts) {
            for (int j = 0; j < d; j++) {
                s1[j] += part.sum[j];
                s2[j] += part.squares[j];
                sxy[j] += part.crossTarget[j];
            }
            for (int i = 0; i < d * d; i++) {
                blockGram[i] += part.gram[i];
            }
            y1 += part.targetSum;
        }
        double[] means = new double[d];
        double[] deviations = new double[d];
        double[][] gram = new double[d][d];
        double[] crossTarget = new double[d];
        for (int j = 0; j < d; j++) {
            means[j] = shift[j] + s1[j] / n;
            double centeredSquares = Math.max(0, s2[j] - s1[j] * s1[j] / n);
            deviations[j] = Math.sqrt(centeredSquares / n);
            crossTarget[j] = sxy[j] - s1[j] * y1 / n;
            for (int k = 0; k < j; k++) {
                // Undo the block scaling (z = d·inverseSpread), then center.
                double shifted = blockGram[j * d + k] / (inverseSpread[j] * inverseSpread[k]);
                gram[j][k] = shifted - s1[j] * s1[k] / n;
                gram[k][j] = gram[j][k];
            }
            gram[j][j] = centeredSquares;
        }
        double targetMean = shift[d] + y1 / n;
        return new CrossProducts(means, deviations, gram, crossTarget, targetMean);
    }

    /**
     * The mean and spread of the first {@link #PROBE_ROWS} rows: a center within a few standard errors of the
     * true mean, and a scale that makes the block values of order one (1 for a column constant over the probe).
     */
    private static void provisionalCenter(double[][] x, double[] y, double[] shift, double[] inverseSpread) {
        int d = x[0].length;
        int probe = Math.min(PROBE_ROWS, x.length);
        for (int i = 0; i < probe; i++) {
            for (int j = 0; j < d; j++) {
                shift[j] += x[i][j] / probe;
            }
            shift[d] += y[i] / probe;
        }
        for (int j = 0; j < d; j++) {
            double squares = 0;
            for (int i = 0; i < probe; i++) {
                double v = x[i][j] - shift[j];
                squares += v * v;
            }
            double spread = Math.sqrt(squares / probe);
            inverseSpread[j] = spread > 0 ? 1 / spread : 1;
        }
    }

    /** One part's buffers and running sums (all of {@code d = x − shift}, in double unless said otherwise). */
    private static final class PartSums {
        final Tensor block;
        final Tensor blockGram;
        final double[] sum;
        final double[] squares;
        final double[] crossTarget;
        /** Σ over blocks of the float32 block Gram {@code ZᵀZ}, in double (lower triangle). */
        final double[] gram;
        double targetSum;

        PartSums(int d, Tensor block, Tensor blockGram) {
            this.block = block;
            this.blockGram = blockGram;
            this.sum = new double[d];
            this.squares = new double[d];
            this.crossTarget = new double[d];
            this.gram = new double[d * d];
        }

        /** Converts rows {@code [from, to)} into the block tensor, takes their sums, and adds their block Gram. */
        void add(Backend backend, double[][] x, double[] y, int from, int to, double[] shift, double[] inverse) {
            int d = sum.length;
            targetSum += backend.centerRows(x, y, from, to, shift, inverse, block, sum, squares, crossTarget);
            int count = to - from;
            // ZᵀZ is symmetric: SYRK forms its lower triangle only, about half the GEMM's multiply-adds.
            backend.syrk(Transpose.T, d, count, 1f, block, 0, d, 0f, blockGram, 0, d);
            MemorySegment g = blockGram.segment();
            for (int j = 0; j < d; j++) {
                for (int k = 0; k <= j; k++) {
                    gram[j * d + k] += g.getAtIndex(FLOAT, (long) j * d + k);
                }
            }
        }
    }
}
