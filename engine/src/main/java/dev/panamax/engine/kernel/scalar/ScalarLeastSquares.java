package dev.panamax.engine.kernel.scalar;

/**
 * The two double-precision streaming passes of a least-squares fit over the caller's heap rows
 * {@code x[i][0..d)} and targets {@code y[i]}, as plain loops: the reference for the SIMD kernels.
 *
 * <ul>
 *   <li>{@link #crossProducts}: shifts rows by a center and adds up everything the normal equations need, the
 *       Gram matrix {@code Σ vvᵀ} included;</li>
 *   <li>{@link #residualGradient}: the gradient {@code Σ (xᵢ − means)·rᵢ} of the residuals of a fitted model, for
 *       iterative refinement.</li>
 * </ul>
 */
public final class ScalarLeastSquares {

    private ScalarLeastSquares() {
    }

    /**
     * For the rows {@code i} in {@code [from, to)}, with {@code v = x[i][0..d) − center[0..d)} (d =
     * {@code sum.length}) and {@code t = y[i] − center[d]}: adds v to {@code sum}, v·t to {@code crossTarget} and
     * the lower triangle of v·vᵀ to {@code gram} (row-major d × d: {@code gram[j·d + k]} for {@code k <= j}; the
     * entries above the diagonal are not touched). Returns Σt.
     */
    public static double crossProducts(double[][] x, double[] y, int from, int to, double[] center, double[] gram,
                                       double[] sum, double[] crossTarget) {
        int d = sum.length;
        double[] v = new double[d];
        double targetSum = 0;
        for (int i = from; i < to; i++) {
            double[] row = x[i];
            double t = y[i] - center[d];
            targetSum += t;
            for (int j = 0; j < d; j++) {
                v[j] = row[j] - center[j];
                sum[j] += v[j];
                crossTarget[j] += v[j] * t;
            }
            for (int j = 0; j < d; j++) {
                for (int k = 0; k <= j; k++) {
                    gram[j * d + k] += v[j] * v[k];
                }
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
