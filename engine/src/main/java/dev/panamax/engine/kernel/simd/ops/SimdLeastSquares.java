package dev.panamax.engine.kernel.simd.ops;

import dev.panamax.engine.kernel.scalar.ScalarLeastSquares;
import java.util.Arrays;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API versions of {@link ScalarLeastSquares}: the same sums in double,
 * taken a vector of columns at a time.
 *
 * <p>Both passes stream a large input once (a 1,000,000 × 64 fit reads 512 MB per pass). The cross products are
 * compute-bound (a d × d Gram matrix, about d²/2 multiply-adds per row): they are a double-precision SYRK whose
 * operand is copied, a small chunk of rows at a time, into a buffer that stays in the core's cache. The residual
 * gradient is memory-bound: several rows per sweep over the columns, so that each running sum is loaded and
 * stored once per sweep, not once per row (with one row per sweep those loads and stores, not the input, bound
 * the loop). Sums are in a different order from the scalar kernel's, so results agree to double rounding, not
 * bit for bit; they do not depend on the thread count, since each call is one sequential sweep.
 */
public final class SimdLeastSquares {

    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    /** Gram rows per tile: four broadcasts serve each pair of column vectors loaded. */
    private static final int TILE_ROWS = 4;
    /** Columns per panel: two vectors. */
    private static final int PANEL = 2 * D.length();
    /** Rows of the buffer are padded to a multiple of this: whole panels, and whole tiles of Gram rows. */
    private static final int STRIDE_MULTIPLE = Math.max(PANEL, TILE_ROWS);
    /** Doubles per chunk buffer: 64 KiB, 128 rows of 64 features (measured: 2–4 KiB chunks were 10% slower). */
    private static final int CHUNK_DOUBLES = 8192;

    /** Per-thread buffers, kept between calls (a fit calls once per part of its rows, on the pool's threads). */
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private SimdLeastSquares() {
    }

    private static final class Scratch {
        /** Larger accumulators (over ~1,000 features: 8 MiB) are not kept after the call. */
        private static final int RETAINED_DOUBLES = 1 << 20;

        private double[] buffer = new double[0];
        private double[] targets = new double[0];
        private double[] accumulator = new double[0];

        /** At least {@code size} doubles; padding columns must read zero, so the buffer starts zeroed. */
        double[] buffer(int size) {
            if (buffer.length < size) {
                buffer = new double[size];
            } else {
                Arrays.fill(buffer, 0, size, 0);    // a call with another width left values in the padding
            }
            return buffer;
        }

        double[] targets(int size) {
            if (targets.length < size) {
                targets = new double[size];
            }
            return targets;
        }

        /** At least {@code size} zeros. */
        double[] accumulator(int size) {
            if (size > RETAINED_DOUBLES) {
                return new double[size];
            }
            if (accumulator.length < size) {
                accumulator = new double[size];
            } else {
                Arrays.fill(accumulator, 0, size, 0);
            }
            return accumulator;
        }
    }

