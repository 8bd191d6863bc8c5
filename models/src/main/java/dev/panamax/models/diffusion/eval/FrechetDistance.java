package dev.panamax.models.diffusion.eval;

/**
 * The Fréchet distance between two Gaussians fitted to two sets of feature vectors, as FID computes it on
 * Inception features (Heusel et al. 2017), here on whatever features the caller passes:
 *
 * <pre>
 *   d² = ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2·(Σ₁^½ · Σ₂ · Σ₁^½)^½)
 * </pre>
 *
 * Everything is in double. Σ₁^½ Σ₂ Σ₁^½ is symmetric positive semi-definite with the same eigenvalues as Σ₁Σ₂, so
 * the trace of its square root is the sum of the square roots of its eigenvalues (from {@link SymmetricEigen}),
 * with no non-symmetric matrix square root (scipy's {@code sqrtm}) needed. The covariance is the unbiased one
 * (divided by n − 1), as {@code numpy.cov} and the reference FID code compute it.
 */
public final class FrechetDistance {

    private FrechetDistance() {
    }

    /** A Gaussian fitted to {@code samples} feature vectors: their mean and covariance. */
    public record Gaussian(double[] mean, double[][] covariance, int samples) {

        /** The mean and unbiased covariance of the rows of {@code features} (n ≥ 2 rows of equal length). */
        public static Gaussian fit(float[][] features) {
            double[][] rows = new double[features == null ? 0 : features.length][];
            for (int i = 0; i < rows.length; i++) {
                rows[i] = new double[features[i].length];
                for (int j = 0; j < rows[i].length; j++) {
                    rows[i][j] = features[i][j];
                }
            }
            return fit(rows);
        }

        /** The mean and unbiased covariance of the rows of {@code features} (n ≥ 2 rows of equal length). */
        public static Gaussian fit(double[][] features) {
            if (features == null || features.length < 2) {
                throw new IllegalArgumentException("FrechetDistance: a Gaussian needs at least 2 feature vectors, got "
                        + (features == null ? 0 : features.length));
            }
            int n = features.length;
            int d = features[0].length;
            if (d < 1) {
                throw new IllegalArgumentException("FrechetDistance: feature vectors are empty");
            }
            double[] mean = new double[d];
            for (int i = 0; i < n; i++) {
                if (features[i].length != d) {
                    throw new IllegalArgumentException("FrechetDistance: feature vector " + i + " has "
                            + features[i].length + " values, the first has " + d);
                }
                for (int j = 0; j < d; j++) {
                    if (!Double.isFinite(features[i][j])) {
                        throw new IllegalArgumentException("FrechetDistance: feature " + j + " of vector " + i
                                + " is " + features[i][j]);
                    }
                    mean[j] += features[i][j];
                }
            }
            for (int j = 0; j < d; j++) {
                mean[j] /= n;
            }
            double[][] cov = new double[d][d];
            double[] centred = new double[d];
            for (double[] row : features) {
                for (int j = 0; j < d; j++) {
                    centred[j] = row[j] - mean[j];
                }
                for (int a = 0; a < d; a++) {
                    double ca = centred[a];
                    for (int b = a; b < d; b++) {
                        cov[a][b] += ca * centred[b];
                    }
                }
            }
            for (int a = 0; a < d; a++) {
                for (int b = a; b < d; b++) {
                    cov[a][b] /= n - 1;
                    cov[b][a] = cov[a][b];
                }
            }
            return new Gaussian(mean, cov, n);
        }

        public int dimension() {
            return mean.length;
        }
    }

    /** The distance between Gaussians fitted to the rows of {@code a} and of {@code b}. */
    public static double between(float[][] a, float[][] b) {
        return between(Gaussian.fit(a), Gaussian.fit(b));
    }

    /** The distance between Gaussians fitted to the rows of {@code a} and of {@code b}. */
    public static double between(double[][] a, double[][] b) {
        return between(Gaussian.fit(a), Gaussian.fit(b));
    }

    /**
     * d² between two Gaussians of the same dimension. Rounding can leave the exact-zero case a hair below zero;
     * the result is clamped at 0, the true minimum.
     */
    public static double between(Gaussian g1, Gaussian g2) {
        int d = g1.dimension();
        if (g2.dimension() != d) {
            throw new IllegalArgumentException("FrechetDistance: the feature sets have dimensions " + d + " and "
                    + g2.dimension());
        }
        double meanTerm = 0;
        for (int j = 0; j < d; j++) {
            double diff = g1.mean()[j] - g2.mean()[j];
            meanTerm += diff * diff;
        }
        double[][] root1 = SymmetricEigen.of(g1.covariance()).sqrtPsd();
        double[][] product = multiply(multiply(root1, g2.covariance()), root1);
        for (int i = 0; i < d; i++) {          // symmetric in exact arithmetic; remove the rounding asymmetry
            for (int k = 0; k < i; k++) {
                double mean = 0.5 * (product[i][k] + product[k][i]);
                product[i][k] = mean;
                product[k][i] = mean;
            }
        }
        double traceRoot = 0;
        for (double lambda : SymmetricEigen.of(product).values()) {
            traceRoot += Math.sqrt(Math.max(lambda, 0));
        }
        double d2 = meanTerm + trace(g1.covariance()) + trace(g2.covariance()) - 2 * traceRoot;
        return Math.max(d2, 0);
    }

    private static double trace(double[][] m) {
        double t = 0;
        for (int i = 0; i < m.length; i++) {
            t += m[i][i];
        }
        return t;
    }

    private static double[][] multiply(double[][] a, double[][] b) {
        int n = a.length;
        int k = b.length;
        int m = b[0].length;
        double[][] c = new double[n][m];
        for (int i = 0; i < n; i++) {
            for (int p = 0; p < k; p++) {
                double aip = a[i][p];
                for (int j = 0; j < m; j++) {
                    c[i][j] += aip * b[p][j];
                }
            }
        }
        return c;
    }
}
