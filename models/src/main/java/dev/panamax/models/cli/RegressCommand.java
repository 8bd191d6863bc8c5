package dev.panamax.models.cli;

import dev.panamax.engine.Backend;
import dev.panamax.engine.Backends;
import dev.panamax.models.plot.LineChart;
import dev.panamax.models.regression.Dataset;
import dev.panamax.models.regression.DemoData;
import dev.panamax.models.regression.FeatureTransform;
import dev.panamax.models.regression.LinearRegression;
import dev.panamax.models.regression.Metrics;
import dev.panamax.models.regression.PolynomialFeatures;
import dev.panamax.models.regression.RegressionPipeline;
import dev.panamax.models.regression.Regressor;
import dev.panamax.models.regression.SolverReport;
import dev.panamax.models.regression.StandardScaler;
import dev.panamax.models.regression.TrainTestSplit;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code panamax regress}: fits linear (or polynomial, or ridge) regression to a CSV column, or to the embedded
 * Pokémon CP data, and reports coefficients and train/test errors; {@code --sweep} fits every degree and λ and
 * prints the course's overfitting table.
 */
@Command(name = "regress", sortOptions = false, mixinStandardHelpOptions = true,
        description = {"Fit linear, polynomial or ridge regression; report coefficients and train/test error.",
            "Without --csv it uses the embedded Pokémon CP data (synthetic): cp_after from cp_before."})
final class RegressCommand implements Callable<Integer> {

    static final String EMBEDDED_TARGET = "cp_after";
    static final List<String> EMBEDDED_FEATURES = List.of("cp_before");

    @ParentCommand
    PanamaxCommand parent;

    @Mixin
    DataOptions options;

    @Option(names = "--degree", defaultValue = "1", description = "Polynomial degree (default: ${DEFAULT-VALUE}).")
    int degree;

    @Option(names = "--lambda", defaultValue = "0", description = "L2 strength λ (default: ${DEFAULT-VALUE}).")
    double lambda;

    @Option(names = "--solver", defaultValue = "closed",
            description = "closed, gd, adagrad or sgd (default: ${DEFAULT-VALUE}).")
    String solver;

    @Option(names = "--learning-rate", description = "Step size of gd/adagrad/sgd (default 0.1, 1, 0.01).")
    Double learningRate;

    @Option(names = "--iterations", description = "Iteration limit of gd/adagrad, epochs of sgd.")
    Integer iterations;

