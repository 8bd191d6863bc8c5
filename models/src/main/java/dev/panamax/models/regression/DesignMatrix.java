package dev.panamax.models.regression;

import dev.panamax.engine.Tensor;
import dev.panamax.engine.parallel.WorkerPool;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * The features as the engine sees them: a float32 {@link Tensor} of {@code rows × width}, row-major, optionally
 * centered and scaled per column, with the caller's double rows kept beside it for work that needs doubles.
 *
 * <p>Why center and scale: float32 keeps about 7 digits. A column with mean 500 and spread 5 loses 4 of them
 * when XᵀX is formed from raw values (the information is in the small deviations, the sums are dominated by the
 * mean); after centering the entries of XᵀX are covariances of comparable size, and the float error becomes a
 * small relative error that iterative refinement (see {@link NormalEquations}) removes.
 *
 * <p>The statistics and the conversion run on the shared worker pool over fixed chunks of rows, combined in chunk
 * order, so the result is the same whatever the number of threads.
 */
final class DesignMatrix implements AutoCloseable {

    private static final int CHUNK = 4096;
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;

    final double[][] x;
    final int rows;
    final int features;
    /** Columns in the tensor: the features, plus one when a target column was appended. */
    final int width;
    final double[] means;
    final double[] scales;
    /** The appended target column is {@code (y - targetMean) / targetScale}; 0 and 1 when there is none. */
    final double targetMean;
    final double targetScale;
    final Arena arena;
    final Tensor z;

    private DesignMatrix(double[][] x, int width, double[] means, double[] scales, double targetMean,
                         double targetScale, Arena arena, Tensor z) {
        this.x = x;
        this.rows = x.length;
        this.features = means.length;
        this.width = width;
        this.means = means;
        this.scales = scales;
        this.targetMean = targetMean;
        this.targetScale = targetScale;
        this.arena = arena;
        this.z = z;
    }

    /**
     * Converts {@code x} (already validated) to float32: {@code (x - mean) / scale} per column, where the mean is
     * subtracted when {@code center} and the standard deviation divides when {@code scale} (a constant column
     * keeps scale 1). With a non-null {@code target}, it is appended as the last column, centered and scaled the
     * same way, so one GEMM gives XᵀX and Xᵀy together.
     */
    static DesignMatrix of(double[][] x, boolean center, boolean scale, double[] target) {
        int rows = x.length;
        int d = x[0].length;
        int width = d + (target != null ? 1 : 0);
        double[][] stats = columnStats(x, target, width);   // [0] = mean, [1] = standard deviation
        double[] means = new double[width];
        double[] scales = new double[width];
        for (int j = 0; j < width; j++) {
            means[j] = center ? stats[0][j] : 0;
            scales[j] = scale && stats[1][j] > 0 ? stats[1][j] : 1;
        }
        Arena arena = Arena.ofShared();
        Tensor z = Tensor.zeros(arena, rows, width);
        MemorySegment seg = z.segment();
        forEachChunk(rows, (from, to) -> {
            float[] buffer = new float[width];
            double[] inverse = new double[width];
            for (int j = 0; j < width; j++) {
                inverse[j] = 1 / scales[j];
            }
            for (int i = from; i < to; i++) {
                double[] row = x[i];
                for (int j = 0; j < d; j++) {
                    buffer[j] = (float) ((row[j] - means[j]) * inverse[j]);
                }
                if (target != null) {
                    buffer[d] = (float) ((target[i] - means[d]) * inverse[d]);
                }
                MemorySegment.copy(buffer, 0, seg, FLOAT, (long) i * width * Float.BYTES, width);
            }
        });
        double[] featureMeans = Arrays.copyOf(means, d);
        double[] featureScales = Arrays.copyOf(scales, d);
        double tMean = target != null ? means[d] : 0;
        double tScale = target != null ? scales[d] : 1;
        return new DesignMatrix(x, width, featureMeans, featureScales, tMean, tScale, arena, z);
    }

    /**
     * Column means and standard deviations (population), one pass: sums are taken relative to the first row, which
     * keeps {@code Σd² - (Σd)²/n} free of cancellation unless the first row is an extreme outlier.
     */
    private static double[][] columnStats(double[][] x, double[] target, int width) {
        int rows = x.length;
        int d = x[0].length;
        double[] shift = new double[width];
        System.arraycopy(x[0], 0, shift, 0, d);
        if (target != null) {
            shift[d] = target[0];
        }
        int chunks = (rows + CHUNK - 1) / CHUNK;
        double[][] sums = new double[chunks][width];
        double[][] squares = new double[chunks][width];
        forEachChunk(rows, (from, to) -> {
            int c = from / CHUNK;
            double[] s = sums[c];
            double[] q = squares[c];
            for (int i = from; i < to; i++) {
                double[] row = x[i];
                for (int j = 0; j < d; j++) {
                    double v = row[j] - shift[j];
                    s[j] += v;
                    q[j] += v * v;
                }
                if (target != null) {
                    double v = target[i] - shift[d];
                    s[d] += v;
                    q[d] += v * v;
                }
            }
        });
        double[][] out = new double[2][width];
        for (int j = 0; j < width; j++) {
            double s = 0;
            double q = 0;
            for (int c = 0; c < chunks; c++) {
                s += sums[c][j];
                q += squares[c][j];
            }
            double meanShifted = s / rows;
            out[0][j] = shift[j] + meanShifted;
            out[1][j] = Math.sqrt(Math.max(0, q / rows - meanShifted * meanShifted));
        }
        return out;
    }

    /**
     * Residuals {@code r_i = y_i - intercept - x_i·coefficients}, computed in double from the original rows and
     * divided by {@code divisor}, written to {@code out} (float32, {@code rows} values). Returns Σ r² (undivided).
     */
    double residuals(double[] y, double intercept, double[] coefficients, double divisor, Tensor out) {
        int chunks = (rows + CHUNK - 1) / CHUNK;
        double[] squares = new double[chunks];
        MemorySegment seg = out.segment();
        double inverse = 1 / divisor;
        forEachChunk(rows, (from, to) -> {
            double q = 0;
            for (int i = from; i < to; i++) {
                double[] row = x[i];
                double r = y[i] - intercept;
                for (int j = 0; j < features; j++) {
                    r -= row[j] * coefficients[j];
                }
                q += r * r;
                seg.setAtIndex(FLOAT, i, (float) (r * inverse));
            }
            squares[from / CHUNK] = q;
        });
        double total = 0;
        for (double q : squares) {
            total += q;
        }
        return total;
    }

    /** Runs {@code body(from, to)} over fixed chunks of rows, spread over the shared worker pool. */
    static void forEachChunk(int rows, ChunkBody body) {
        int chunks = (rows + CHUNK - 1) / CHUNK;
        if (chunks == 1) {
            body.run(0, rows);
            return;
        }
        // One part per chunk: idle threads claim the next chunk, so a preempted thread delays only its own.
        WorkerPool.shared().run(chunks, c -> body.run(c * CHUNK, Math.min(rows, (c + 1) * CHUNK)));
    }

    interface ChunkBody {
        void run(int from, int to);
    }

    @Override
    public void close() {
        arena.close();
    }
}
