package dev.panamax.engine.kernel.scalar;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The two double-precision streaming passes of a least-squares fit over the caller's heap rows
 * {@code x[i][0..d)} and targets {@code y[i]}, as plain loops: the reference for the SIMD kernels.
 *
 * <ul>
 *   <li>{@link #centerRows}: shifts a block of rows by a center, takes the exact sums the normal equations need,
 *       and writes the rows, scaled, as float32 for the Gram matrix's GEMM;</li>
 *   <li>{@link #residualGradient}: the gradient {@code Σ (xᵢ − means)·rᵢ} of the residuals of a fitted model, for
 *       iterative refinement.</li>
 * </ul>
 */
public final class ScalarLeastSquares {

    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;

    private ScalarLeastSquares() {
    }

    /**
     * For the rows {@code i} in {@code [from, to)} and columns {@code j < d} (d = {@code sum.length}), with
     * {@code v = x[i][j] − center[j]} and {@code t = y[i] − center[d]}: adds v to {@code sum[j]}, v² to
     * {@code squares[j]} and v·t to {@code crossTarget[j]}, and writes {@code (float) (v·scale[j])} to element
     * {@code (i − from)·d + j} of {@code block}. Returns Σt.
     */
    public static double centerRows(double[][] x, double[] y, int from, int to, double[] center, double[] scale,
                                    MemorySegment block, double[] sum, double[] squares, double[] crossTarget) {
        int d = sum.length;
        double targetSum = 0;
        for (int i = from; i < to; i++) {
            double[] row = x[i];
            double t = y[i] - center[d];
            targetSum += t;
            long out = (long) (i - from) * d;
            for (int j = 0; j < d; j++) {
                double v = row[j] - center[j];
                sum[j] += v;
                squares[j] += v * v;
                crossTarget[j] += v * t;
                block.setAtIndex(FLOAT, out + j, (float) (v * scale[j]));
            }
        }
        return targetSum;
    }

    /**
     * Adds {@code Σᵢ (x[i] − means)·rᵢ} over the rows {@code [from, to)} to {@code gradient}, where
     * {@code rᵢ = y[i] − intercept − x[i]·coefficients}.
     */
    public static void residualGradient(double[][] x, double[] y, int from, int to, double intercept,
                                        double[] coefficients, double[] means, double[] gradient) {
        int d = coefficients.length;
        for (int i = from; i < to; i++) {
            double[] row = x[i];
            double prediction = intercept;
            for (int j = 0; j < d; j++) {
                prediction += row[j] * coefficients[j];
            }
            double r = y[i] - prediction;
            for (int j = 0; j < d; j++) {
                gradient[j] += (row[j] - means[j]) * r;
            }
        }
    }
}