    @Option(names = "--batch-size", defaultValue = "32", description = "SGD batch size (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--standardize", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Standardize features (λ then penalizes standardized weights; default: on).")
    boolean standardize;

    @Option(names = "--sweep", description = "Fit every --degrees × --lambdas; print and plot train/test error.")
    boolean sweep;

    @Option(names = "--degrees", split = ",", defaultValue = "1,2,3,4,5",
            description = "Degrees of the sweep (default: ${DEFAULT-VALUE}).")
    int[] degrees;

    @Option(names = "--lambdas", split = ",", defaultValue = "0,0.1,1,10,100",
            description = "λ values of the sweep (default: ${DEFAULT-VALUE}).")
    double[] lambdas;


    @Override
    public Integer call() {
        PrintStream stdout = System.out;
        if (options.writeDemoCsv != null) {
            ModelRuns.writeDemoCsv(options.writeDemoCsv, DemoData.pokemonCpCsv(), "the Pokémon CP data", stdout);
            return 0;
        }
        if (degree < 1) {
            throw new IllegalArgumentException("--degree must be >= 1, got " + degree);
        }
        LinearRegression.Solver solverKind = LinearRegression.Solver.parse(solver);
        var table = options.table(DemoData::pokemonCp);
        String targetName = options.target(EMBEDDED_TARGET, table);
        List<String> featureNames = options.features(EMBEDDED_FEATURES);
        Dataset data = Dataset.forRegression(table, targetName, featureNames, options.oneHot);
        TrainTestSplit split = options.split(data.rows());
        Rows rows = new Rows(data, split);
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("command", "regress");
        result.put("data", table.source());
        result.put("target", targetName);
        result.put("features", data.featureNames());
        result.put("rows", ModelRuns.map("train", split.train().length, "test", split.test().length));
        result.put("seed", options.seed);
        if (sweep) {
            return sweep(data, rows, solverKind, result, stdout);
        }
        Backend backend = backend();
        Regressor model = model(solverKind, degree, lambda, backend, data.featureNames());
        model.fit(rows.xTrain, rows.yTrain);
        LinearRegression linear = linearOf(model);
        List<String> coefficientNames = model instanceof RegressionPipeline p ? p.featureNames(data.featureNames())
                : data.featureNames();
        SolverReport report = linear.report();

        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("kind", degree == 1 ? "linear regression" : "polynomial regression");
        settings.put("degree", degree);
        settings.put("lambda", lambda);
        settings.put("standardize", standardize);
        settings.put("solver", report.solver());
        if (degree > 1) {
            settings.put("feature_transform", (standardize ? "standardize, then " : "") + "all monomials up to degree "
                    + degree);
        }
        result.put("model", settings);
        result.put("intercept", linear.intercept());
        Map<String, Object> coefficients = new LinkedHashMap<>();
        double[] w = linear.coefficients();
        for (int j = 0; j < w.length; j++) {
            coefficients.put(coefficientNames.get(j), w[j]);
        }
        result.put("coefficients", coefficients);
        result.put("iterations", report.iterations());
        result.put("converged", report.converged());
        result.put("final_loss", report.lossHistory().length > 0 ? report.finalLoss() : null);
        result.put("train", metrics(rows.yTrain, model.predict(rows.xTrain)));
        result.put("test", rows.xTest.length > 0 ? metrics(rows.yTest, model.predict(rows.xTest)) : null);
        result.put("warnings", report.warnings());
        List<String> plots = options.noPlots ? List.of() : ModelRuns.writing(() -> plots(data, rows, model, report));
        result.put("plots", plots);

        if (options.json) {
            stdout.print(Json.write(result));
        } else {
            printReport(stdout, result, coefficientNames, w, linear.intercept(), report, targetName);
        }
        return 0;
    }

    String backendName() {
        return parent == null ? "auto" : parent.backend;
    }

    private Backend backend() {
        return Backends.select(backendName());
    }

    /** The features and target split into train and test rows. */
    record Rows(double[][] xTrain, double[] yTrain, double[][] xTest, double[] yTest) {
        Rows(Dataset data, TrainTestSplit split) {
            this(TrainTestSplit.rows(data.x(), split.train()), TrainTestSplit.values(data.y(), split.train()),
                    TrainTestSplit.rows(data.x(), split.test()), TrainTestSplit.values(data.y(), split.test()));
        }
    }

    /**
     * Linear regression, behind standardization and polynomial features when degree > 1 (standardizing first keeps
     * the powers of large values from becoming nearly parallel columns).
     */
    private Regressor model(LinearRegression.Solver solverKind, int deg, double lam, Backend backend,
                            List<String> names) {
        LinearRegression linear = new LinearRegression().solver(solverKind).lambda(lam).standardize(standardize)
                .batchSize(batchSize).seed(options.seed).backend(backend);
        if (learningRate != null) {
            linear.learningRate(learningRate);
        }
        if (iterations != null) {
            linear.maxIterations(iterations);
        }
        if (solverKind != LinearRegression.Solver.CLOSED_FORM) {
            linear.progress(ModelRuns.progress(System.err, solverKind.title()));
        }
        if (deg == 1) {
            return linear.featureNames(names);
        }
        FeatureTransform[] steps = standardize
                ? new FeatureTransform[] {new StandardScaler(), new PolynomialFeatures(deg)}
                : new FeatureTransform[] {new PolynomialFeatures(deg)};
        return new RegressionPipeline(linear, steps).inputNames(names);
    }

    /** The linear model itself, inside its pipeline when there is one. */
    private static LinearRegression linearOf(Regressor model) {
        return (LinearRegression) (model instanceof RegressionPipeline p ? p.model() : model);
    }

    static Map<String, Object> metrics(double[] y, double[] predicted) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mse", Metrics.mse(y, predicted));
        m.put("rmse", Metrics.rmse(y, predicted));
        m.put("mae", Metrics.mae(y, predicted));
        m.put("r2", Metrics.r2(y, predicted));
        return m;
    }

