package dev.panamax.models.regression;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panamax.models.regression.LinearRegression.Solver;
import org.junit.jupiter.api.Test;

class LinearRegressionTest {

    @Test
    void closedFormRecoversExactCoefficientsOfNoiselessData() {
        double[][] x = TestData.features(1, 500, 8);
        double[] w = TestData.weights(2, 8);
        double[] y = TestData.linear(x, w, 123.0, 0, 3);
        LinearRegression model = new LinearRegression().fit(x, y);
        System.out.println(model.report());
        assertTrue(TestData.relativeError(model.coefficients(), w) < 1e-10,
                () -> "relative error " + TestData.relativeError(model.coefficients(), w));
        assertEquals(123.0, model.intercept(), 1e-8);
        assertEquals(1.0, model.score(x, y), 1e-12);
    }

    @Test
    void gradientDescentAndAdagradReachTheClosedFormOnStandardizedData() {
        double[][] x = TestData.features(4, 400, 5);
        double[] w = TestData.weights(5, 5);
        double[] y = TestData.linear(x, w, -7.0, 2.0, 6);
        double[] exact = new LinearRegression().fit(x, y).coefficients();
        LinearRegression gd = new LinearRegression().solver(Solver.GRADIENT_DESCENT).standardize(true).fit(x, y);
        LinearRegression adagrad = new LinearRegression().solver(Solver.ADAGRAD).standardize(true).fit(x, y);
        System.out.println(gd.report().iterations() + " " + adagrad.report().iterations());
        assertTrue(TestData.relativeError(gd.coefficients(), exact) < 1e-3, () -> "gd " + TestData.relativeError(gd.coefficients(), exact));
        assertTrue(TestData.relativeError(adagrad.coefficients(), exact) < 1e-3, () -> "ada " + TestData.relativeError(adagrad.coefficients(), exact));
        assertTrue(TestData.relativeError(gd.coefficients(), adagrad.coefficients()) < 1e-3);
    }

    @Test
    void divergingLearningRateIsReportedNotReturnedAsNaN() {
        double[][] x = TestData.features(7, 100, 3);
        double[] y = TestData.linear(x, TestData.weights(8, 3), 1, 0.1, 9);
        DivergenceException e = assertThrows(DivergenceException.class,
                () -> new LinearRegression().solver(Solver.GRADIENT_DESCENT).learningRate(0.01).fit(x, y));
        System.out.println(e.getMessage());
        assertTrue(e.getMessage().contains("learning rate 0.01"), e.getMessage());
    }
}
