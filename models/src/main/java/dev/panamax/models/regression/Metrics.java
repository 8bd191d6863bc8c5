package dev.panamax.models.regression;

/** Regression and classification metrics. Arrays are compared element by element and must have equal lengths. */
public final class Metrics {

    /** Probabilities are clipped to this before the logarithm, as scikit-learn does, so log-loss stays finite. */
    public static final double PROBABILITY_FLOOR = 1e-15;

    private Metrics() {
    }

    /** Mean squared error. */
    public static double mse(double[] y, double[] predicted) {
        same(y.length, predicted.length);
        double s = 0;
        for (int i = 0; i < y.length; i++) {
            double e = y[i] - predicted[i];
            s += e * e;
        }
        return s / y.length;
    }

    /** Root mean squared error, in the target's units. */
    public static double rmse(double[] y, double[] predicted) {
        return Math.sqrt(mse(y, predicted));
    }

    /** Mean absolute error. */
    public static double mae(double[] y, double[] predicted) {
        same(y.length, predicted.length);
        double s = 0;
        for (int i = 0; i < y.length; i++) {
            s += Math.abs(y[i] - predicted[i]);
        }
        return s / y.length;
    }

    /**
     * Coefficient of determination {@code 1 − SS_res/SS_tot}. For a constant target it is 1 when the predictions
     * are exact and 0 otherwise (scikit-learn's convention), never NaN.
     */
    public static double r2(double[] y, double[] predicted) {
        same(y.length, predicted.length);
        double mean = 0;
        for (double v : y) {
            mean += v;
        }
        mean /= y.length;
        double residual = 0;
        double total = 0;
        for (int i = 0; i < y.length; i++) {
            residual += (y[i] - predicted[i]) * (y[i] - predicted[i]);
            total += (y[i] - mean) * (y[i] - mean);
        }
        if (total == 0) {
            return residual == 0 ? 1 : 0;
        }
        return 1 - residual / total;
    }

    /** Fraction of labels predicted exactly. */
    public static double accuracy(int[] y, int[] predicted) {
        same(y.length, predicted.length);
        int hits = 0;
        for (int i = 0; i < y.length; i++) {
            hits += y[i] == predicted[i] ? 1 : 0;
        }
        return (double) hits / y.length;
    }

    /** Mean cross-entropy {@code −(1/n) Σ log p(yᵢ)} of the predicted class probabilities. */
    public static double logLoss(int[] y, double[][] probabilities) {
        same(y.length, probabilities.length);
        double s = 0;
        for (int i = 0; i < y.length; i++) {
            s -= Math.log(Math.max(PROBABILITY_FLOOR, probabilities[i][y[i]]));
        }
        return s / y.length;
    }

    /** {@code counts[true class][predicted class]} over K classes. */
    public static int[][] confusionMatrix(int[] y, int[] predicted, int classes) {
        same(y.length, predicted.length);
        int[][] counts = new int[classes][classes];
        for (int i = 0; i < y.length; i++) {
            counts[y[i]][predicted[i]]++;
        }
        return counts;
    }

    /** Index of the largest value in each row (the first one on ties). */
    public static int[] argmax(double[][] rows) {
        int[] out = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
            int best = 0;
            for (int k = 1; k < rows[i].length; k++) {
                if (rows[i][k] > rows[i][best]) {
                    best = k;
                }
            }
            out[i] = best;
        }
        return out;
    }

    private static void same(int a, int b) {
        if (a != b) {
            throw new IllegalArgumentException("metrics: " + a + " true values but " + b + " predictions");
        }
        if (a == 0) {
            throw new IllegalArgumentException("metrics: no values to compare");
        }
    }
}
