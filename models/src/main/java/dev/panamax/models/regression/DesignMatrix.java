package dev.panamax.models.regression;

import dev.panamax.engine.Tensor;
import dev.panamax.engine.parallel.WorkerPool;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The features as the engine sees them: a float32 {@link Tensor} of {@code rows × features}, row-major, optionally
 * centered and scaled per column, with the caller's double rows kept beside it for work that needs doubles.
 *
 * <p>Why center and scale: float32 keeps about 7 digits. A column with mean 500 and spread 5 loses 4 of them
 * when XᵀX is formed from raw values (the information is in the small deviations, the sums are dominated by the
 * mean); after centering the entries of XᵀX are covariances of comparable size, and the float error becomes a
 * small relative error. (The closed-form fit does not use this class: {@link CrossProducts} streams the rows
 * without a full float copy.)
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
    final double[] means;
    final double[] scales;
    final Arena arena;
    final Tensor z;

    private DesignMatrix(double[][] x, double[] means, double[] scales, Arena arena, Tensor z) {
        this.x = x;
        this.rows = x.length;
        this.features = means.length;
        this.means = means;
        this.scales = scales;
        this.arena = arena;
        this.z = z;
    }

    /**
     * Converts {@code x} (already validated) to float32: {@code (x - mean) / scale} per column, where the mean is
     * subtracted when {@code center} and the standard deviation divides when {@code scale} (a constant column
     * keeps scale 1).
     */
    static DesignMatrix of(double[][] x, boolean center, boolean scale) {
        int rows = x.length;
        int d = x[0].length;
        double[][] stats = columnStats(x);   // [0] = mean, [1] = standard deviation
        double[] means = new double[d];
        double[] scales = new double[d];
        for (int j = 0; j < d; j++) {
            means[j] = center ? stats[0][j] : 0;
            scales[j] = scale && stats[1][j] > 0 ? stats[1][j] : 1;
        }
        Arena arena = Arena.ofShared();
        Tensor z = Tensor.zeros(arena, rows, d);
        MemorySegment seg = z.segment();
        forEachChunk(rows, (from, to) -> {
            float[] buffer = new float[d];
            double[] inverse = new double[d];
            for (int j = 0; j < d; j++) {
                inverse[j] = 1 / scales[j];
            }
            for (int i = from; i < to; i++) {
                double[] row = x[i];
                for (int j = 0; j < d; j++) {
                    buffer[j] = (float) ((row[j] - means[j]) * inverse[j]);
                }
                MemorySegment.copy(buffer, 0, seg, FLOAT, (long) i * d * Float.BYTES, d);
            }
        });
        return new DesignMatrix(x, means, scales, arena, z);
    }

    /**
     * Column means and standard deviations (population), one pass: sums are taken relative to the first row, which
     * keeps {@code Σd² - (Σd)²/n} free of cancellation unless the first row is an extreme outlier.
     */
    private static double[][] columnStats(double[][] x) {
        int rows = x.length;
        int d = x[0].length;
        double[] shift = x[0].clone();
        int chunks = (rows + CHUNK - 1) / CHUNK;
        double[][] sums = new double[chunks][d];
        double[][] squares = new double[chunks][d];
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
            }
        });
        double[][] out = new double[2][d];
        for (int j = 0; j < d; j++) {
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
