package dev.panamax.models.regression;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class EvaluationTest {

    @Test
    void regressionMetricsOnKnownValues() {
        double[] y = {1, 2, 3, 4};
        double[] p = {1, 3, 3, 2};
        assertEquals(5.0 / 4, Metrics.mse(y, p), 1e-15);
        assertEquals(Math.sqrt(5.0 / 4), Metrics.rmse(y, p), 1e-15);
        assertEquals(3.0 / 4, Metrics.mae(y, p), 1e-15);
        assertEquals(1 - 5.0 / 5, Metrics.r2(y, p), 1e-15);
        assertEquals(1, Metrics.r2(y, y));
        assertEquals(1, Metrics.r2(new double[] {2, 2}, new double[] {2, 2}));
        assertEquals(0, Metrics.r2(new double[] {2, 2}, new double[] {1, 2}));
        assertThrows(IllegalArgumentException.class, () -> Metrics.mse(y, new double[3]));
    }

    @Test
    void classificationMetricsOnKnownValues() {
        int[] y = {0, 1, 1, 2};
        int[] p = {0, 1, 2, 2};
        assertEquals(0.75, Metrics.accuracy(y, p));
        int[][] m = Metrics.confusionMatrix(y, p, 3);
        assertArrayEquals(new int[] {1, 0, 0}, m[0]);
        assertArrayEquals(new int[] {0, 1, 1}, m[1]);
        assertArrayEquals(new int[] {0, 0, 1}, m[2]);
        double[][] proba = {{0.5, 0.5}, {0.0, 1.0}};
        assertEquals(Math.log(2) / 2, Metrics.logLoss(new int[] {0, 1}, proba), 1e-15);
        assertEquals((Math.log(2) - Math.log(Metrics.PROBABILITY_FLOOR)) / 2, Metrics.logLoss(new int[] {1, 0}, proba), 1e-9,
                "a zero probability is clipped, not infinite");
    }

    @Test
    void theSplitIsSeededDisjointAndComplete() {
        TrainTestSplit a = TrainTestSplit.of(100, 0.3, 7);
        TrainTestSplit b = TrainTestSplit.of(100, 0.3, 7);
        assertArrayEquals(a.test(), b.test());
        assertNotEquals(Arrays.toString(a.test()), Arrays.toString(TrainTestSplit.of(100, 0.3, 8).test()));
        assertEquals(30, a.test().length);
        int[] all = new int[100];
        for (int i : a.train()) {
            all[i]++;
        }
        for (int i : a.test()) {
            all[i]++;
        }
        assertTrue(Arrays.stream(all).allMatch(c -> c == 1));
        assertEquals(0, TrainTestSplit.of(10, 0, 1).test().length);
        assertEquals(1, TrainTestSplit.of(10, 0.01, 1).test().length);
        assertThrows(IllegalArgumentException.class, () -> TrainTestSplit.of(10, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> TrainTestSplit.of(3, 0.5, 1));
    }

    @Test
    void kFoldHoldsOutEveryRowOnceAndScoresFreshModels() {
        List<TrainTestSplit> folds = CrossValidation.folds(23, 5, 3);
        int[] seen = new int[23];
        for (TrainTestSplit f : folds) {
            assertEquals(23, f.train().length + f.test().length);
            for (int i : f.test()) {
                seen[i]++;
            }
        }
        assertTrue(Arrays.stream(seen).allMatch(c -> c == 1));
        double[][] x = TestData.features(5, 50, 2);
        double[] y = TestData.linear(x, new double[] {2, -1}, 3, 0, 6);
        double[] mse = CrossValidation.regression(LinearRegression::new, x, y, 5, 1, Metrics::mse);
        assertTrue(Arrays.stream(mse).allMatch(v -> v < 1e-12), Arrays.toString(mse));
        int[] labels = new int[x.length];
        for (int i = 0; i < x.length; i++) {
            labels[i] = 2 * x[i][0] - x[i][1] > 2 * -14 + 30 ? 1 : 0;
        }
        assertEquals(5, CrossValidation.classification(() -> new LogisticRegression().lambda(0.1), x, labels, 5, 1)
                .length);
        assertThrows(IllegalArgumentException.class, () -> CrossValidation.folds(3, 4, 1));
    }
}