    /**
     * See {@link ScalarLeastSquares#crossProducts}. The rows are taken {@link #chunkRows} at a time: a chunk is
     * copied, shifted, into a small buffer (where its sums are taken), and the buffer's Gram matrix is added to an
     * accumulator tile by tile; the buffer (64 KiB) and the accumulator stay in the core's L1 and L2 caches, so
     * only the copy reads memory. The buffer holds the chunk in column panels of {@link #PANEL} doubles, each
     * panel's rows one after the other, so a tile reads every operand at {@code r·PANEL} plus a fixed offset: a
     * constant stride, whose bounds checks the JIT hoists out of the row loop.
     */
    public static double crossProducts(double[][] x, double[] y, int from, int to, double[] center, double[] gram,
                                       double[] sum, double[] crossTarget) {
        int d = sum.length;
        // Columns padded with zeros to whole panels and tiles: no tails in the tile loops, and the padding's
        // products are zeros that are never read back.
        int width = (d + STRIDE_MULTIPLE - 1) / STRIDE_MULTIPLE * STRIDE_MULTIPLE;
        int chunk = chunkRows(width);
        int panelSize = chunk * PANEL;
        Scratch scratch = SCRATCH.get();
        double[] buffer = scratch.buffer(chunk * width);
        double[] targets = scratch.targets(chunk);
        double[] accumulator = scratch.accumulator(width * width + 2 * width);
        // The sums, padded to whole panels, after the Gram in the accumulator.
        int sums = width * width;
        int crosses = sums + width;
        double targetSum = 0;
        for (int start = from; start < to; start += chunk) {
            int rows = Math.min(chunk, to - start);
            targetSum += copyShifted(x, y, start, rows, center, buffer, panelSize, targets);
            addChunkSums(buffer, rows, panelSize, width, targets, accumulator, sums, crosses);
            for (int j0 = 0; j0 < d; j0 += PANEL) {
                // Tiles start at a multiple of TILE_ROWS (which j0 is, unless vectors hold one double), so the
                // last one ends inside the padded width.
                for (int i0 = j0 / TILE_ROWS * TILE_ROWS; i0 < d; i0 += TILE_ROWS) {
                    addTile(buffer, rows, panelSize, d, width, i0, j0, accumulator);
                }
            }
        }
        for (int j = 0; j < d; j++) {
            for (int k = 0; k <= j; k++) {
                gram[j * d + k] += accumulator[j * width + k];
            }
            sum[j] += accumulator[sums + j];
            crossTarget[j] += accumulator[crosses + j];
        }
        return targetSum;
    }

    /** Rows per chunk: about {@value #CHUNK_DOUBLES} doubles, a multiple of 4 rows, 8 at least. */
    private static int chunkRows(int width) {
        return Math.max(8, CHUNK_DOUBLES / width / 4 * 4);
    }

    /** Where column {@code j} of chunk row {@code r} lives in the panel layout. */
    private static int at(int r, int j, int panelSize) {
        return j / PANEL * panelSize + r * PANEL + j % PANEL;
    }

    /**
     * Copies rows {@code [start, start + rows)} minus the center into the buffer's first rows, and their shifted
     * targets into {@code targets}. Returns the shifted targets' sum. Only loads, subtractions and stores, four
     * rows per sweep: it streams the input from memory, and four independent rows keep more loads in flight.
     */
    private static double copyShifted(double[][] x, double[] y, int start, int rows, double[] center,
                                      double[] buffer, int panelSize, double[] targets) {
        int d = center.length - 1;
        double targetSum = 0;
        int r = 0;
        for (; r + 4 <= rows; r += 4) {
            double[] row0 = x[start + r];
            double[] row1 = x[start + r + 1];
            double[] row2 = x[start + r + 2];
            double[] row3 = x[start + r + 3];
            int j = 0;
            for (int bound = D.loopBound(d); j < bound; j += D.length()) {
                DoubleVector shift = DoubleVector.fromArray(D, center, j);
                int out = at(r, j, panelSize);
                DoubleVector.fromArray(D, row0, j).sub(shift).intoArray(buffer, out);
                DoubleVector.fromArray(D, row1, j).sub(shift).intoArray(buffer, out + PANEL);
                DoubleVector.fromArray(D, row2, j).sub(shift).intoArray(buffer, out + 2 * PANEL);
                DoubleVector.fromArray(D, row3, j).sub(shift).intoArray(buffer, out + 3 * PANEL);
            }
            for (; j < d; j++) {
                int out = at(r, j, panelSize);
                buffer[out] = row0[j] - center[j];
                buffer[out + PANEL] = row1[j] - center[j];
                buffer[out + 2 * PANEL] = row2[j] - center[j];
                buffer[out + 3 * PANEL] = row3[j] - center[j];
            }
        }
        for (; r < rows; r++) {
            // The last rows, scalar (a vector loop run this rarely may never be compiled, and run boxed).
            double[] row = x[start + r];
            for (int j = 0; j < d; j++) {
                buffer[at(r, j, panelSize)] = row[j] - center[j];
            }
        }
        for (r = 0; r < rows; r++) {
            targets[r] = y[start + r] - center[d];
            targetSum += targets[r];
        }
        return targetSum;
    }

