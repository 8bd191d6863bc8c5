package dev.panamax.models.regression;

import java.util.List;

/**
 * Gaussian naive Bayes: the generative classifier with the features assumed independent within each class, so each
 * class is a product of one-dimensional Gaussians (a diagonal covariance). It needs only per-feature means and
 * variances, so it works with fewer rows than features, where a full covariance is singular.
 *
 * <p>Every variance gets {@value #VARIANCE_SMOOTHING} times the largest feature variance added (scikit-learn's
 * {@code var_smoothing}), so a feature that is constant within a class gives a sharp density, not a division by 0.
 */
public final class GaussianNaiveBayes implements Classifier, FeatureNamed {

    public static final double VARIANCE_SMOOTHING = 1e-9;

    private List<String> featureNames;
    private double[][] means;
    private double[][] variances;
    private double[] priors;

    @Override
    public GaussianNaiveBayes featureNames(List<String> names) {
        this.featureNames = names == null ? null : List.copyOf(names);
        return this;
    }

    @Override
    public GaussianNaiveBayes fit(double[][] x, int[] y) {
        String op = "GaussianNaiveBayes.fit";
        int d = Checks.matrix(op, x, featureNames);
        int k = Checks.labels(op, y, x.length);
        means = new double[k][d];
        variances = new double[k][d];
        priors = new double[k];
        for (int c = 0; c < k; c++) {
            double[][] rows = GaussianGenerativeClassifier.rowsOf(x, y, c);
            priors[c] = (double) rows.length / x.length;
            for (int j = 0; j < d; j++) {
                double mean = 0;
                for (double[] row : rows) {
                    mean += row[j];
                }
                mean /= rows.length;
                double var = 0;
                for (double[] row : rows) {
                    var += (row[j] - mean) * (row[j] - mean);
                }
                means[c][j] = mean;
                variances[c][j] = var / rows.length;
            }
        }
        double largest = 0;
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
            largest = Math.max(largest, var / x.length);
        }
        double epsilon = VARIANCE_SMOOTHING * Math.max(largest, Double.MIN_NORMAL);
        for (double[] v : variances) {
            for (int j = 0; j < d; j++) {
                v[j] += epsilon;
            }
        }
        return this;
    }

    @Override
    public int classCount() {
        requireFitted();
        return priors.length;
    }

    /** log P(C_k) + Σⱼ log N(xⱼ; μ_kj, σ²_kj), then softmax. */
    @Override
    public double[][] predictProba(double[][] x) {
        requireFitted();
        int d = means[0].length;
        Checks.columns("GaussianNaiveBayes.predictProba", x, d, featureNames);
        int k = priors.length;
        double[][] out = new double[x.length][k];
        double[] logPosterior = new double[k];
        for (int i = 0; i < x.length; i++) {
            for (int c = 0; c < k; c++) {
                double s = Math.log(priors[c]);
                for (int j = 0; j < d; j++) {
                    double diff = x[i][j] - means[c][j];
                    s -= 0.5 * Math.log(2 * Math.PI * variances[c][j]) + diff * diff / (2 * variances[c][j]);
                }
                logPosterior[c] = s;
            }
            LogisticRegression.softmax(logPosterior, out[i]);
        }
        return out;
    }

    public double[][] means() {
        requireFitted();
        return GaussianGenerativeClassifier.deepCopy(means);
    }

    /** Per-class, per-feature variances (smoothing included). */
    public double[][] variances() {
        requireFitted();
        return GaussianGenerativeClassifier.deepCopy(variances);
    }

    public double[] priors() {
        requireFitted();
        return priors.clone();
    }

    private void requireFitted() {
        if (means == null) {
            throw new IllegalStateException("GaussianNaiveBayes: call fit before using the model");
        }
    }
}
