package dev.panamax.models.regression;

import dev.panamax.engine.Backend;
import dev.panamax.engine.Backends;
import java.util.List;

/**
 * The course's probabilistic generative classifier: each class is a Gaussian {@code N(μ_k, Σ_k)} fitted by maximum
 * likelihood, with prior {@code P(C_k) = n_k / n}, and Bayes' rule gives the posterior
 * {@code P(C_k | x) ∝ P(C_k)·N(x; μ_k, Σ_k)}.
 *
 * <p>With one covariance shared by all classes (the weighted average of the class covariances, as in the course)
 * the quadratic terms cancel and the posterior becomes {@code softmax(W·x + b)} with
 * {@code w_k = Σ⁻¹μ_k}, {@code b_k = −½·μ_kᵀΣ⁻¹μ_k + ln P(C_k)}; for two classes
 * {@code P(C_1 | x) = σ(w·x + b)} with {@code w = Σ⁻¹(μ_1 − μ_0)}. {@link #linearWeights()} exposes that form;
 * {@link #predictProba} still evaluates the Gaussians, so the two can be checked against each other.
 *
 * <p>The class means and scatter matrices come from the engine's one-pass cross products in double ({@link
 * CrossProducts}, as for the normal equations); densities and Cholesky are in double too.
 * A singular covariance (a feature constant within a class, or a combination of others, or fewer rows than
 * features) is an error naming the class, not a silent NaN.
 */
public final class GaussianGenerativeClassifier implements Classifier, FeatureNamed {

    public enum Covariance { SHARED, PER_CLASS }

    private Covariance covariance = Covariance.SHARED;
    private Backend backend;
    private List<String> featureNames;
    private List<String> classNames;

    private double[][] means;
    private double[] priors;
    private double[][][] covariances;       // [k] for PER_CLASS; [0] only for SHARED
    private Cholesky[] factors;

    public GaussianGenerativeClassifier covariance(Covariance covariance) {
        this.covariance = covariance;
        return this;
    }

    public GaussianGenerativeClassifier backend(Backend backend) {
        this.backend = backend;
        return this;
    }

    @Override
    public GaussianGenerativeClassifier featureNames(List<String> names) {
        this.featureNames = names == null ? null : List.copyOf(names);
        return this;
    }

    /** Names of the classes, for messages. */
    public GaussianGenerativeClassifier classNames(List<String> names) {
        this.classNames = names == null ? null : List.copyOf(names);
        return this;
    }

    @Override
    public GaussianGenerativeClassifier fit(double[][] x, int[] y) {
        String op = "GaussianGenerativeClassifier.fit";
        int d = Checks.matrix(op, x, featureNames);
        int k = Checks.labels(op, y, x.length);
        Backend engine = backend != null ? backend : Backends.select("auto");
        means = new double[k][];
        priors = new double[k];
        double[][][] perClass = new double[k][][];
        for (int c = 0; c < k; c++) {
            double[][] rows = rowsOf(x, y, c);
            priors[c] = (double) rows.length / x.length;
            CrossProducts sums = CrossProducts.of(engine, rows, new double[rows.length]);
            means[c] = sums.means;
            perClass[c] = covariance(sums, rows.length);
        }
        if (covariance == Covariance.SHARED) {
            double[][] shared = new double[d][d];
            for (int c = 0; c < k; c++) {
                for (int i = 0; i < d; i++) {
                    for (int j = 0; j < d; j++) {
                        shared[i][j] += priors[c] * perClass[c][i][j];
                    }
                }
            }
            covariances = new double[][][] {shared};
        } else {
            covariances = perClass;
        }
        factors = new Cholesky[covariances.length];
        for (int c = 0; c < covariances.length; c++) {
            factors[c] = Cholesky.factor(covariances[c], NormalEquations.DEPENDENCE_TOLERANCE);
            if (!factors[c].droppedColumns().isEmpty()) {
                String which = covariance == Covariance.SHARED ? "the shared covariance"
                        : "the covariance of class " + className(c) + " (" + rowsOf(x, y, c).length + " rows)";
                String features = String.join(", ", factors[c].droppedColumns().stream()
                        .map(j -> Checks.feature(featureNames, j)).toList());
                throw new IllegalArgumentException(op + ": " + which + " is singular: " + features
                        + " is constant or a linear combination of other features"
                        + (covariance == Covariance.PER_CLASS ? " within that class; a shared covariance, or fewer "
                        + "features, avoids this" : "; drop it"));
            }
        }
        return this;
    }

