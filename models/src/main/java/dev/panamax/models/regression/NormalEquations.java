package dev.panamax.models.regression;

import dev.panamax.engine.Backend;
import dev.panamax.engine.parallel.WorkerPool;
import java.util.List;

/**
 * The closed-form least-squares (ridge) solution: the centered normal equations {@code (X̃ᵀX̃ + D)·c = X̃ᵀỹ},
 * formed in one streaming pass in double ({@link CrossProducts}) and solved by Cholesky in double. The intercept
 * drops out of the centered system (it is {@code ȳ − x̄·c}) and is never regularized.
 *
 * <p><b>Precision.</b> Solving the normal equations loses what their condition number {@code κ} costs: the first
 * solution's relative error is about {@code κ·ε·(d + √n)} (Cholesky's backward error and the Gram's summation,
 * ε = 2⁻⁵³), which is far below {@value #REFINED} for well-conditioned data; κ is estimated from the factor
 * ({@link Cholesky#inverseOneNormEstimate}, a few d² solves). When the estimate is above that, iterative
 * refinement follows: the residual {@code r = y − b − X·c} and its gradient {@code X̃ᵀr} are computed in double
 * from the original rows ({@link #residualGradient}, one more pass over the input each), and the Cholesky factor
 * solves for the correction. Each step shrinks the error by about the same factor θ, which the first
 * correction's relative size estimates, so after a correction of relative size {@code s} the remaining error is
 * about {@code s·θ}. Refinement stops when that is below {@value #REFINED}.
 *
 * <p><b>Rank deficiency.</b> A feature that is (to within {@value #DEPENDENCE_TOLERANCE} of its
 * variance) a linear combination of earlier ones is dropped by the {@link Cholesky} factorization: it gets
 * coefficient 0 and the caller warns with its name. The result is then one of the many least-squares solutions
 * (the basic one), not numpy's minimum-norm one.
 */
final class NormalEquations {

    /** A column whose unexplained variance is below this fraction of its variance counts as dependent. */
    static final double DEPENDENCE_TOLERANCE = 1e-6;
    static final int MAX_REFINEMENTS = 10;
    /** Refinement stops when the estimated remaining relative error of the coefficients is below this. */
    static final double REFINED = 1e-8;
    /** The unit roundoff of double. */
    private static final double EPSILON = 0x1p-53;

    /** Coefficients in the original units, the intercept, the dependent features dropped, refinement steps. */
    record Solution(double[] coefficients, double intercept, List<Integer> dropped, int refinements) {
    }

    /**
     * Minimizes {@code Σ(yᵢ − b − xᵢ·c)² + λ·Σⱼ (c_j·p_j)²}, where {@code p_j} is the feature's standard deviation
     * when {@code penalizeStandardized} (the penalty is on the weights of standardized features) and 1 otherwise.
     * {@code x}'s values are not checked beforehand: when its sums come out non-finite, {@code nameNonFiniteValue}
     * is run to throw an error that names the bad value.
     */
    static Solution solve(Backend backend, double[][] x, double[] y, double lambda, boolean penalizeStandardized,
                          Runnable nameNonFiniteValue) {
        CrossProducts sums = CrossProducts.of(backend, x, y);
        if (!sums.isFinite()) {
            // A NaN or infinite value in x makes its sums non-finite: let the caller's check name it.
            nameNonFiniteValue.run();
            throw new IllegalArgumentException("LinearRegression.fit: the sums of squares of x overflow double "
                    + "precision; rescale the features (values of order 1e150 or more)");
        }
        int d = sums.features;
        // Solve in units of standardized features (u_j = c_j·σ_j): the system is then a correlation matrix, which
        // keeps the Cholesky pivots comparable and the dependence test relative. A constant column keeps σ = 1.
        double[] scale = new double[d];
        double[] penalty = new double[d];
        for (int j = 0; j < d; j++) {
            scale[j] = sums.deviations[j] > 0 ? sums.deviations[j] : 1;
            double p = penalizeStandardized ? sums.deviations[j] : 1;
            penalty[j] = lambda * (p / scale[j]) * (p / scale[j]);
        }
        double[][] a = new double[d][d];
        double[] rhs = new double[d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j <= i; j++) {
                a[i][j] = sums.gram[i][j] / (scale[i] * scale[j]);
            }
            a[i][i] += penalty[i];
            rhs[i] = sums.crossTarget[i] / scale[i];
        }
        Cholesky cholesky = Cholesky.factor(a, DEPENDENCE_TOLERANCE);
        double[] u = cholesky.solve(rhs);
        double firstError = oneNorm(a, cholesky) * cholesky.inverseOneNormEstimate() * EPSILON
                * (d + Math.sqrt(x.length));

