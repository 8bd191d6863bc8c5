package dev.panamax.models.regression;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panamax.models.regression.GaussianGenerativeClassifier.Covariance;
import java.util.List;
import org.junit.jupiter.api.Test;

class GenerativeClassifierTest {

    @Test
    void sharedCovarianceGivesTheCoursesSigmoidOfALinearFunction() {
        int[] y = new int[300];
        double[][] x = LogisticRegressionTest.blobs(11, 300, 2, y);
        GaussianGenerativeClassifier model = new GaussianGenerativeClassifier().fit(x, y);
        double[][] w = model.linearWeights();
        double[] b = model.linearIntercepts();
        double[][] p = model.predictProba(x);
        for (int i = 0; i < x.length; i++) {
            // P(C1 | x) = σ(z), z = (w1 − w0)·x + (b1 − b0)
            double z = b[1] - b[0];
            for (int j = 0; j < 3; j++) {
                z += (w[1][j] - w[0][j]) * x[i][j];
            }
            assertEquals(LinearObjective.sigmoid(z), p[i][1], 1e-9, "row " + i);
        }
        // The course's closed form: w = Σ⁻¹(μ1 − μ0), b = −½μ1ᵀΣ⁻¹μ1 + ½μ0ᵀΣ⁻¹μ0 + ln(N1/N0).
        double[][] mu = model.means();
        double[] priors = model.priors();
        double[][] sigma = model.covariance(0);
        double[] diff = {mu[1][0] - mu[0][0], mu[1][1] - mu[0][1], mu[1][2] - mu[0][2]};
        double[] sigmaW = new double[3];
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                sigmaW[i] += sigma[i][j] * (w[1][j] - w[0][j]);
            }
            assertEquals(diff[i], sigmaW[i], 1e-9 * (1 + Math.abs(diff[i])), "Σ·w = μ1 − μ0");
        }
        double quadratic1 = 0;
        double quadratic0 = 0;
        for (int j = 0; j < 3; j++) {
            quadratic1 += mu[1][j] * w[1][j];
            quadratic0 += mu[0][j] * w[0][j];
        }
        assertEquals(-0.5 * quadratic1 + 0.5 * quadratic0 + Math.log(priors[1] / priors[0]), b[1] - b[0], 1e-9);
    }

    @Test
    void parametersAreTheMaximumLikelihoodEstimates() {
        int[] y = new int[200];
        double[][] x = LogisticRegressionTest.blobs(12, 200, 2, y);
        GaussianGenerativeClassifier model = new GaussianGenerativeClassifier().covariance(Covariance.PER_CLASS)
                .fit(x, y);
        for (int c = 0; c < 2; c++) {
            double[][] rows = GaussianGenerativeClassifier.rowsOf(x, y, c);
            assertEquals((double) rows.length / x.length, model.priors()[c], 1e-15);
            double[] mean = new double[3];
            for (double[] r : rows) {
                for (int j = 0; j < 3; j++) {
                    mean[j] += r[j] / rows.length;
                }
            }
            double[][] cov = model.covariance(c);
            for (int i = 0; i < 3; i++) {
                assertEquals(mean[i], model.means()[c][i], 1e-10);
                for (int j = 0; j < 3; j++) {
                    double s = 0;
                    for (double[] r : rows) {
                        s += (r[i] - mean[i]) * (r[j] - mean[j]);
                    }
                    // the scatter is summed in double (in another order): agreement to double rounding
                    double scale = Math.sqrt(cov[i][i] * cov[j][j]);
                    assertEquals(s / rows.length, cov[i][j], 1e-12 * scale, "class " + c + " Σ[" + i + "][" + j + "]");
                }
            }
        }
        assertThrows(IllegalStateException.class, model::linearWeights);
    }

    @Test
    void perClassCovarianceSeparatesClassesThatDifferOnlyInSpread() {
        // Same mean, different variance: no line separates them, a quadratic boundary does.
        java.util.SplittableRandom random = new java.util.SplittableRandom(13);
        double[][] x = new double[400][2];
        int[] y = new int[400];
        for (int i = 0; i < 400; i++) {
            y[i] = i % 2;
            double s = y[i] == 0 ? 1 : 5;
            x[i] = new double[] {s * random.nextGaussian(), s * random.nextGaussian()};
        }
        double shared = new GaussianGenerativeClassifier().fit(x, y).score(x, y);
        double perClass = new GaussianGenerativeClassifier().covariance(Covariance.PER_CLASS).fit(x, y).score(x, y);
        assertTrue(perClass > 0.85 && shared < 0.7, "per-class " + perClass + ", shared " + shared);
    }

    @Test
    void aSingularClassCovarianceIsAnErrorNamingTheClassAndFeature() {
        double[][] x = {{1, 5}, {2, 5}, {3, 5}, {1, 1}, {2, 3}, {4, 2}};
        int[] y = {0, 0, 0, 1, 1, 1};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () ->
                new GaussianGenerativeClassifier().covariance(Covariance.PER_CLASS).featureNames(List.of("atk", "def"))
                        .classNames(List.of("water", "normal")).fit(x, y));
        assertTrue(e.getMessage().contains("'water'") && e.getMessage().contains("'def'"), e.getMessage());
        // Naive Bayes smooths the variance instead and still classifies.
        assertEquals(1.0, new GaussianNaiveBayes().fit(x, y).score(x, y), 0.2);
    }

    @Test
    void naiveBayesIsTheProductOfOneDimensionalGaussians() {
        int[] y = new int[240];
        double[][] x = LogisticRegressionTest.blobs(14, 240, 3, y);
        GaussianNaiveBayes nb = new GaussianNaiveBayes().fit(x, y);
        double[][] p = nb.predictProba(x);
        double[][] mu = nb.means();
        double[][] var = nb.variances();
        double[] prior = nb.priors();
        for (int i = 0; i < 20; i++) {
            double[] joint = new double[3];
            double total = 0;
            for (int c = 0; c < 3; c++) {
                joint[c] = prior[c];
                for (int j = 0; j < 3; j++) {
                    double d = x[i][j] - mu[c][j];
                    joint[c] *= Math.exp(-d * d / (2 * var[c][j])) / Math.sqrt(2 * Math.PI * var[c][j]);
                }
                total += joint[c];
            }
            for (int c = 0; c < 3; c++) {
                assertEquals(joint[c] / total, p[i][c], 1e-9);
            }
        }
        // With fewer rows per class than features a full covariance is singular; naive Bayes still fits.
        double[][] wide = {{1, 2, 3, 4}, {2, 1, 4, 3}, {8, 9, 7, 9}, {9, 8, 9, 7}};
        int[] labels = {0, 0, 1, 1};
        assertEquals(1.0, new GaussianNaiveBayes().fit(wide, labels).score(wide, labels));
        assertThrows(IllegalArgumentException.class,
                () -> new GaussianGenerativeClassifier().covariance(Covariance.PER_CLASS).fit(wide, labels));
    }
}
