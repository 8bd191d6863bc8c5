package dev.panamax.models.regression;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panamax.engine.ScalarBackend;
import dev.panamax.engine.parallel.WorkerPool;
import dev.panamax.models.regression.LinearRegression.Solver;
import java.util.List;
import org.junit.jupiter.api.Test;

class LinearRegressionTest {

    @Test
    void closedFormRecoversTheCoefficientsOfNoiselessData() {
        double[][] x = TestData.features(1, 500, 8);
        double[] w = TestData.weights(2, 8);
        double[] y = TestData.linear(x, w, 123.0, 0, 3);
        LinearRegression model = new LinearRegression().fit(x, y);
        assertTrue(TestData.relativeError(model.coefficients(), w) < 1e-10,
                () -> "relative error " + TestData.relativeError(model.coefficients(), w));
        assertEquals(123.0, model.intercept(), 1e-8);
        assertEquals(1.0, model.score(x, y), 1e-12);
        assertTrue(model.report().warnings().isEmpty(), model.report().warnings()::toString);
    }

    @Test
    void ridgeMatchesTheRegularizedNormalEquationsSolvedInDouble() {
        double[][] x = TestData.features(21, 80, 4);
        double[] y = TestData.linear(x, TestData.weights(22, 4), 5, 3, 23);
        for (boolean standardized : new boolean[] {false, true}) {
            double lambda = 250;
            LinearRegression model = new LinearRegression().lambda(lambda).standardize(standardized).fit(x, y);
            double[] expected = ridgeReference(x, y, lambda, standardized);
            // The reference is itself Gaussian elimination on the normal equations: 1e-9 leaves room for both.
            assertTrue(TestData.relativeError(model.coefficients(), expected) < 1e-9,
                    () -> "standardized=" + standardized + ": " + TestData.relativeError(model.coefficients(), expected));
            // The bias is not penalized: the fitted line passes through the means.
            double meanY = java.util.Arrays.stream(y).average().orElseThrow();
            double meanPrediction = java.util.Arrays.stream(model.predict(x)).average().orElseThrow();
            assertEquals(meanY, meanPrediction, 1e-9 * Math.abs(meanY));
        }
    }

