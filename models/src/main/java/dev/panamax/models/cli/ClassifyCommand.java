package dev.panamax.models.cli;

import dev.panamax.engine.Backend;
import dev.panamax.engine.Backends;
import dev.panamax.models.plot.DecisionBoundaryChart;
import dev.panamax.models.plot.LineChart;
import dev.panamax.models.regression.Classifier;
import dev.panamax.models.regression.Dataset;
import dev.panamax.models.regression.DemoData;
import dev.panamax.models.regression.GaussianGenerativeClassifier;
import dev.panamax.models.regression.GaussianNaiveBayes;
import dev.panamax.models.regression.LogisticRegression;
import dev.panamax.models.regression.Metrics;
import dev.panamax.models.regression.SolverReport;
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
 * {@code panamax classify}: logistic regression, the Gaussian generative classifier or naive Bayes on a CSV (or the
 * embedded water-or-normal Pokémon data); reports accuracy, log-loss and the confusion matrix on the training and
 * held-out rows, and draws the decision boundary of two-feature data.
 */
@Command(name = "classify", sortOptions = false, mixinStandardHelpOptions = true,
        description = {"Fit a classifier (logistic regression, Gaussian generative, naive Bayes); report accuracy,",
            "log-loss and the confusion matrix. Without --csv it uses the embedded Pokémon type data (synthetic):",
            "water or normal from defense and sp_defense."})
final class ClassifyCommand implements Callable<Integer> {

    static final String EMBEDDED_TARGET = "type";
    static final List<String> EMBEDDED_FEATURES = List.of("defense", "sp_defense");

    @ParentCommand
    PanamaxCommand parent;

    @Mixin
    DataOptions options;

    @Option(names = "--model", defaultValue = "logistic",
            description = "logistic, gaussian or naive-bayes (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--covariance", defaultValue = "shared",
            description = "Gaussian model: shared or per-class (default: ${DEFAULT-VALUE}).")
    String covariance;

    @Option(names = "--solver", defaultValue = "lbfgs",
            description = "Logistic regression: lbfgs, gd or adagrad (default: ${DEFAULT-VALUE}).")
    String solver;

    @Option(names = "--lambda", defaultValue = "0", description = "L2 strength λ (default: ${DEFAULT-VALUE}).")
    double lambda;

    @Option(names = "--learning-rate", description = "Step size of gd/adagrad (default 0.5, 1).")
    Double learningRate;

    @Option(names = "--iterations", description = "Iteration limit of the logistic solvers.")
    Integer iterations;