    /** The fitted curve over the data (one feature) and the loss per iteration (iterative solvers). */
    private List<String> plots(Dataset data, Rows rows, Regressor model, SolverReport report) {
        List<String> written = new ArrayList<>();
        if (data.featureNames().size() == 1) {
            double lo = Double.POSITIVE_INFINITY;
            double hi = Double.NEGATIVE_INFINITY;
            for (double[] r : data.x()) {
                lo = Math.min(lo, r[0]);
                hi = Math.max(hi, r[0]);
            }
            int steps = 300;
            double[] gx = new double[steps];
            double[][] grid = new double[steps][1];
            for (int i = 0; i < steps; i++) {
                gx[i] = lo + (hi - lo) * i / (steps - 1);
                grid[i][0] = gx[i];
            }
            String feature = data.featureNames().getFirst();
            LineChart chart = new LineChart(String.format(Locale.ROOT, "%s from %s: degree %d, λ = %s",
                    data.targetName(), feature, degree, ModelRuns.number(lambda)))
                    .xLabel(feature).yLabel(data.targetName())
                    .points("train (" + rows.xTrain.length + ")", column(rows.xTrain), rows.yTrain);
            if (rows.xTest.length > 0) {
                chart.points("test (" + rows.xTest.length + ")", column(rows.xTest), rows.yTest);
            }
            chart.line("fitted", gx, model.predict(grid));
            written.add(chart.write(options.out("regress").resolve("fit.png")).toString());
        }
        if (report.lossHistory().length > 1) {
            written.add(new LineChart("Training loss: " + report.solver()).xLabel(
                            report.solver().contains("SGD") ? "epoch" : "iteration")
                    .yLabel("loss (MSE + λ‖w‖²/n)").logY(true)
                    .line(report.solver(), report.lossHistory())
                    .write(options.out("regress").resolve("loss.png")).toString());
        }
        return written;
    }

