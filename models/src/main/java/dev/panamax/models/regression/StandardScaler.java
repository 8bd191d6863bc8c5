package dev.panamax.models.regression;

import java.util.List;

/**
 * Centers each feature on its training mean and divides by its training standard deviation (a constant feature is
 * only centered). Before {@link PolynomialFeatures} it keeps powers of large values (CP in the thousands) inside
 * a range where their columns are not nearly parallel.
 */
public final class StandardScaler implements FeatureTransform {

    private double[] means;
    private double[] scales;

    @Override
    public StandardScaler fit(double[][] x) {
        int d = Checks.matrix("StandardScaler.fit", x, null);
        means = new double[d];
        scales = new double[d];
        for (int j = 0; j < d; j++) {
            double mean = 0;
            for (double[] row : x) {
                mean += row[j];
            }
            mean /= x.length;
            double var = 0;
            for (double[] row : x) {
                var += (row[j] - mean) * (row[j] - mean);
            }
            means[j] = mean;
            scales[j] = var > 0 ? Math.sqrt(var / x.length) : 1;
        }
        return this;
    }

    @Override
    public double[][] transform(double[][] x) {
        if (means == null) {
            throw new IllegalStateException("StandardScaler: call fit before transform");
        }
        Checks.columns("StandardScaler.transform", x, means.length, null);
        double[][] out = new double[x.length][means.length];
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < means.length; j++) {
                out[i][j] = (x[i][j] - means[j]) / scales[j];
            }
        }
        return out;
    }

    /** {@code z(name)}: the standardized feature. */
    @Override
    public List<String> outputNames(List<String> inputNames) {
        return inputNames.stream().map(name -> "z(" + name + ")").toList();
    }

    public double[] means() {
        return means.clone();
    }

    public double[] scales() {
        return scales.clone();
    }
}
