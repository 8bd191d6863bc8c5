package dev.panamax.models.regression;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import java.util.function.ToDoubleBiFunction;

/** Seeded k-fold cross-validation: every row is held out exactly once, by a fresh model fitted on the others. */
public final class CrossValidation {

    private CrossValidation() {
    }

    /** The k folds of a seeded shuffle of {@code rows} indices; fold sizes differ by at most one. */
    public static List<TrainTestSplit> folds(int rows, int k, long seed) {
        if (k < 2 || k > rows) {
            throw new IllegalArgumentException("k-fold: k must be between 2 and the row count " + rows + ", got " + k);
        }
        int[] order = TrainTestSplit.shuffled(rows, seed);
        List<TrainTestSplit> folds = new ArrayList<>();
        for (int f = 0; f < k; f++) {
            int from = (int) ((long) rows * f / k);
            int to = (int) ((long) rows * (f + 1) / k);
            int[] test = Arrays.copyOfRange(order, from, to);
            int[] train = new int[rows - test.length];
            System.arraycopy(order, 0, train, 0, from);
            System.arraycopy(order, to, train, from, rows - to);
            Arrays.sort(test);
            Arrays.sort(train);
            folds.add(new TrainTestSplit(train, test));
        }
        return folds;
    }

    /** {@code metric(yTrue, yPredicted)} on each held-out fold, e.g. {@code Metrics::mse}. */
    public static double[] regression(Supplier<? extends Regressor> model, double[][] x, double[] y, int k, long seed,
                                      ToDoubleBiFunction<double[], double[]> metric) {
        List<TrainTestSplit> folds = folds(x.length, k, seed);
        double[] scores = new double[k];
        for (int f = 0; f < k; f++) {
            TrainTestSplit s = folds.get(f);
            Regressor fitted = model.get().fit(TrainTestSplit.rows(x, s.train()), TrainTestSplit.values(y, s.train()));
            scores[f] = metric.applyAsDouble(TrainTestSplit.values(y, s.test()),
                    fitted.predict(TrainTestSplit.rows(x, s.test())));
        }
        return scores;
    }

    /** Accuracy on each held-out fold. */
    public static double[] classification(Supplier<? extends Classifier> model, double[][] x, int[] y, int k,
                                          long seed) {
        List<TrainTestSplit> folds = folds(x.length, k, seed);
        double[] scores = new double[k];
        for (int f = 0; f < k; f++) {
            TrainTestSplit s = folds.get(f);
            Classifier fitted = model.get().fit(TrainTestSplit.rows(x, s.train()), TrainTestSplit.values(y, s.train()));
            scores[f] = fitted.score(TrainTestSplit.rows(x, s.test()), TrainTestSplit.values(y, s.test()));
        }
        return scores;
    }
}
