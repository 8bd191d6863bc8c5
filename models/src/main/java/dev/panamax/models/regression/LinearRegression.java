package dev.panamax.models.regression;

import dev.panamax.engine.Backend;
import dev.panamax.engine.Backends;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Linear regression {@code ŷ = b + Σⱼ wⱼ·xⱼ}, the course's first model, fitted by minimizing
 * {@code Σᵢ (yᵢ − ŷᵢ)² + λ·Σⱼ wⱼ²} (ridge when λ > 0; the bias b is never regularized).
 *
 * <pre>{@code
 * LinearRegression model = new LinearRegression().lambda(1.0).fit(x, y);
 * double[] w = model.coefficients();
 * double r2 = model.score(xTest, yTest);
 * }</pre>
 *
 * <p>Solvers: {@link Solver#CLOSED_FORM} (normal equations, exact; see {@link NormalEquations}),
 * {@link Solver#GRADIENT_DESCENT} with a fixed learning rate, {@link Solver#ADAGRAD}, and mini-batch
 * {@link Solver#SGD}. The iterative solvers minimize the same loss divided by n (same minimizer, a learning rate
 * that does not depend on the row count), report it per iteration in {@link #report()}, and throw
 * {@link DivergenceException} rather than return NaN when the learning rate is too large.
 *
 * <p>{@link #standardize(boolean)}: the iterative solvers then work on standardized features (and target), where
 * one learning rate suits every direction, and λ penalizes the weights of the standardized features, so that it
 * means the same for features of any scale. Coefficients are always reported in the original units.
 */
public final class LinearRegression implements Regressor, FeatureNamed {

    /** How the weights are found. */
    public enum Solver {
        CLOSED_FORM("closed form"), GRADIENT_DESCENT("gradient descent"), ADAGRAD("Adagrad"), SGD("mini-batch SGD");

        private final String title;

        Solver(String title) {
            this.title = title;
        }

        public String title() {
            return title;
        }

        /** Parses "closed", "gd", "adagrad" or "sgd" (and the enum names). */
        public static Solver parse(String name) {
            return switch (name.trim().toLowerCase(Locale.ROOT).replace('-', '_')) {
                case "closed", "closed_form", "normal", "exact" -> CLOSED_FORM;
                case "gd", "gradient_descent" -> GRADIENT_DESCENT;
                case "adagrad" -> ADAGRAD;
                case "sgd", "minibatch", "mini_batch_sgd" -> SGD;
                default -> throw new IllegalArgumentException("solver '" + name
                        + "' is unknown; choose closed, gd, adagrad or sgd");
            };
        }
    }

    private Solver solver = Solver.CLOSED_FORM;
    private double lambda;
    private boolean standardize;
    private double learningRate = Double.NaN;
    private int maxIterations = -1;
    private double tolerance = 1e-6;
    private int batchSize = 32;
    private long seed = 42;
    private Backend backend;
    private List<String> featureNames;
    private ProgressListener progress = ProgressListener.NONE;

    private double[] coefficients;
    private double intercept;
    private SolverReport report;

    public LinearRegression solver(Solver solver) {
        this.solver = solver;
        return this;
    }

    /** L2 strength λ ≥ 0 (default 0: ordinary least squares). */
    public LinearRegression lambda(double lambda) {
        Checks.nonNegative("LinearRegression", "lambda", lambda);
        this.lambda = lambda;
        return this;
    }

    public LinearRegression standardize(boolean standardize) {
        this.standardize = standardize;
        return this;
    }

    /** Step size of the iterative solvers (default: 0.1 for GD, 1 for Adagrad, 0.01 for SGD). */
    public LinearRegression learningRate(double learningRate) {
        Checks.positive("LinearRegression", "learningRate", learningRate);
        this.learningRate = learningRate;
        return this;
    }

    /** Iteration limit (epochs for SGD); default 10000 (SGD: 200). */
    public LinearRegression maxIterations(int maxIterations) {
        Checks.positive("LinearRegression", "maxIterations", maxIterations);
        this.maxIterations = maxIterations;
        return this;
    }

    /** Convergence test of the iterative solvers: gradient norm relative to its start (default 1e-6). */
    public LinearRegression tolerance(double tolerance) {
        Checks.positive("LinearRegression", "tolerance", tolerance);
        this.tolerance = tolerance;
        return this;
    }

    public LinearRegression batchSize(int batchSize) {
        Checks.positive("LinearRegression", "batchSize", batchSize);
        this.batchSize = batchSize;
        return this;
    }

    /** Seed of SGD's shuffling. */
    public LinearRegression seed(long seed) {
        this.seed = seed;
        return this;
    }

    /** The engine backend for the GEMMs (default: {@code Backends.select("auto")}). */
    public LinearRegression backend(Backend backend) {
        this.backend = backend;
        return this;
    }

    /** Names of the columns, used in messages and warnings only. */
    @Override
    public LinearRegression featureNames(List<String> names) {
        this.featureNames = names == null ? null : List.copyOf(names);
        return this;
    }

    public LinearRegression progress(ProgressListener progress) {
        this.progress = progress == null ? ProgressListener.NONE : progress;
        return this;
    }

    public Solver solver() {
        return solver;
    }

    @Override
    public LinearRegression fit(double[][] x, double[] y) {
        String op = "LinearRegression.fit";
        // The closed form streams x once and checks its values on the way (a separate scan of a large x would
        // cost as much as that pass); the iterative solvers check first.
        int d = solver == Solver.CLOSED_FORM ? Checks.rectangular(op, x) : Checks.matrix(op, x, featureNames);
        Checks.targets(op, y, x.length);
        Checks.atLeastTwoRows(op, x.length);
        Backend engine = backend != null ? backend : Backends.select("auto");
        List<String> warnings = new ArrayList<>();
        if (d > x.length - 1 && lambda == 0) {
            warnings.add(String.format(Locale.ROOT, "%d features but only %d rows and lambda = 0: the least-squares "
                    + "coefficients are not unique (set lambda > 0 for ridge, or use fewer features)", d, x.length));
        }
        if (solver == Solver.CLOSED_FORM) {
            NormalEquations.Solution s = NormalEquations.solve(engine, x, y, lambda, standardize,
                    () -> Checks.matrix(op, x, featureNames));
            if (!s.dropped().isEmpty()) {
                List<String> names = s.dropped().stream().map(j -> Checks.feature(featureNames, j)).toList();
                warnings.add("XᵀX is rank-deficient: " + String.join(", ", names) + (names.size() == 1 ? " is" : " are")
                        + " a linear combination of earlier features (or constant); set to 0");
            }
            coefficients = s.coefficients();
            intercept = s.intercept();
            report = new SolverReport(solver.title(), s.refinements(), true, new double[0], warnings);
            return this;
        }
        fitIteratively(engine, x, y, warnings);
        return this;
    }

    private void fitIteratively(Backend engine, double[][] x, double[] y, List<String> warnings) {
        int n = x.length;
        double mean = 0;
        double scale = 1;
        if (standardize) {
            for (double v : y) {
                mean += v;
            }
            mean /= n;
            double var = 0;
            for (double v : y) {
                var += (v - mean) * (v - mean);
            }
            scale = var > 0 ? Math.sqrt(var / n) : 1;
        }
        double[] t = new double[n];
        for (int i = 0; i < n; i++) {
            t[i] = (y[i] - mean) / scale;
        }
        double rate = !Double.isNaN(learningRate) ? learningRate : switch (solver) {
            case ADAGRAD -> 1.0;
            case SGD -> 0.01;
            default -> 0.1;
        };
        int limit = maxIterations > 0 ? maxIterations : solver == Solver.SGD ? 200 : 10_000;
        try (DesignMatrix data = DesignMatrix.of(x, standardize, standardize)) {
            LinearObjective objective = new LinearObjective(engine, data, 1, lambda, LinearObjective.squaredError(t));
            double[] theta = new double[objective.dimension()];
            LossMonitor monitor = new LossMonitor(solver.title(), rate, limit, scale * scale, progress)
                    .advice(() -> objective.stableLearningRate(2), standardize);
            warnings.forEach(monitor::warn);
            report = switch (solver) {
                case GRADIENT_DESCENT -> GradientMethods.gradientDescent(objective, theta, rate, limit, tolerance, monitor);
                case ADAGRAD -> GradientMethods.adagrad(objective, theta, rate, limit, tolerance, monitor);
                case SGD -> GradientMethods.sgd(objective, theta, rate, limit, batchSize, seed, tolerance, monitor);
                case CLOSED_FORM -> throw new AssertionError();
            };
            int d = data.features;
            coefficients = new double[d];
            intercept = mean + scale * theta[d];
            for (int j = 0; j < d; j++) {
                coefficients[j] = theta[j] * scale / data.scales[j];
                intercept -= coefficients[j] * data.means[j];
            }
        }
    }

    @Override
    public double[] predict(double[][] x) {
        requireFitted();
        Checks.columns("LinearRegression.predict", x, coefficients.length, featureNames);
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double s = intercept;
            for (int j = 0; j < coefficients.length; j++) {
                s += coefficients[j] * x[i][j];
            }
            out[i] = s;
        }
        return out;
    }

    /** The weights w, one per feature, in the features' original units. */
    public double[] coefficients() {
        requireFitted();
        return coefficients.clone();
    }

    /** The bias b. */
    public double intercept() {
        requireFitted();
        return intercept;
    }

    /** What the last fit did: iterations, loss per iteration, warnings. */
    public SolverReport report() {
        requireFitted();
        return report;
    }

    private void requireFitted() {
        if (coefficients == null) {
            throw new IllegalStateException("LinearRegression: call fit before using the model");
        }
    }
}
