package dev.panamax.models.regression;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LogisticRegressionTest {

    /** Two overlapping Gaussian classes (or K), centers spread along a few directions, with offsets. */
    static double[][] blobs(long seed, int rows, int classes, int[] labels) {
        SplittableRandom random = new SplittableRandom(seed);
        double[][] x = new double[rows][3];
        for (int i = 0; i < rows; i++) {
            int c = random.nextInt(classes);
            labels[i] = c;
            x[i][0] = 50 + 10 * c + 12 * random.nextGaussian();
            x[i][1] = -20 + 4 * (c % 2) + 5 * random.nextGaussian();
            x[i][2] = 0.5 * x[i][0] + 3 * random.nextGaussian();
        }
        return x;
    }

    /** Mean binary cross-entropy + λ‖w‖²/n of the model (w, b), in double. */
    static double binaryLoss(double[][] x, int[] y, double[] w, double b, double lambda) {
        double s = 0;
        for (int i = 0; i < x.length; i++) {
            double z = b;
            for (int j = 0; j < w.length; j++) {
                z += w[j] * x[i][j];
            }
            s += LinearObjective.softplus(z) - y[i] * z;
        }
        double penalty = 0;
        for (double v : w) {
            penalty += v * v;
        }
        return (s + lambda * penalty) / x.length;
    }

    /** The exact optimum by Newton's method in double (Gaussian elimination on the Hessian). */
    static double[] newton(double[][] x, int[] y, double lambda) {
        int n = x.length;
        int d = x[0].length;
        double[] theta = new double[d + 1];                     // w..., b
        for (int it = 0; it < 100; it++) {
            double[] g = new double[d + 1];
            double[][] h = new double[d + 1][d + 2];
            for (int i = 0; i < n; i++) {
                double[] a = java.util.Arrays.copyOf(x[i], d + 1);
                a[d] = 1;
                double z = 0;
                for (int j = 0; j <= d; j++) {
                    z += theta[j] * a[j];
                }
                double p = LinearObjective.sigmoid(z);
                for (int j = 0; j <= d; j++) {
                    g[j] += (p - y[i]) * a[j] / n;
                    for (int k = 0; k <= d; k++) {
                        h[j][k] += p * (1 - p) * a[j] * a[k] / n;
                    }
                }
            }
            for (int j = 0; j < d; j++) {
                g[j] += 2 * lambda * theta[j] / n;
                h[j][j] += 2 * lambda / n;
            }
            for (int j = 0; j <= d; j++) {
                h[j][d + 1] = g[j];
            }
            double[] step = solve(h, d + 1);
            for (int j = 0; j <= d; j++) {
                theta[j] -= step[j];
            }
        }
        return theta;
    }

    private static double[] solve(double[][] a, int n) {
        for (int p = 0; p < n; p++) {
            for (int r = p + 1; r < n; r++) {
                double f = a[r][p] / a[p][p];
                for (int c = p; c <= n; c++) {
                    a[r][c] -= f * a[p][c];
                }
            }
        }
        double[] out = new double[n];
        for (int r = n - 1; r >= 0; r--) {
            double s = a[r][n];
            for (int c = r + 1; c < n; c++) {
                s -= a[r][c] * out[c];
            }
            out[r] = s / a[r][r];
        }
        return out;
    }

    @Test
    void lbfgsReachesTheExactOptimumOfTheConvexLogLoss() {
        int[] y = new int[400];
        double[][] x = blobs(1, 400, 2, y);
        for (double lambda : new double[] {0, 5}) {
            double[] best = newton(x, y, lambda);
            double optimum = binaryLoss(x, y, java.util.Arrays.copyOf(best, 3), best[3], lambda);
            LogisticRegression model = new LogisticRegression().lambda(lambda).fit(x, y);
            double loss = binaryLoss(x, y, model.coefficients()[0], model.intercepts()[0], lambda);
            assertTrue(loss - optimum < 1e-6 && loss - optimum > -1e-12,
                    "λ=" + lambda + ": loss " + loss + " vs optimum " + optimum);
            assertTrue(model.report().converged(), model.report()::toString);
        }
        // Standardizing is only a change of variables when λ = 0: the same optimum.
        double[] best = newton(x, y, 0);
        LogisticRegression standardized = new LogisticRegression().standardize(true).fit(x, y);
        double loss = binaryLoss(x, y, standardized.coefficients()[0], standardized.intercepts()[0], 0);
        assertTrue(loss - binaryLoss(x, y, java.util.Arrays.copyOf(best, 3), best[3], 0) < 1e-6);
    }

    @Test
    void gradientDescentAndAdagradApproachTheSameOptimum() {
        int[] y = new int[300];
        double[][] x = blobs(2, 300, 2, y);
        double[] best = newton(x, y, 0);
        double optimum = binaryLoss(x, y, java.util.Arrays.copyOf(best, 3), best[3], 0);
        for (LogisticRegression.Solver solver : new LogisticRegression.Solver[] {
            LogisticRegression.Solver.GRADIENT_DESCENT, LogisticRegression.Solver.ADAGRAD}) {
            LogisticRegression model = new LogisticRegression().solver(solver).standardize(true).maxIterations(5000)
                    .fit(x, y);
            double loss = binaryLoss(x, y, model.coefficients()[0], model.intercepts()[0], 0);
            assertTrue(loss - optimum < 1e-4, solver + ": " + loss + " vs " + optimum);
            double[] history = model.report().lossHistory();
            assertEquals(Math.log(2), history[0], 1e-6, "the zero model predicts 1/2 for every row");
        }
    }

    @Test
    void multinomialSoftmaxHasProbabilitiesThatSumToOneAndAFlatGradient() {
        int[] y = new int[450];
        double[][] x = blobs(3, 450, 3, y);
        double lambda = 0.5;
        LogisticRegression model = new LogisticRegression().lambda(lambda).fit(x, y);
        assertEquals(3, model.classCount());
        assertEquals(3, model.coefficients().length);
        double[][] p = model.predictProba(x);
        for (double[] row : p) {
            assertEquals(1, row[0] + row[1] + row[2], 1e-12);
        }
        // Gradient of the mean cross-entropy + λ‖W‖²/n, in double, at the fitted model.
        double[][] w = model.coefficients();
        double norm = 0;
        for (int k = 0; k < 3; k++) {
            double gb = 0;
            double[] gw = new double[3];
            for (int i = 0; i < x.length; i++) {
                double e = p[i][k] - (y[i] == k ? 1 : 0);
                gb += e / x.length;
                for (int j = 0; j < 3; j++) {
                    gw[j] += e * x[i][j] / x.length;
                }
            }
            norm += gb * gb;
            for (int j = 0; j < 3; j++) {
                gw[j] += 2 * lambda * w[k][j] / x.length;
                norm += gw[j] * gw[j];
            }
        }
        assertTrue(Math.sqrt(norm) < 1e-4, "gradient norm " + Math.sqrt(norm));
        assertTrue(model.score(x, y) > 0.6);
    }

    @Test
    void separableClassesWithoutL2GetAWarning() {
        double[][] x = {{0}, {1}, {2}, {3}, {10}, {11}, {12}, {13}};
        int[] y = {0, 0, 0, 0, 1, 1, 1, 1};
        LogisticRegression model = new LogisticRegression().fit(x, y);
        assertTrue(model.report().warnings().toString().contains("perfectly separated"),
                model.report().warnings()::toString);
        LogisticRegression ridge = new LogisticRegression().lambda(1).fit(x, y);
        assertTrue(ridge.report().warnings().isEmpty(), ridge.report().warnings()::toString);
        assertEquals(1.0, ridge.score(x, y));
    }

    @Test
    void badLabelsAndDivergingLearningRatesAreReported() {
        double[][] x = {{0}, {1}, {2}};
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> new LogisticRegression().fit(x, new int[] {0, 2, 2}));
        assertTrue(missing.getMessage().contains("class 1 has no rows"), missing.getMessage());
        IllegalArgumentException single = assertThrows(IllegalArgumentException.class,
                () -> new LogisticRegression().fit(x, new int[] {0, 0, 0}));
        assertTrue(single.getMessage().contains("at least 2 classes"), single.getMessage());
        int[] y = new int[200];
        double[][] raw = blobs(4, 200, 2, y);
        DivergenceException e = assertThrows(DivergenceException.class, () -> new LogisticRegression()
                .solver(LogisticRegression.Solver.GRADIENT_DESCENT).learningRate(1).fit(raw, y));
        assertTrue(e.getMessage().contains("learning rate 1 "), e.getMessage());
    }
}