    private static double[] column(double[][] x) {
        double[] c = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            c[i] = x[i][0];
        }
        return c;
    }

    private void printReport(PrintStream o, Map<String, Object> result, List<String> names, double[] w,
                             double intercept, SolverReport report, String targetName) {
        @SuppressWarnings("unchecked")
        Map<String, Object> counts = (Map<String, Object>) result.get("rows");
        o.printf(Locale.ROOT, "%s on %s%n", degree == 1 ? "Linear regression" : "Polynomial regression (degree "
                + degree + ")", result.get("data"));
        o.printf(Locale.ROOT, "  rows     %d train, %d test (seed %d)%n", counts.get("train"), counts.get("test"), options.seed);
        boolean closedForm = report.solver().equals("closed form");
        String steps = !closedForm ? report.iterations() + " iterations"
                : report.iterations() == 0 ? "normal equations in double, well-conditioned: no refinement"
                : report.iterations() + " refinement steps (ill-conditioned features)";
        o.printf(Locale.ROOT, "  solver   %s, %s%s%n", report.solver(), steps,
                report.converged() ? "" : " (not converged)");
        o.printf(Locale.ROOT, "  model    λ = %s, features %s%n", ModelRuns.number(lambda),
                standardize ? "standardized" : "as given");
        o.println();
        if (w.length <= 4) {
            StringBuilder eq = new StringBuilder("  " + targetName + " = " + ModelRuns.number(intercept));
            for (int j = 0; j < w.length; j++) {
                eq.append(w[j] < 0 ? " − " : " + ").append(ModelRuns.number(Math.abs(w[j]))).append(" · ")
                        .append(names.get(j));
            }
            o.println(eq);
        } else {
            int width = Math.max(9, names.stream().mapToInt(String::length).max().orElse(9));
            o.printf(Locale.ROOT, "  %-" + width + "s  %s%n", "intercept", ModelRuns.number(intercept));
            for (int j = 0; j < w.length; j++) {
                o.printf(Locale.ROOT, "  %-" + width + "s  %s%n", names.get(j), ModelRuns.number(w[j]));
            }
        }
        o.println();
        printMetrics(o, result);
        for (String warning : report.warnings()) {
            o.println("warning: " + warning);
        }
        printPlots(o, result);
    }

    @SuppressWarnings("unchecked")
    private static void printMetrics(PrintStream o, Map<String, Object> result) {
        Map<String, Object> train = (Map<String, Object>) result.get("train");
        Map<String, Object> test = (Map<String, Object>) result.get("test");
        o.printf(Locale.ROOT, "  %-6s %12s %12s%n", "", "train", test == null ? "" : "test");
        for (String[] m : new String[][] {{"rmse", "RMSE"}, {"mae", "MAE"}, {"r2", "R²"}}) {
            o.printf(Locale.ROOT, "  %-6s %12s %12s%n", m[1], ModelRuns.number((Double) train.get(m[0])),
                    test == null ? "" : ModelRuns.number((Double) test.get(m[0])));
        }
    }

    static void printPlots(PrintStream o, Map<String, Object> result) {
        @SuppressWarnings("unchecked")
        List<String> plots = (List<String>) result.get("plots");
        if (!plots.isEmpty()) {
            o.println("  charts   " + String.join(", ", plots));
        }
    }

    /** Every degree × λ: train and test RMSE, the best cell by test error, and two charts. */
    private int sweep(Dataset data, Rows rows, LinearRegression.Solver solverKind, Map<String, Object> result,
                      PrintStream o) {
        if (rows.xTest.length == 0) {
            throw new IllegalArgumentException("--sweep compares test errors: --test-fraction must be > 0");
        }
        for (int d : degrees) {
            if (d < 1) {
                throw new IllegalArgumentException("--degrees must all be >= 1, got " + d);
            }
        }
        for (double l : lambdas) {
            if (!(l >= 0) || !Double.isFinite(l)) {
                throw new IllegalArgumentException("--lambdas must all be finite and >= 0, got " + l);
            }
        }
        Backend backend = backend();
        double[][] trainRmse = new double[degrees.length][lambdas.length];
        double[][] testRmse = new double[degrees.length][lambdas.length];
        List<Map<String, Object>> cells = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        int bestD = 0;
        int bestL = 0;
        for (int a = 0; a < degrees.length; a++) {
            for (int b = 0; b < lambdas.length; b++) {
                Regressor model = model(solverKind, degrees[a], lambdas[b], backend, data.featureNames());
                model.fit(rows.xTrain, rows.yTrain);
                LinearRegression linear = linearOf(model);
                for (String w : linear.report().warnings()) {
                    warnings.add("degree " + degrees[a] + ", λ = " + ModelRuns.number(lambdas[b]) + ": " + w);
                }
                Map<String, Object> train = metrics(rows.yTrain, model.predict(rows.xTrain));
                Map<String, Object> test = metrics(rows.yTest, model.predict(rows.xTest));
                trainRmse[a][b] = (Double) train.get("rmse");
                testRmse[a][b] = (Double) test.get("rmse");
                if (testRmse[a][b] < testRmse[bestD][bestL]) {
                    bestD = a;
                    bestL = b;
                }
                Map<String, Object> cell = new LinkedHashMap<>();
                cell.put("degree", degrees[a]);
                cell.put("lambda", lambdas[b]);
                cell.put("iterations", linear.report().iterations());
                cell.put("train", train);
                cell.put("test", test);
                cells.add(cell);
            }
        }
        result.put("model", ModelRuns.map("kind", "polynomial regression sweep", "solver", solverKind.title(),
                "standardize", standardize));
        result.put("sweep", cells);
        result.put("best", ModelRuns.map("degree", degrees[bestD], "lambda", lambdas[bestL], "test_rmse",
                testRmse[bestD][bestL]));
        result.put("warnings", warnings);
        List<String> plots = options.noPlots ? List.of() : ModelRuns.writing(() -> sweepPlots(data, trainRmse, testRmse));
        result.put("plots", plots);
        if (options.json) {
            o.print(Json.write(result));
            return 0;
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> counts = (Map<String, Object>) result.get("rows");
        o.printf(Locale.ROOT, "Polynomial regression sweep on %s: %s from %s%n", result.get("data"),
                data.targetName(), String.join(", ", data.featureNames()));
        o.printf(Locale.ROOT, "  %d train rows, %d test rows (seed %d), %s; RMSE train / test%n", counts.get("train"),
                counts.get("test"), options.seed, solverKind.title());
        StringBuilder header = new StringBuilder(String.format(Locale.ROOT, "  %6s", "degree"));
        for (double l : lambdas) {
            header.append(String.format(Locale.ROOT, " %19s", "λ = " + ModelRuns.number(l)));
        }
        o.println(header);
        for (int a = 0; a < degrees.length; a++) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  %6d", degrees[a]));
            for (int b = 0; b < lambdas.length; b++) {
                String cell = String.format(Locale.ROOT, "%.1f / %.1f", trainRmse[a][b], testRmse[a][b]);
                line.append(String.format(Locale.ROOT, " %18s%s", cell, a == bestD && b == bestL ? "*" : " "));
            }
            o.println(line);
        }
        o.printf(Locale.ROOT, "  * lowest test RMSE: degree %d, λ = %s (%s)%n", degrees[bestD],
                ModelRuns.number(lambdas[bestL]), ModelRuns.number(testRmse[bestD][bestL]));
        if (!warnings.isEmpty()) {
            o.println("  " + warnings.size() + " fit(s) had warnings (see --json); e.g. " + warnings.getFirst());
        }
        printPlots(o, result);
        return 0;
    }

    /** Train and test error against degree without λ (overfitting), and test error for every λ (regularization). */
    private List<String> sweepPlots(Dataset data, double[][] trainRmse, double[][] testRmse) {
        double[] x = new double[degrees.length];
        for (int a = 0; a < degrees.length; a++) {
            x[a] = degrees[a];
        }
        int first = 0;
        double[] train0 = new double[degrees.length];
        double[] test0 = new double[degrees.length];
        for (int a = 0; a < degrees.length; a++) {
            train0[a] = trainRmse[a][first];
            test0[a] = testRmse[a][first];
        }
        String lambda0 = "λ = " + ModelRuns.number(lambdas[first]);
        List<String> written = new ArrayList<>();
        written.add(new LineChart("Error against polynomial degree, " + lambda0).xLabel("degree")
                .yLabel("RMSE of " + data.targetName()).logY(true)
                .lineWithPoints("train", x, train0)
                .lineWithPoints("test", x, test0)
                .write(options.out("regress").resolve("sweep.png")).toString());
        LineChart byLambda = new LineChart("Test error against degree, for each λ").xLabel("degree")
                .yLabel("test RMSE of " + data.targetName()).logY(true);
        for (int b = 0; b < lambdas.length; b++) {
            double[] t = new double[degrees.length];
            for (int a = 0; a < degrees.length; a++) {
                t[a] = testRmse[a][b];
            }
            byLambda.lineWithPoints("λ = " + ModelRuns.number(lambdas[b]), x, t);
        }
        written.add(byLambda.write(options.out("regress").resolve("sweep-lambda.png")).toString());
        return written;
    }
}