    @Option(names = "--standardize", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Logistic regression on standardized features (default: on).")
    boolean standardize;


    @Override
    public Integer call() {
        PrintStream stdout = System.out;
        if (options.writeDemoCsv != null) {
            ModelRuns.writeDemoCsv(options.writeDemoCsv, DemoData.pokemonTypesCsv(), "the Pokémon type data", stdout);
            return 0;
        }
        String kind = model.trim().toLowerCase(Locale.ROOT);
        if (!List.of("logistic", "gaussian", "naive-bayes").contains(kind)) {
            throw new IllegalArgumentException("--model '" + model + "' is unknown; choose logistic, gaussian or "
                    + "naive-bayes");
        }
        var table = options.table(DemoData::pokemonTypes);
        String targetName = options.target(EMBEDDED_TARGET, table);
        List<String> featureNames = options.features(EMBEDDED_FEATURES);
        Dataset data = Dataset.forClassification(table, targetName, featureNames, options.oneHot);
        TrainTestSplit split = options.split(data.rows());
        double[][] xTrain = TrainTestSplit.rows(data.x(), split.train());
        int[] yTrain = TrainTestSplit.values(data.classes(), split.train());
        double[][] xTest = TrainTestSplit.rows(data.x(), split.test());
        int[] yTest = TrainTestSplit.values(data.classes(), split.test());
        List<String> labels = data.classLabels();
        List<String> names = data.featureNames();
        missingClassCheck(yTrain, labels);

        Classifier classifier = classifier(kind, names, labels);
        classifier.fit(xTrain, yTrain);
        SolverReport report = classifier instanceof LogisticRegression lr ? lr.report() : null;

        Map<String, Object> result = new LinkedHashMap<>();
        result.put("command", "classify");
        result.put("data", table.source());
        result.put("target", targetName);
        result.put("features", names);
        result.put("classes", labels);
        result.put("rows", ModelRuns.map("train", xTrain.length, "test", xTest.length));
        result.put("seed", options.seed);
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("kind", title(classifier));
        if (classifier instanceof LogisticRegression) {
            settings.put("solver", report.solver());
            settings.put("lambda", lambda);
            settings.put("standardize", standardize);
        }
        result.put("model", settings);
        parameters(classifier, names, labels, result);
        result.put("iterations", report == null ? 0 : report.iterations());
        result.put("converged", report == null || report.converged());
        result.put("final_loss", report == null ? null : report.finalLoss());
        result.put("train", metrics(classifier, xTrain, yTrain, labels.size()));
        result.put("test", xTest.length > 0 ? metrics(classifier, xTest, yTest, labels.size()) : null);
        result.put("warnings", report == null ? List.of() : report.warnings());
        List<String> plots = options.noPlots ? List.of()
                : ModelRuns.writing(() -> plots(data, classifier, report));
        result.put("plots", plots);
        if (options.json) {
            stdout.print(Json.write(result));
        } else {
            printReport(stdout, result, report, labels);
        }
        return 0;
    }

    /** A class absent from the training rows cannot be learned; say so rather than "class 1 has no rows". */
    private static void missingClassCheck(int[] yTrain, List<String> labels) {
        boolean[] seen = new boolean[labels.size()];
        for (int c : yTrain) {
            seen[c] = true;
        }
        for (int k = 0; k < seen.length; k++) {
            if (!seen[k]) {
                throw new IllegalArgumentException("class '" + labels.get(k) + "' has no training rows after the "
                        + "split; lower --test-fraction or change --seed");
            }
        }
    }

    private Classifier classifier(String kind, List<String> names, List<String> labels) {
        Backend backend = Backends.select(parent == null ? "auto" : parent.backend);
        return switch (kind) {
            case "logistic" -> {
                LogisticRegression lr = new LogisticRegression().solver(LogisticRegression.Solver.parse(solver))
                        .lambda(lambda).standardize(standardize).backend(backend).featureNames(names);
                if (learningRate != null) {
                    lr.learningRate(learningRate);
                }
                if (iterations != null) {
                    lr.maxIterations(iterations);
                }
                yield lr.progress(ModelRuns.progress(System.err, "logistic regression"));
            }
            case "gaussian" -> new GaussianGenerativeClassifier().covariance(switch (covariance.trim()
                            .toLowerCase(Locale.ROOT)) {
                        case "shared" -> GaussianGenerativeClassifier.Covariance.SHARED;
                        case "per-class", "per_class", "full" -> GaussianGenerativeClassifier.Covariance.PER_CLASS;
                        default -> throw new IllegalArgumentException("--covariance '" + covariance
                                + "' is unknown; choose shared or per-class");
                    }).backend(backend).featureNames(names).classNames(labels);
            default -> new GaussianNaiveBayes().featureNames(names);
        };
    }

    static String title(Classifier c) {
        return switch (c) {
            case LogisticRegression ignored -> "logistic regression";
            case GaussianGenerativeClassifier g -> "Gaussian generative classifier ("
                    + (g.covarianceKind() == GaussianGenerativeClassifier.Covariance.SHARED ? "shared" : "per-class")
                    + " covariance)";
            case GaussianNaiveBayes ignored -> "Gaussian naive Bayes";
            default -> c.getClass().getSimpleName();
        };
    }

    /**
     * The linear form where the model has one: with two classes {@code P(classes[1] | x) = σ(intercept +
     * coefficients·x)}; with more, one intercept and coefficient map per class (softmax). Generative models also
     * give their priors and class means.
     */
    private static void parameters(Classifier c, List<String> names, List<String> labels, Map<String, Object> out) {
        double[][] w = null;
        double[] b = null;
        if (c instanceof LogisticRegression lr) {
            w = lr.coefficients();
            b = lr.intercepts();
        } else if (c instanceof GaussianGenerativeClassifier g
                && g.covarianceKind() == GaussianGenerativeClassifier.Covariance.SHARED) {
            w = g.linearWeights();
            b = g.linearIntercepts();
            if (labels.size() == 2) {        // σ form: class 1 against class 0
                double[] diff = new double[w[0].length];
                for (int j = 0; j < diff.length; j++) {
                    diff[j] = w[1][j] - w[0][j];
                }
                w = new double[][] {diff};
                b = new double[] {b[1] - b[0]};
            }
        }
        if (w == null) {
            out.put("intercept", null);
            out.put("coefficients", null);
        } else if (w.length == 1) {
            out.put("probability_of", labels.get(1));
            out.put("intercept", b[0]);
            out.put("coefficients", named(names, w[0]));
        } else {
            Map<String, Object> intercepts = new LinkedHashMap<>();
            Map<String, Object> coefficients = new LinkedHashMap<>();
            for (int k = 0; k < w.length; k++) {
                intercepts.put(labels.get(k), b[k]);
                coefficients.put(labels.get(k), named(names, w[k]));
            }
            out.put("intercept", intercepts);
            out.put("coefficients", coefficients);
        }
        double[][] means = c instanceof GaussianGenerativeClassifier g ? g.means()
                : c instanceof GaussianNaiveBayes nb ? nb.means() : null;
        double[] priors = c instanceof GaussianGenerativeClassifier g ? g.priors()
                : c instanceof GaussianNaiveBayes nb ? nb.priors() : null;
        if (means != null) {
            Map<String, Object> p = new LinkedHashMap<>();
            Map<String, Object> m = new LinkedHashMap<>();
            for (int k = 0; k < means.length; k++) {
                p.put(labels.get(k), priors[k]);
                m.put(labels.get(k), named(names, means[k]));
            }
            out.put("priors", p);
            out.put("means", m);
        }
    }

    private static Map<String, Object> named(List<String> names, double[] values) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int j = 0; j < values.length; j++) {
            m.put(names.get(j), values[j]);
        }
        return m;
    }

    static Map<String, Object> metrics(Classifier c, double[][] x, int[] y, int classes) {
        double[][] proba = c.predictProba(x);
        int[] predicted = Metrics.argmax(proba);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("accuracy", Metrics.accuracy(y, predicted));
        m.put("log_loss", Metrics.logLoss(y, proba));
        List<Object> rows = new ArrayList<>();
        for (int[] row : Metrics.confusionMatrix(y, predicted, classes)) {
            rows.add(row);
        }
        m.put("confusion_matrix", rows);
        return m;
    }

    private List<String> plots(Dataset data, Classifier classifier, SolverReport report) {
        List<String> written = new ArrayList<>();
        if (data.featureNames().size() == 2) {
            written.add(new DecisionBoundaryChart(Character.toUpperCase(title(classifier).charAt(0))
                    + title(classifier).substring(1))
                    .xLabel(data.featureNames().get(0)).yLabel(data.featureNames().get(1))
                    .classes(data.classLabels()).classifier(classifier::predictProba)
                    .points(data.x(), data.classes())
                    .write(options.out("classify").resolve("boundary.png")).toString());
        }
        if (report != null && report.lossHistory().length > 1) {
            written.add(new LineChart("Training loss: logistic regression, " + report.solver())
                    .xLabel("iteration").yLabel("cross-entropy + λ‖w‖²/n").logY(true)
                    .line(report.solver(), report.lossHistory())
                    .write(options.out("classify").resolve("loss.png")).toString());
        }
        return written;
    }

    @SuppressWarnings("unchecked")
    private void printReport(PrintStream o, Map<String, Object> result, SolverReport report, List<String> labels) {
        Map<String, Object> counts = (Map<String, Object>) result.get("rows");
        Map<String, Object> settings = (Map<String, Object>) result.get("model");
        o.printf(Locale.ROOT, "%s on %s%n", capitalized((String) settings.get("kind")), result.get("data"));
        o.printf(Locale.ROOT, "  rows     %d train, %d test (seed %d)%n", counts.get("train"), counts.get("test"), options.seed);
        o.printf(Locale.ROOT, "  classes  %s%n", String.join(", ", labels));
        if (report != null) {
            o.printf(Locale.ROOT, "  solver   %s, %d iterations%s; λ = %s%n", report.solver(), report.iterations(),
                    report.converged() ? "" : " (not converged)", ModelRuns.number(lambda));
        }
        Object coefficients = result.get("coefficients");
        if (coefficients instanceof Map<?, ?> map && result.containsKey("probability_of")) {
            StringBuilder eq = new StringBuilder("  P(" + result.get("probability_of") + " | x) = σ("
                    + ModelRuns.number((Double) result.get("intercept")));
            for (Map.Entry<?, ?> e : map.entrySet()) {
                double v = (Double) e.getValue();
                eq.append(v < 0 ? " − " : " + ").append(ModelRuns.number(Math.abs(v))).append(" · ").append(e.getKey());
            }
            o.println(eq.append(")"));
        } else if (coefficients != null) {
            o.println("  softmax over one linear score per class (coefficients: see --json)");
        }
        Map<String, Object> train = (Map<String, Object>) result.get("train");
        Map<String, Object> test = (Map<String, Object>) result.get("test");
        o.println();
        o.printf(Locale.ROOT, "  %-9s %10s %10s%n", "", "train", test == null ? "" : "test");
        o.printf(Locale.ROOT, "  %-9s %10.3f %10s%n", "accuracy", (Double) train.get("accuracy"),
                test == null ? "" : String.format(Locale.ROOT, "%.3f", (Double) test.get("accuracy")));
        o.printf(Locale.ROOT, "  %-9s %10.4f %10s%n", "log-loss", (Double) train.get("log_loss"),
                test == null ? "" : String.format(Locale.ROOT, "%.4f", (Double) test.get("log_loss")));
        Map<String, Object> shown = test != null ? test : train;
        o.printf("  confusion matrix (%s rows; rows = true class, columns = predicted):%n",
                test != null ? "test" : "training");
        int width = Math.max(7, labels.stream().mapToInt(String::length).max().orElse(7) + 1);
        StringBuilder header = new StringBuilder("    " + " ".repeat(width));
        for (String l : labels) {
            header.append(String.format(Locale.ROOT, "%" + width + "s", l));
        }
        o.println(header);
        List<int[]> matrix = (List<int[]>) (List<?>) shown.get("confusion_matrix");
        for (int k = 0; k < labels.size(); k++) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "    %" + width + "s", labels.get(k)));
            for (int count : matrix.get(k)) {
                line.append(String.format(Locale.ROOT, "%" + width + "d", count));
            }
            o.println(line);
        }
        for (String warning : (List<String>) result.get("warnings")) {
            o.println("warning: " + warning);
        }
        RegressCommand.printPlots(o, result);
    }

    private static String capitalized(String s) {
        return Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }
}