    /**
     * Adds {@code Σ v} and {@code Σ v·t} over the buffer's first {@code rows} rows, for every padded column, to
     * the accumulator's entries from {@code sum} and {@code crossTarget} on: per panel, the four running sums stay
     * in registers over the rows.
     */
    private static void addChunkSums(double[] buffer, int rows, int panelSize, int width, double[] targets,
                                     double[] accumulator, int sum, int crossTarget) {
        int lanes = D.length();
        for (int j0 = 0; j0 < width; j0 += PANEL) {
            int b = at(0, j0, panelSize);
            DoubleVector s0 = DoubleVector.zero(D);
            DoubleVector s1 = DoubleVector.zero(D);
            DoubleVector x0 = DoubleVector.zero(D);
            DoubleVector x1 = DoubleVector.zero(D);
            for (int r = 0; r < rows; r++) {
                DoubleVector v0 = DoubleVector.fromArray(D, buffer, b + r * PANEL);
                DoubleVector v1 = DoubleVector.fromArray(D, buffer, b + r * PANEL + lanes);
                DoubleVector t = DoubleVector.broadcast(D, targets[r]);
                s0 = s0.add(v0);
                s1 = s1.add(v1);
                x0 = v0.fma(t, x0);
                x1 = v1.fma(t, x1);
            }
            int s = sum + j0;
            int c = crossTarget + j0;
            DoubleVector.fromArray(D, accumulator, s).add(s0).intoArray(accumulator, s);
            DoubleVector.fromArray(D, accumulator, s + lanes).add(s1).intoArray(accumulator, s + lanes);
            DoubleVector.fromArray(D, accumulator, c).add(x0).intoArray(accumulator, c);
            DoubleVector.fromArray(D, accumulator, c + lanes).add(x1).intoArray(accumulator, c + lanes);
        }
    }

    /**
     * {@code accumulator += Σ vvᵀ} over the buffer's first {@code rows} rows for Gram rows {@code i0..i0+3} and
     * column panel {@code j0} (two vectors): a tile of {@value #TILE_ROWS} × 2 vector accumulators held in
     * registers over all the rows. A tile that reaches only into the panel's first vector (on the diagonal, or
     * past the last feature) takes that vector alone.
     */
    private static void addTile(double[] buffer, int rows, int panelSize, int d, int width, int i0, int j0,
                                double[] accumulator) {
        if (j0 + D.length() < d && i0 + TILE_ROWS - 1 >= j0 + D.length()) {
            tileTwoVectors(buffer, rows, panelSize, i0, j0, width, accumulator);
        } else {
            tileOneVector(buffer, rows, panelSize, i0, j0, width, accumulator);
        }
    }