    /** (XcᵀXc + λ·P²)⁻¹·Xcᵀyc by Gaussian elimination, with P the feature scales when standardized. */
    private static double[] ridgeReference(double[][] x, double[] y, double lambda, boolean standardized) {
        int n = x.length;
        int d = x[0].length;
        double[] mean = new double[d];
        for (double[] row : x) {
            for (int j = 0; j < d; j++) {
                mean[j] += row[j] / n;
            }
        }
        double meanY = java.util.Arrays.stream(y).average().orElseThrow();
        double[][] a = new double[d][d + 1];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                for (int k = 0; k < d; k++) {
                    a[j][k] += (x[i][j] - mean[j]) * (x[i][k] - mean[k]);
                }
                a[j][d] += (x[i][j] - mean[j]) * (y[i] - meanY);
            }
        }
        for (int j = 0; j < d; j++) {
            a[j][j] += lambda * (standardized ? a[j][j] / n : 1);
        }
        for (int p = 0; p < d; p++) {
            for (int r = p + 1; r < d; r++) {
                double f = a[r][p] / a[p][p];
                for (int c = p; c <= d; c++) {
                    a[r][c] -= f * a[p][c];
                }
            }
        }
        double[] w = new double[d];
        for (int r = d - 1; r >= 0; r--) {
            double s = a[r][d];
            for (int c = r + 1; c < d; c++) {
                s -= a[r][c] * w[c];
            }
            w[r] = s / a[r][r];
        }
        return w;
    }

    @Test
    void hugeLambdaShrinksWeightsToZeroButNotTheIntercept() {
        double[][] x = TestData.features(31, 60, 3);
        double[] y = TestData.linear(x, TestData.weights(32, 3), 1000, 1, 33);
        LinearRegression model = new LinearRegression().lambda(1e12).fit(x, y);
        for (double w : model.coefficients()) {
            assertEquals(0, w, 1e-4);
        }
        assertEquals(java.util.Arrays.stream(y).average().orElseThrow(), model.intercept(), 1e-2);
    }

    @Test
    void gradientDescentAndAdagradConvergeToTheClosedFormOnStandardizedData() {
        double[][] x = TestData.features(4, 400, 5);
        double[] y = TestData.linear(x, TestData.weights(5, 5), -7.0, 2.0, 6);
        double[] exact = new LinearRegression().fit(x, y).coefficients();
        LinearRegression gd = new LinearRegression().solver(Solver.GRADIENT_DESCENT).standardize(true).fit(x, y);
        LinearRegression adagrad = new LinearRegression().solver(Solver.ADAGRAD).standardize(true).fit(x, y);
        assertTrue(gd.report().converged() && adagrad.report().converged());
        assertTrue(TestData.relativeError(gd.coefficients(), adagrad.coefficients()) < 1e-3,
                () -> "GD vs Adagrad " + TestData.relativeError(gd.coefficients(), adagrad.coefficients()));
        assertTrue(TestData.relativeError(gd.coefficients(), exact) < 1e-3);
        assertTrue(TestData.relativeError(adagrad.coefficients(), exact) < 1e-3);
        // The loss history starts at the zero model and goes down to the least-squares loss.
        double[] history = gd.report().lossHistory();
        assertEquals(gd.report().iterations() + 1, history.length);
        assertTrue(history[history.length - 1] < history[0] / 10);
    }

    @Test
    void ridgeByGradientDescentReachesTheRidgeClosedForm() {
        double[][] x = TestData.features(41, 300, 4);
        double[] y = TestData.linear(x, TestData.weights(42, 4), 3, 5, 43);
        double[] exact = new LinearRegression().lambda(30).standardize(true).fit(x, y).coefficients();
        double[] gd = new LinearRegression().solver(Solver.GRADIENT_DESCENT).lambda(30).standardize(true).fit(x, y)
                .coefficients();
        assertTrue(TestData.relativeError(gd, exact) < 1e-3, () -> "" + TestData.relativeError(gd, exact));
    }

    @Test
    void miniBatchSgdLandsNearTheOptimum() {
        double[][] x = TestData.features(51, 2000, 3);
        double[] y = TestData.linear(x, TestData.weights(52, 3), 2, 0.5, 53);
        double[] exact = new LinearRegression().fit(x, y).coefficients();
        LinearRegression sgd = new LinearRegression().solver(Solver.SGD).standardize(true).learningRate(0.01)
                .batchSize(32).maxIterations(20).seed(7).fit(x, y);
        assertTrue(TestData.relativeError(sgd.coefficients(), exact) < 2e-2,
                () -> "" + TestData.relativeError(sgd.coefficients(), exact));
        assertEquals(20, sgd.report().iterations());
        LinearRegression again = new LinearRegression().solver(Solver.SGD).standardize(true).learningRate(0.01)
                .batchSize(32).maxIterations(20).seed(7).fit(x, y);
        assertArrayEquals(sgd.coefficients(), again.coefficients(), "same seed, same coefficients");
    }

    @Test
    void gradientDescentOnRawFeaturesNeedsATinyLearningRateAndSaysWhich() {
        double[][] x = TestData.features(7, 100, 3);
        double[] y = TestData.linear(x, TestData.weights(8, 3), 1, 0.1, 9);
        DivergenceException e = assertThrows(DivergenceException.class,
                () -> new LinearRegression().solver(Solver.GRADIENT_DESCENT).learningRate(0.01).fit(x, y));
        assertTrue(e.getMessage().contains("learning rate 0.01") && e.getMessage().contains("diverged")
                && e.getMessage().contains("standardize"), e.getMessage());
        DivergenceException sgd = assertThrows(DivergenceException.class,
                () -> new LinearRegression().solver(Solver.SGD).learningRate(1).standardize(true).fit(x, y));
        assertTrue(sgd.getMessage().contains("learning rate 1 "), sgd.getMessage());
    }

    @Test
    void aDuplicatedFeatureIsDroppedWithAWarningThatNamesIt() {
        double[][] base = TestData.features(61, 200, 2);
        double[][] x = new double[base.length][];
        for (int i = 0; i < base.length; i++) {
            x[i] = new double[] {base[i][0], base[i][1], 2 * base[i][0] - 3};
        }
        double[] y = TestData.linear(base, new double[] {1.5, -2}, 4, 0, 62);
        LinearRegression model = new LinearRegression().featureNames(List.of("a", "b", "twice a")).fit(x, y);
        assertEquals(0, model.coefficients()[2]);
        assertEquals(1.5, model.coefficients()[0], 1e-9);
        assertTrue(model.report().warnings().toString().contains("'twice a'"), model.report().warnings()::toString);
        assertEquals(1.0, model.score(x, y), 1e-12);
    }

    @Test
    void moreFeaturesThanRowsWithoutLambdaWarnsAndRidgeDoesNot() {
        double[][] x = TestData.features(71, 5, 8);
        double[] y = TestData.linear(x, TestData.weights(72, 8), 0, 1, 73);
        LinearRegression ols = new LinearRegression().fit(x, y);
        assertTrue(ols.report().warnings().getFirst().contains("8 features but only 5 rows"),
                ols.report().warnings()::toString);
        LinearRegression ridge = new LinearRegression().lambda(1).fit(x, y);
        assertTrue(ridge.report().warnings().isEmpty(), ridge.report().warnings()::toString);
    }

    @Test
    void badInputIsRejectedWithTheRowColumnOrParameter() {
        LinearRegression model = new LinearRegression().featureNames(List.of("cp", "hp"));
        IllegalArgumentException nan = assertThrows(IllegalArgumentException.class,
                () -> model.fit(new double[][] {{1, 2}, {3, Double.NaN}, {4, 5}}, new double[] {1, 2, 3}));
        assertTrue(nan.getMessage().contains("row 1") && nan.getMessage().contains("'hp'"), nan.getMessage());
        IllegalArgumentException one = assertThrows(IllegalArgumentException.class,
                () -> model.fit(new double[][] {{1, 2}}, new double[] {1}));
        assertTrue(one.getMessage().contains("1 row"), one.getMessage());
        IllegalArgumentException inf = assertThrows(IllegalArgumentException.class,
                () -> model.fit(new double[][] {{1, 2}, {3, 4}}, new double[] {1, Double.POSITIVE_INFINITY}));
        assertTrue(inf.getMessage().contains("y row 1"), inf.getMessage());
        IllegalArgumentException ragged = assertThrows(IllegalArgumentException.class,
                () -> model.fit(new double[][] {{1, 2}, {3}}, new double[] {1, 2}));
        assertTrue(ragged.getMessage().contains("row 1"), ragged.getMessage());
        IllegalArgumentException rate = assertThrows(IllegalArgumentException.class, () -> model.learningRate(-1));
        assertTrue(rate.getMessage().contains("learningRate"), rate.getMessage());
        assertThrows(IllegalArgumentException.class, () -> model.lambda(Double.NaN));
        assertThrows(IllegalStateException.class, () -> new LinearRegression().predict(new double[][] {{1}}));
        LinearRegression fitted = new LinearRegression().fit(new double[][] {{1}, {2}, {3}}, new double[] {1, 2, 4});
        IllegalArgumentException columns = assertThrows(IllegalArgumentException.class,
                () -> fitted.predict(new double[][] {{1, 2}}));
        assertTrue(columns.getMessage().contains("fitted on 1"), columns.getMessage());
    }

    /** The closed form checks x's values inside its one pass over the rows, and still names a bad one. */
    @Test
    void aNonFiniteValueDeepInALargeInputIsNamedAndHugeValuesAreRefused() {
        double[][] x = TestData.features(95, 30_000, 3);
        double[] y = TestData.linear(x, TestData.weights(96, 3), 1, 1, 97);
        x[20_123][2] = Double.NEGATIVE_INFINITY;
        LinearRegression model = new LinearRegression().featureNames(List.of("a", "b", "c"));
        IllegalArgumentException inf = assertThrows(IllegalArgumentException.class, () -> model.fit(x, y));
        assertTrue(inf.getMessage().contains("row 20123") && inf.getMessage().contains("'c'"), inf.getMessage());
        x[20_123][2] = 1e200;                     // finite, but its square overflows a double
        IllegalArgumentException huge = assertThrows(IllegalArgumentException.class, () -> model.fit(x, y));
        assertTrue(huge.getMessage().contains("overflow"), huge.getMessage());
    }

    /**
     * The one-pass Gram centers on the mean of the first rows; when those are unrepresentative (sorted data, a
     * large common offset) the uncorrected products lose digits, and the correction must still recover them.
     */
    @Test
    void sortedRowsWithALargeOffsetStillReachDoublePrecision() {
        double[][] x = TestData.features(91, 25_000, 5);
        for (double[] row : x) {
            for (int j = 0; j < row.length; j++) {
                row[j] += 1e4;
            }
        }
        java.util.Arrays.sort(x, java.util.Comparator.comparingDouble(row -> row[0]));
        double[] y = TestData.linear(x, TestData.weights(92, 5), -7, 2, 93);
        LinearRegression model = new LinearRegression().fit(x, y);
        double[] expected = ridgeReference(x, y, 0, false);
        assertTrue(TestData.relativeError(model.coefficients(), expected) < 1e-9,
                () -> "relative error " + TestData.relativeError(model.coefficients(), expected) + " after "
                        + model.report().iterations() + " refinement steps");
    }

    /**
     * Well-conditioned data is solved in one pass (no refinement). Nearly collinear features (a column that
     * repeats another up to 1.5e-3 of its spread, just inside the dependence tolerance: condition number ~1e6)
     * put the first solve's error bound above 1e-8: the condition estimate must see that and refine.
     */
    @Test
    void refinementRunsExactlyWhenTheConditionNumberAsksForIt() {
        double[][] x = TestData.features(95, 20_000, 4);
        double[] w = TestData.weights(96, 4);
        LinearRegression easy = new LinearRegression().fit(x, TestData.linear(x, w, 3, 0, 97));
        assertEquals(0, easy.report().iterations(), "refinement steps on well-conditioned data");
        assertTrue(TestData.relativeError(easy.coefficients(), w) < 1e-12,
                () -> "relative error " + TestData.relativeError(easy.coefficients(), w));

        double spread = Math.sqrt(java.util.Arrays.stream(x).mapToDouble(row -> row[0] * row[0]).average()
                .orElseThrow() - Math.pow(java.util.Arrays.stream(x).mapToDouble(row -> row[0]).average()
                .orElseThrow(), 2));
        java.util.SplittableRandom random = new java.util.SplittableRandom(98);
        for (double[] row : x) {
            row[3] = row[0] + 1.5e-3 * spread * random.nextGaussian();
        }
        LinearRegression hard = new LinearRegression().fit(x, TestData.linear(x, w, 3, 0, 97));
        assertTrue(hard.report().warnings().isEmpty(), hard.report().warnings()::toString);
        assertTrue(hard.report().iterations() >= 1, "refinement steps on ill-conditioned data");
        // Without noise the least-squares solution is w itself.
        assertTrue(TestData.relativeError(hard.coefficients(), w) < 1e-9,
                () -> "relative error " + TestData.relativeError(hard.coefficients(), w) + " after "
                        + hard.report().iterations() + " refinement steps");
    }

    @Test
    void theResultDoesNotDependOnTheThreadCountOrBackend() {
        // Seven parts of CrossProducts (~4,286 rows: chunks of 1,024 rows at this width, and a tail of 2 rows).
        double[][] x = TestData.features(81, 30_003, 6);
        double[] y = TestData.linear(x, TestData.weights(82, 6), 2, 1, 83);
        int threads = WorkerPool.shared().threads();
        try {
            WorkerPool.setSharedThreads(1);
            double[] one = new LinearRegression().fit(x, y).coefficients();
            WorkerPool.setSharedThreads(3);
            double[] three = new LinearRegression().fit(x, y).coefficients();
            assertArrayEquals(one, three);
        } finally {
            WorkerPool.setSharedThreads(threads);
        }
        double[] simd = new LinearRegression().fit(x, y).coefficients();
        double[] scalar = new LinearRegression().backend(new ScalarBackend()).fit(x, y).coefficients();
        assertTrue(TestData.relativeError(scalar, simd) < 1e-9, () -> "" + TestData.relativeError(scalar, simd));
    }
}
