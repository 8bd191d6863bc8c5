package dev.panamax.models.regression;

import java.util.List;

/**
 * Centers each feature on its training mean and divides by its training standard deviation (a constant feature is
 * only centered). Before {@link PolynomialFeatures} it keeps powers of large values (CP in the thousands) inside
 * a range where their columns are not nearly parallel.
 *
 * <p>Indicator columns (only the values 0 and 1, as one-hot encoding makes) are left as they are: they need no
 * conditioning, and as 0/1 their polynomial terms stay what they mean (x·indicator is a per-category slope, and
 * indicator² is the indicator itself, which least squares then drops as an exact duplicate).
 */
public final class StandardScaler implements FeatureTransform {

    private double[] means;
    private double[] scales;
    private boolean[] indicator;

    @Override
    public StandardScaler fit(double[][] x) {
        int d = Checks.matrix("StandardScaler.fit", x, null);
        means = new double[d];
        scales = new double[d];
        indicator = new boolean[d];
        for (int j = 0; j < d; j++) {
            boolean binary = true;
            for (double[] row : x) {
                binary &= row[j] == 0 || row[j] == 1;
            }
            if (binary) {
                indicator[j] = true;
                scales[j] = 1;
                continue;
            }
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

    /** {@code z(name)} for a standardized feature; an indicator keeps its name. */
    @Override
    public List<String> outputNames(List<String> inputNames) {
        if (indicator == null) {
            throw new IllegalStateException("StandardScaler: call fit before outputNames");
        }
        List<String> names = new java.util.ArrayList<>();
        for (int j = 0; j < inputNames.size(); j++) {
            names.add(indicator[j] ? inputNames.get(j) : "z(" + inputNames.get(j) + ")");
        }
        return names;
    }

    public double[] means() {
        return means.clone();
    }

    public double[] scales() {
        return scales.clone();
    }
}