    /** Maximum-likelihood covariance (divided by n_k): the centered cross products, in double. */
    private static double[][] covariance(CrossProducts sums, int rows) {
        int d = sums.features;
        double[][] cov = new double[d][d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                cov[i][j] = sums.gram[i][j] / rows;
            }
        }
        return cov;
    }

    static double[][] rowsOf(double[][] x, int[] y, int c) {
        int count = 0;
        for (int label : y) {
            count += label == c ? 1 : 0;
        }
        double[][] rows = new double[count][];
        int r = 0;
        for (int i = 0; i < x.length; i++) {
            if (y[i] == c) {
                rows[r++] = x[i];
            }
        }
        return rows;
    }

    private String className(int c) {
        return classNames != null && c < classNames.size() ? "'" + classNames.get(c) + "'" : String.valueOf(c);
    }

    @Override
    public int classCount() {
        requireFitted();
        return means.length;
    }

    /** Bayes' rule on the fitted Gaussians: log P(C_k) − ½·log|Σ_k| − ½·(x−μ_k)ᵀΣ_k⁻¹(x−μ_k), then softmax. */
    @Override
    public double[][] predictProba(double[][] x) {
        requireFitted();
        int d = means[0].length;
        Checks.columns("GaussianGenerativeClassifier.predictProba", x, d, featureNames);
        int k = means.length;
        double[][] out = new double[x.length][k];
        double[] logPosterior = new double[k];
        double[] diff = new double[d];
        for (int i = 0; i < x.length; i++) {
            for (int c = 0; c < k; c++) {
                Cholesky factor = factors[covariance == Covariance.SHARED ? 0 : c];
                for (int j = 0; j < d; j++) {
                    diff[j] = x[i][j] - means[c][j];
                }
                double[] z = factor.forwardSolve(diff);
                double mahalanobis = 0;
                for (double v : z) {
                    mahalanobis += v * v;
                }
                logPosterior[c] = Math.log(priors[c]) - 0.5 * factor.logDeterminant() - 0.5 * mahalanobis;
            }
            LogisticRegression.softmax(logPosterior, out[i]);
        }
        return out;
    }

    /** The class means μ_k. */
    public double[][] means() {
        requireFitted();
        return deepCopy(means);
    }

    /** The priors P(C_k) = n_k / n. */
    public double[] priors() {
        requireFitted();
        return priors.clone();
    }

    /** The covariance of class k (the shared one for every k when shared). */
    public double[][] covariance(int k) {
        requireFitted();
        return deepCopy(covariances[covariance == Covariance.SHARED ? 0 : k]);
    }

    public Covariance covarianceKind() {
        return covariance;
    }

    /** Shared covariance only: w_k = Σ⁻¹μ_k, so that P(C_k | x) = softmax_k(w_k·x + b_k). */
    public double[][] linearWeights() {
        requireShared();
        double[][] w = new double[means.length][];
        for (int c = 0; c < means.length; c++) {
            w[c] = factors[0].solve(means[c]);
        }
        return w;
    }

    /** Shared covariance only: b_k = −½·μ_kᵀΣ⁻¹μ_k + ln P(C_k). */
    public double[] linearIntercepts() {
        requireShared();
        double[][] w = linearWeights();
        double[] b = new double[means.length];
        for (int c = 0; c < means.length; c++) {
            double quadratic = 0;
            for (int j = 0; j < w[c].length; j++) {
                quadratic += means[c][j] * w[c][j];
            }
            b[c] = -0.5 * quadratic + Math.log(priors[c]);
        }
        return b;
    }

    private void requireShared() {
        requireFitted();
        if (covariance != Covariance.SHARED) {
            throw new IllegalStateException("GaussianGenerativeClassifier: the posterior is linear in x only with a "
                    + "shared covariance; this model has one covariance per class");
        }
    }

    private void requireFitted() {
        if (means == null) {
            throw new IllegalStateException("GaussianGenerativeClassifier: call fit before using the model");
        }
    }

    static double[][] deepCopy(double[][] a) {
        double[][] out = new double[a.length][];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i].clone();
        }
        return out;
    }
}
