package dev.panamax.models.regression;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class PipelineTest {

    @Test
    void polynomialFeaturesListEveryMonomialInScikitLearnOrder() {
        PolynomialFeatures poly = new PolynomialFeatures(2);
        double[][] out = poly.fitTransform(new double[][] {{2, 3}});
        assertArrayEquals(new double[] {2, 3, 4, 6, 9}, out[0]);
        assertEquals(List.of("a", "b", "a^2", "a b", "b^2"), poly.outputNames(List.of("a", "b")));
        PolynomialFeatures cubic = new PolynomialFeatures(3, false);
        assertArrayEquals(new double[] {2, 3, 4, 9, 8, 27}, cubic.fitTransform(new double[][] {{2, 3}})[0]);
        assertEquals(List.of("a", "b", "a^2", "b^2", "a^3", "b^3"), cubic.outputNames(List.of("a", "b")));
        assertEquals(55, new PolynomialFeatures(3).fitTransform(new double[][] {new double[5]})[0].length);
        assertThrows(IllegalArgumentException.class, () -> new PolynomialFeatures(0));
        assertThrows(IllegalStateException.class, () -> new PolynomialFeatures(2).transform(new double[][] {{1}}));
    }

    @Test
    void aPipelineFitsACubicExactlyAndPredictsBeyondItsTrainingRange() {
        double[][] x = new double[40][1];
        double[] y = new double[40];
        for (int i = 0; i < 40; i++) {
            x[i][0] = 10 + 15 * i;                             // 10 .. 595, like CP values
            y[i] = 3 - 0.5 * x[i][0] + 2e-3 * x[i][0] * x[i][0] - 1e-6 * Math.pow(x[i][0], 3);
        }
        RegressionPipeline model = new RegressionPipeline(new LinearRegression(), new StandardScaler(),
                new PolynomialFeatures(3)).inputNames(List.of("cp"));
        model.fit(x, y);
        assertEquals(1.0, model.score(x, y), 1e-10);
        double far = 800;
        double expected = 3 - 0.5 * far + 2e-3 * far * far - 1e-6 * Math.pow(far, 3);
        assertEquals(expected, model.predict(new double[][] {{far}})[0], 1e-6 * Math.abs(expected));
        assertEquals(List.of("z(cp)", "z(cp)^2", "z(cp)^3"), model.featureNames(List.of("cp")));
    }

    @Test
    void theScalerLeavesOneHotIndicatorsAsTheyAre() {
        StandardScaler scaler = new StandardScaler();
        double[][] out = scaler.fitTransform(new double[][] {{0, 10}, {1, 20}, {1, 30}});
        assertArrayEquals(new double[] {0, 1, 1}, new double[] {out[0][0], out[1][0], out[2][0]});
        assertEquals(0, out[1][1], 1e-15);
        assertEquals(List.of("kind=b", "z(cp)"), scaler.outputNames(List.of("kind=b", "cp")));
    }

    @Test
    void transformsLearnOnlyFromTheTrainingRows() {
        double[][] train = {{0}, {2}, {4}};
        StandardScaler scaler = new StandardScaler();
        RegressionPipeline model = new RegressionPipeline(new LinearRegression(), scaler);
        model.fit(train, new double[] {1, 2, 3});
        assertEquals(2, scaler.means()[0]);
        model.predict(new double[][] {{100}, {200}});
        assertEquals(2, scaler.means()[0], "predicting does not refit");
        double[][] z = model.transform(train);
        double unit = Math.sqrt(1.5);                  // (4 - 2) / population std of {0, 2, 4}
        assertArrayEquals(new double[] {-unit, 0, unit}, new double[] {z[0][0], z[1][0], z[2][0]}, 1e-12);
    }

    @Test
    void aClassificationPipelineNamesTransformedFeaturesInWarnings() {
        double[][] x = {{0, 7}, {1, 7}, {2, 7}, {10, 7}, {11, 7}, {12, 7}};
        int[] y = {0, 0, 0, 1, 1, 1};
        ClassificationPipeline model = new ClassificationPipeline(
                new GaussianGenerativeClassifier().covariance(GaussianGenerativeClassifier.Covariance.PER_CLASS),
                new StandardScaler()).inputNames(List.of("defense", "speed"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model.fit(x, y));
        assertTrue(e.getMessage().contains("'z(speed)'"), e.getMessage());
        ClassificationPipeline logistic = new ClassificationPipeline(new LogisticRegression().lambda(1),
                new PolynomialFeatures(2));
        assertEquals(1.0, logistic.fit(x, y).score(x, y));
        assertEquals(2, logistic.classCount());
    }
}
