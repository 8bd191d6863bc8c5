package dev.panamax.models.regression;

import dev.panamax.engine.Backend;
import dev.panamax.engine.Tensor;
import dev.panamax.engine.Transpose;
import java.util.List;

/**
 * The closed-form least-squares (ridge) solution: the normal equations {@code (XᵀX + D)·w = Xᵀy}, with the
 * Gram matrix formed by one float32 engine GEMM and solved by Cholesky in double.
 *
 * <p><b>Precision.</b> Float32 GEMM over many rows cannot give double-precision coefficients directly, so two
 * things make the answer agree with a double solver (numpy's lstsq) to far better than 1e-4:
 * <ol>
 *   <li>The columns are centered and scaled before the GEMM ({@link DesignMatrix}), and y is appended as one more
 *       column, so a single GEMM gives XᵀX, Xᵀy and yᵀy with every entry a covariance of order n, not a raw
 *       sum dominated by the means. The intercept then drops out of the system (it is ȳ − x̄·w) and is never
 *       regularized.</li>
 *   <li>Iterative refinement in double: the residual {@code r = y − b − X·w} is computed in double from the
 *       original rows, its gradient {@code Xᵀr} by a float GEMM (accurate relative to the now small residual),
 *       and the Cholesky factor of the float Gram solves for the correction. Each step multiplies the error by
 *       about cond(XᵀX)·1e-7, so one or two steps reach double accuracy on well-conditioned data.</li>
 * </ol>
 * Refining costs one pass over the data in double and one GEMV per step, against the GEMM's {@code d} passes.
 *
 * <p><b>Rank deficiency.</b> A feature that is (to float resolution, {@value #DEPENDENCE_TOLERANCE} of its
 * variance) a linear combination of earlier ones is dropped by the {@link Cholesky} factorization: it gets
 * coefficient 0 and the caller warns with its name. The result is then one of the many least-squares solutions
 * (the basic one), not numpy's minimum-norm one.
 */
final class NormalEquations {

    /** A column whose unexplained variance is below this fraction of its variance counts as dependent. */
    static final double DEPENDENCE_TOLERANCE = 1e-6;
    static final int MAX_REFINEMENTS = 10;
    /**
     * Refinement stops when a correction is this small relative to the coefficients: the next one would be about
     * cond·1e-7 times smaller still, down at the noise floor of the float32 Xᵀr (about 1e-10 relative on
     * well-conditioned data), and four orders below the 1e-4 agreement with numpy that is asked for.
     */
    static final double REFINED = 1e-8;

    /** Coefficients in the original units, the intercept, the dependent features dropped, refinement steps. */
    record Solution(double[] coefficients, double intercept, List<Integer> dropped, int refinements) {
    }

    /**
     * Minimizes {@code Σ(yᵢ − b − xᵢ·c)² + λ·Σⱼ (c_j·p_j)²}, where {@code p_j} is the feature's standard deviation
     * when {@code penalizeStandardized} (the penalty is on the weights of standardized features) and 1 otherwise.
     */
    static Solution solve(Backend backend, double[][] x, double[] y, double lambda, boolean penalizeStandardized) {
        int n = x.length;
        int d = x[0].length;
        try (DesignMatrix data = DesignMatrix.of(x, true, true, y)) {
            int w = data.width;
            Tensor gram = Tensor.zeros(data.arena, w, w);
            backend.gemm(Transpose.T, Transpose.N, w, w, n, 1f, data.z, 0, w, data.z, 0, w, 0f, gram, 0, w);
            float[] g = gram.toArray();
            // In scaled units (u_j = c_j·s_j/s_y) the penalty λ·(c_j·p_j)² becomes λ·(p_j/s_j)²·u_j².
            double[][] a = new double[d][d];
            double[] b = new double[d];
            double[] penalty = new double[d];
            for (int i = 0; i < d; i++) {
                for (int j = 0; j <= i; j++) {
                    a[i][j] = g[i * w + j];
                }
                b[i] = g[i * w + d];
                penalty[i] = penalizeStandardized ? lambda : lambda / (data.scales[i] * data.scales[i]);
                a[i][i] += penalty[i];
            }
            Cholesky cholesky = Cholesky.factor(a, DEPENDENCE_TOLERANCE);
            double[] u = cholesky.solve(b);

            Tensor residual = Tensor.zeros(data.arena, n, 1);
            Tensor gradient = Tensor.zeros(data.arena, d, 1);
            double[] c = new double[d];
            double intercept = 0;
            double previous = Double.POSITIVE_INFINITY;
            int refinements = 0;
            while (true) {
                intercept = toOriginalUnits(data, u, c);
                if (refinements == MAX_REFINEMENTS) {
                    break;
                }
                data.residuals(y, intercept, c, data.targetScale, residual);
                backend.gemm(Transpose.T, Transpose.N, d, 1, n, 1f, data.z, 0, w, residual, 0, 1, 0f, gradient, 0, 1);
                float[] xr = gradient.toArray();
                double[] rho = new double[d];
                for (int j = 0; j < d; j++) {
                    rho[j] = cholesky.isDropped(j) ? 0 : xr[j] - penalty[j] * u[j];
                }
                double[] delta = cholesky.solve(rho);
                double step = 0;
                double size = 0;
                for (int j = 0; j < d; j++) {
                    u[j] += delta[j];
                    step += delta[j] * delta[j];
                    size += u[j] * u[j];
                }
                refinements++;
                step = Math.sqrt(step);
                // Done when the correction is negligible, or no longer shrinking (the float GEMM's noise floor).
                if (step <= REFINED * Math.sqrt(size) || step > 0.5 * previous) {
                    intercept = toOriginalUnits(data, u, c);
                    break;
                }
                previous = step;
            }
            return new Solution(c, intercept, cholesky.droppedColumns(), refinements);
        }
    }

    /** Writes the original-unit coefficients of scaled solution {@code u} to {@code c}; returns the intercept. */
    private static double toOriginalUnits(DesignMatrix data, double[] u, double[] c) {
        double intercept = data.targetMean;
        for (int j = 0; j < c.length; j++) {
            c[j] = u[j] * data.targetScale / data.scales[j];
            intercept -= c[j] * data.means[j];
        }
        return intercept;
    }
}
