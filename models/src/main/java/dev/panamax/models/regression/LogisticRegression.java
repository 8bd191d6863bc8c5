package dev.panamax.models.regression;

import dev.panamax.engine.Backend;
import dev.panamax.engine.Backends;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Logistic regression, the course's discriminative classifier: {@code P(class 1 | x) = σ(w·x + b)} for two classes
 * and {@code softmax(W·x + b)} for more, trained directly by minimizing the cross-entropy
 * {@code Σᵢ −log P(yᵢ | xᵢ) + λ·‖W‖²} (the bias is not regularized).
 *
 * <p>Solvers: {@link Solver#LBFGS} (quasi-Newton, reaches the optimum of this convex loss), and the course's
 * {@link Solver#GRADIENT_DESCENT} and {@link Solver#ADAGRAD}. Like {@link LinearRegression}, the iterative solvers
 * minimize the loss divided by n, batch their forward and backward passes through engine GEMMs, and stop a
 * diverging run with {@link DivergenceException}.
 *
 * <p>Without L2, classes that a hyperplane separates perfectly have no optimum (the weights grow forever); the
 * fit then warns and suggests λ > 0.
 */
public final class LogisticRegression implements Classifier, FeatureNamed {

    public enum Solver {
        LBFGS("L-BFGS"), GRADIENT_DESCENT("gradient descent"), ADAGRAD("Adagrad");

        private final String title;

        Solver(String title) {
            this.title = title;
        }

        public String title() {
            return title;
        }

        /** Parses "lbfgs", "gd" or "adagrad". */
        public static Solver parse(String name) {
            return switch (name.trim().toLowerCase(Locale.ROOT).replace("-", "").replace("_", "")) {
                case "lbfgs", "quasinewton" -> LBFGS;
                case "gd", "gradientdescent" -> GRADIENT_DESCENT;
                case "adagrad" -> ADAGRAD;
                default -> throw new IllegalArgumentException("solver '" + name
                        + "' is unknown for logistic regression; choose lbfgs, gd or adagrad");
            };
        }
    }

    private Solver solver = Solver.LBFGS;
    private double lambda;
    private boolean standardize;
    private double learningRate = Double.NaN;
    private int maxIterations = -1;
    private double tolerance = Double.NaN;
    private Backend backend;
    private List<String> featureNames;
    private ProgressListener progress = ProgressListener.NONE;

    private int classes;
    private double[][] weights;      // [outputs][d]: one row for two classes (class 1 against class 0)
    private double[] intercepts;
    private SolverReport report;

    public LogisticRegression solver(Solver solver) {
        this.solver = solver;
        return this;
    }

    public LogisticRegression lambda(double lambda) {
        Checks.nonNegative("LogisticRegression", "lambda", lambda);
        this.lambda = lambda;
        return this;
    }

    /** Train on standardized features (λ then penalizes their weights); coefficients stay in original units. */
    public LogisticRegression standardize(boolean standardize) {
        this.standardize = standardize;
        return this;
    }

    /** Step size of GD and Adagrad (default 0.5 and 1). */
    public LogisticRegression learningRate(double learningRate) {
        Checks.positive("LogisticRegression", "learningRate", learningRate);
        this.learningRate = learningRate;
        return this;
    }

    /** Iteration limit (default 1000 for L-BFGS, 10000 for GD and Adagrad). */
    public LogisticRegression maxIterations(int maxIterations) {
        Checks.positive("LogisticRegression", "maxIterations", maxIterations);
        this.maxIterations = maxIterations;
        return this;
    }

    /** Gradient norm relative to its start at which to stop (default 1e-9 for L-BFGS, 1e-6 otherwise). */
    public LogisticRegression tolerance(double tolerance) {
        Checks.positive("LogisticRegression", "tolerance", tolerance);
        this.tolerance = tolerance;
        return this;
    }

    public LogisticRegression backend(Backend backend) {
        this.backend = backend;
        return this;
    }

    @Override
    public LogisticRegression featureNames(List<String> names) {
        this.featureNames = names == null ? null : List.copyOf(names);
        return this;
    }

    public LogisticRegression progress(ProgressListener progress) {
        this.progress = progress == null ? ProgressListener.NONE : progress;
        return this;
    }

    @Override
    public LogisticRegression fit(double[][] x, int[] y) {
        String op = "LogisticRegression.fit";
        int d = Checks.matrix(op, x, featureNames);
        classes = Checks.labels(op, y, x.length);
        Backend engine = backend != null ? backend : Backends.select("auto");
        int outputs = classes == 2 ? 1 : classes;
        double rate = !Double.isNaN(learningRate) ? learningRate : solver == Solver.ADAGRAD ? 1.0 : 0.5;
        int limit = maxIterations > 0 ? maxIterations : solver == Solver.LBFGS ? 1000 : 10_000;
        double tol = !Double.isNaN(tolerance) ? tolerance : solver == Solver.LBFGS ? 1e-9 : 1e-6;
        // L-BFGS always works on centered features: that only moves the intercept (b' = b + w·mean, and λ does not
        // see b), but keeps the float32 logits small, so the loss resolves differences well below 1e-6.
        boolean center = standardize || solver == Solver.LBFGS;
        try (DesignMatrix data = DesignMatrix.of(x, center, standardize)) {
            LinearObjective objective = new LinearObjective(engine, data, outputs, lambda,
                    classes == 2 ? LinearObjective.sigmoidCrossEntropy(y) : LinearObjective.softmaxCrossEntropy(y));
            double[] theta = new double[objective.dimension()];
            LossMonitor monitor = new LossMonitor(solver.title(), solver == Solver.LBFGS ? Double.NaN : rate, limit,
                    1, progress).advice(() -> objective.stableLearningRate(classes == 2 ? 0.25 : 0.5), standardize);
            report = switch (solver) {
                case LBFGS -> Lbfgs.minimize(objective, theta, limit, tol, monitor);
                case GRADIENT_DESCENT -> GradientMethods.gradientDescent(objective, theta, rate, limit, tol, monitor);
                case ADAGRAD -> GradientMethods.adagrad(objective, theta, rate, limit, tol, monitor);
            };
            weights = new double[outputs][d];
            intercepts = new double[outputs];
            for (int k = 0; k < outputs; k++) {
                intercepts[k] = theta[d * outputs + k];
                for (int j = 0; j < d; j++) {
                    weights[k][j] = theta[j * outputs + k] / data.scales[j];
                    intercepts[k] -= weights[k][j] * data.means[j];
                }
            }
        }
        if (lambda == 0 && score(x, y) == 1.0) {
            List<String> warnings = new ArrayList<>(report.warnings());
            warnings.add("the training classes are perfectly separated: without L2 the weights grow without bound "
                    + "and the probabilities become overconfident; set lambda > 0");
            report = new SolverReport(report.solver(), report.iterations(), report.converged(), report.lossHistory(),
                    warnings);
        }
        return this;
    }

    @Override
    public int classCount() {
        requireFitted();
        return classes;
    }

    @Override
    public double[][] predictProba(double[][] x) {
        requireFitted();
        Checks.columns("LogisticRegression.predictProba", x, weights[0].length, featureNames);
        double[][] out = new double[x.length][classes];
        double[] scores = new double[weights.length];
        for (int i = 0; i < x.length; i++) {
            for (int k = 0; k < weights.length; k++) {
                double s = intercepts[k];
                for (int j = 0; j < x[i].length; j++) {
                    s += weights[k][j] * x[i][j];
                }
                scores[k] = s;
            }
            if (classes == 2) {
                out[i][1] = LinearObjective.sigmoid(scores[0]);
                out[i][0] = 1 - out[i][1];
            } else {
                softmax(scores, out[i]);
            }
        }
        return out;
    }

    static void softmax(double[] scores, double[] out) {
        double max = Double.NEGATIVE_INFINITY;
        for (double s : scores) {
            max = Math.max(max, s);
        }
        double sum = 0;
        for (int k = 0; k < scores.length; k++) {
            out[k] = Math.exp(scores[k] - max);
            sum += out[k];
        }
        for (int k = 0; k < scores.length; k++) {
            out[k] /= sum;
        }
    }

    /**
     * Weights in original units: one row {@code w} for two classes ({@code P(class 1) = σ(w·x + b)}), else one row
     * per class (softmax scores).
     */
    public double[][] coefficients() {
        requireFitted();
        double[][] copy = new double[weights.length][];
        for (int k = 0; k < weights.length; k++) {
            copy[k] = weights[k].clone();
        }
        return copy;
    }

    /** The bias of each row of {@link #coefficients()}. */
    public double[] intercepts() {
        requireFitted();
        return intercepts.clone();
    }

    public SolverReport report() {
        requireFitted();
        return report;
    }

    private void requireFitted() {
        if (weights == null) {
            throw new IllegalStateException("LogisticRegression: call fit before using the model");
        }
    }
}