        double[] c = new double[d];
        double intercept = toOriginalUnits(sums, scale, u, c);
        double previous = Double.NaN;
        int refinements = 0;
        boolean refine = firstError > REFINED;
        while (refine && refinements < MAX_REFINEMENTS && norm(u) > 0) {
            double[] g = residualGradient(backend, x, y, intercept, c, sums.means);
            double[] rho = new double[d];
            for (int j = 0; j < d; j++) {
                rho[j] = cholesky.isDropped(j) ? 0 : g[j] / scale[j] - penalty[j] * u[j];
            }
            double[] delta = cholesky.solve(rho);
            for (int j = 0; j < d; j++) {
                u[j] += delta[j];
            }
            intercept = toOriginalUnits(sums, scale, u, c);
            refinements++;
            double size = norm(u);
            double step = size > 0 ? norm(delta) / size : 0;
            if (step == 0) {
                break;
            }
            // θ: the first step's size estimates it (see the class comment), later ones the observed ratio.
            boolean first = Double.isNaN(previous);
            double contraction = first ? step : step / previous;
            if (!first && contraction > 0.5) {
                break;          // no longer converging: the double residual's own noise floor
            }
            if (step * Math.min(1, contraction) <= REFINED) {
                break;
            }
            previous = step;
        }
        return new Solution(c, intercept, cholesky.droppedColumns(), refinements);
    }

    /** Writes the original-unit coefficients of the standardized solution {@code u}; returns the intercept. */
    private static double toOriginalUnits(CrossProducts sums, double[] scale, double[] u, double[] c) {
        double intercept = sums.targetMean;
        for (int j = 0; j < c.length; j++) {
            c[j] = u[j] / scale[j];
            intercept -= c[j] * sums.means[j];
        }
        return intercept;
    }

    /**
     * {@code X̃ᵀr} with {@code rᵢ = yᵢ − b − xᵢ·c}, in double from the original rows ({@link
     * Backend#residualGradient}): one pass, parallel over a fixed number of row parts added in order (so the same
     * for any thread count).
     */
    static double[] residualGradient(Backend backend, double[][] x, double[] y, double intercept, double[] c,
                                     double[] means) {
        int n = x.length;
        int d = c.length;
        int parts = CrossProducts.rowParts(n);
        double[][] partial = new double[parts][d];
        WorkerPool.shared().run(parts, p -> backend.residualGradient(x, y, (int) ((long) n * p / parts),
                (int) ((long) n * (p + 1) / parts), intercept, c, means, partial[p]));
        double[] total = new double[d];
        for (double[] g : partial) {
            for (int j = 0; j < d; j++) {
                total[j] += g[j];
            }
        }
        return total;
    }

    /** {@code ‖A‖₁} over the kept columns, from A's lower triangle. */
    private static double oneNorm(double[][] a, Cholesky cholesky) {
        int d = a.length;
        double max = 0;
        for (int j = 0; j < d; j++) {
            if (cholesky.isDropped(j)) {
                continue;
            }
            double column = 0;
            for (int i = 0; i < d; i++) {
                if (!cholesky.isDropped(i)) {
                    column += Math.abs(i >= j ? a[i][j] : a[j][i]);
                }
            }
            max = Math.max(max, column);
        }
        return max;
    }

    private static double norm(double[] v) {
        double s = 0;
        for (double e : v) {
            s += e * e;
        }
        return Math.sqrt(s);
    }
}