    /** Gram rows {@code i0..i0+3} × columns {@code j0 .. j0 + 2·lanes}. */
    private static void tileTwoVectors(double[] buffer, int rows, int panelSize, int i0, int j0, int width,
                                       double[] accumulator) {
        int lanes = D.length();
        int b = at(0, j0, panelSize);
        int a0 = at(0, i0, panelSize);
        int a1 = at(0, i0 + 1, panelSize);
        int a2 = at(0, i0 + 2, panelSize);
        int a3 = at(0, i0 + 3, panelSize);
        DoubleVector c00 = DoubleVector.zero(D);
        DoubleVector c01 = DoubleVector.zero(D);
        DoubleVector c10 = DoubleVector.zero(D);
        DoubleVector c11 = DoubleVector.zero(D);
        DoubleVector c20 = DoubleVector.zero(D);
        DoubleVector c21 = DoubleVector.zero(D);
        DoubleVector c30 = DoubleVector.zero(D);
        DoubleVector c31 = DoubleVector.zero(D);
        for (int r = 0; r < rows; r++) {
            int step = r * PANEL;
            DoubleVector b0 = DoubleVector.fromArray(D, buffer, b + step);
            DoubleVector b1 = DoubleVector.fromArray(D, buffer, b + step + lanes);
            DoubleVector v0 = DoubleVector.broadcast(D, buffer[a0 + step]);
            c00 = v0.fma(b0, c00);
            c01 = v0.fma(b1, c01);
            DoubleVector v1 = DoubleVector.broadcast(D, buffer[a1 + step]);
            c10 = v1.fma(b0, c10);
            c11 = v1.fma(b1, c11);
            DoubleVector v2 = DoubleVector.broadcast(D, buffer[a2 + step]);
            c20 = v2.fma(b0, c20);
            c21 = v2.fma(b1, c21);
            DoubleVector v3 = DoubleVector.broadcast(D, buffer[a3 + step]);
            c30 = v3.fma(b0, c30);
            c31 = v3.fma(b1, c31);
        }
        int out = i0 * width + j0;
        DoubleVector.fromArray(D, accumulator, out).add(c00).intoArray(accumulator, out);
        DoubleVector.fromArray(D, accumulator, out + lanes).add(c01).intoArray(accumulator, out + lanes);
        out += width;
        DoubleVector.fromArray(D, accumulator, out).add(c10).intoArray(accumulator, out);
        DoubleVector.fromArray(D, accumulator, out + lanes).add(c11).intoArray(accumulator, out + lanes);
        out += width;
        DoubleVector.fromArray(D, accumulator, out).add(c20).intoArray(accumulator, out);
        DoubleVector.fromArray(D, accumulator, out + lanes).add(c21).intoArray(accumulator, out + lanes);
        out += width;
        DoubleVector.fromArray(D, accumulator, out).add(c30).intoArray(accumulator, out);
        DoubleVector.fromArray(D, accumulator, out + lanes).add(c31).intoArray(accumulator, out + lanes);
    }

    /** Gram rows {@code i0..i0+3} × columns {@code j0 .. j0 + lanes}. */
    private static void tileOneVector(double[] buffer, int rows, int panelSize, int i0, int j0, int width,
                                      double[] accumulator) {
        int b = at(0, j0, panelSize);
        int a0 = at(0, i0, panelSize);
        int a1 = at(0, i0 + 1, panelSize);
        int a2 = at(0, i0 + 2, panelSize);
        int a3 = at(0, i0 + 3, panelSize);
        DoubleVector c0 = DoubleVector.zero(D);
        DoubleVector c1 = DoubleVector.zero(D);
        DoubleVector c2 = DoubleVector.zero(D);
        DoubleVector c3 = DoubleVector.zero(D);
        for (int r = 0; r < rows; r++) {
            int step = r * PANEL;
            DoubleVector v = DoubleVector.fromArray(D, buffer, b + step);
            c0 = DoubleVector.broadcast(D, buffer[a0 + step]).fma(v, c0);
            c1 = DoubleVector.broadcast(D, buffer[a1 + step]).fma(v, c1);
            c2 = DoubleVector.broadcast(D, buffer[a2 + step]).fma(v, c2);
            c3 = DoubleVector.broadcast(D, buffer[a3 + step]).fma(v, c3);
        }
        int out = i0 * width + j0;
        DoubleVector.fromArray(D, accumulator, out).add(c0).intoArray(accumulator, out);
        out += width;
        DoubleVector.fromArray(D, accumulator, out).add(c1).intoArray(accumulator, out);
        out += width;
        DoubleVector.fromArray(D, accumulator, out).add(c2).intoArray(accumulator, out);
        out += width;
        DoubleVector.fromArray(D, accumulator, out).add(c3).intoArray(accumulator, out);
    }

    /** See {@link ScalarLeastSquares#residualGradient}. */
    public static void residualGradient(double[][] x, double[] y, int from, int to, double intercept,
                                        double[] coefficients, double[] means, double[] gradient) {
        int d = coefficients.length;
        int i = from;
        // Four rows per sweep: their dot products share the loads of the coefficients, and their gradient updates
        // share the load and store of the running gradient; four independent rows also keep more loads in flight.
        for (; i + 4 <= to; i += 4) {
            double[] r0 = x[i];
            double[] r1 = x[i + 1];
            double[] r2 = x[i + 2];
            double[] r3 = x[i + 3];
            DoubleVector dot0 = DoubleVector.zero(D);
            DoubleVector dot1 = DoubleVector.zero(D);
            DoubleVector dot2 = DoubleVector.zero(D);
            DoubleVector dot3 = DoubleVector.zero(D);
            int j = 0;
            for (int bound = D.loopBound(d); j < bound; j += D.length()) {
                DoubleVector c = DoubleVector.fromArray(D, coefficients, j);
                dot0 = DoubleVector.fromArray(D, r0, j).fma(c, dot0);
                dot1 = DoubleVector.fromArray(D, r1, j).fma(c, dot1);
                dot2 = DoubleVector.fromArray(D, r2, j).fma(c, dot2);
                dot3 = DoubleVector.fromArray(D, r3, j).fma(c, dot3);
            }
            double p0 = intercept + dot0.reduceLanes(VectorOperators.ADD);
            double p1 = intercept + dot1.reduceLanes(VectorOperators.ADD);
            double p2 = intercept + dot2.reduceLanes(VectorOperators.ADD);
            double p3 = intercept + dot3.reduceLanes(VectorOperators.ADD);
            for (; j < d; j++) {
                p0 += r0[j] * coefficients[j];
                p1 += r1[j] * coefficients[j];
                p2 += r2[j] * coefficients[j];
                p3 += r3[j] * coefficients[j];
            }
            addResidualGradient(r0, r1, r2, r3, y[i] - p0, y[i + 1] - p1, y[i + 2] - p2, y[i + 3] - p3, means,
                    gradient);
        }
        if (i < to) {
            // Scalar for the last rows (a vector loop run this rarely may never be compiled, and run boxed).
            ScalarLeastSquares.residualGradient(x, y, i, to, intercept, coefficients, means, gradient);
        }
    }

    /** {@code gradient += Σ (rowₖ − means)·residualₖ} over four rows. */
    private static void addResidualGradient(double[] r0, double[] r1, double[] r2, double[] r3,
                                            double e0, double e1, double e2, double e3,
                                            double[] means, double[] gradient) {
        int d = means.length;
        DoubleVector u0 = DoubleVector.broadcast(D, e0);
        DoubleVector u1 = DoubleVector.broadcast(D, e1);
        DoubleVector u2 = DoubleVector.broadcast(D, e2);
        DoubleVector u3 = DoubleVector.broadcast(D, e3);
        int j = 0;
        for (int bound = D.loopBound(d); j < bound; j += D.length()) {
            DoubleVector m = DoubleVector.fromArray(D, means, j);
            DoubleVector a = DoubleVector.fromArray(D, r0, j).sub(m).fma(u0,
                    DoubleVector.fromArray(D, r1, j).sub(m).mul(u1));
            DoubleVector b = DoubleVector.fromArray(D, r2, j).sub(m).fma(u2,
                    DoubleVector.fromArray(D, r3, j).sub(m).mul(u3));
            DoubleVector.fromArray(D, gradient, j).add(a.add(b)).intoArray(gradient, j);
        }
        for (; j < d; j++) {
            double m = means[j];
            gradient[j] += ((r0[j] - m) * e0 + (r1[j] - m) * e1) + ((r2[j] - m) * e2 + (r3[j] - m) * e3);
        }
    }
}
