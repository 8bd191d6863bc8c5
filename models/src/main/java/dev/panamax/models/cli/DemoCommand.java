package dev.panamax.models.cli;

import dev.panamax.engine.Backend;
import dev.panamax.engine.Backends;
import dev.panamax.engine.ScalarBackend;
import dev.panamax.engine.Tensor;
import dev.panamax.engine.parallel.WorkerPool;
import dev.panamax.models.regression.Classifier;
import dev.panamax.models.regression.Dataset;
import dev.panamax.models.regression.DemoData;
import dev.panamax.models.regression.GaussianGenerativeClassifier;
import dev.panamax.models.regression.GaussianNaiveBayes;
import dev.panamax.models.regression.LinearRegression;
import dev.panamax.models.regression.LogisticRegression;
import dev.panamax.models.regression.Metrics;
import dev.panamax.models.regression.PolynomialFeatures;
import dev.panamax.models.regression.RegressionPipeline;
import dev.panamax.models.regression.TrainTestSplit;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * The main demo, in the course's order. First regression on the embedded Pokémon CP data: the degree × λ sweep
 * that shows overfitting and how L2 regularization tames it. Then classification of water against normal types:
 * logistic regression with its decision boundary, and the generative models beside it. Last, the engine itself:
 * matrices multiplied by the scalar reference and the chosen backend, checked against each other, with the
 * speed-up (a quick look; the JMH numbers come from {@code ./panamax bench}). Then a small GPT learns a generated
 * language of sums, and a tiny diffusion model learns to draw shapes from noise, leaving a PNG to open.
 */
@Command(name = "demo", description = {"The course's regression and classification lessons on the embedded data,",
    "a GEMM comparison of the scalar reference and the SIMD backend, a small GPT learning sums,",
    "and a tiny diffusion model drawing shapes."})
final class DemoCommand implements Callable<Integer> {

    @ParentCommand
    private PanamaxCommand parent;

    @Option(names = "--out", defaultValue = "runs/demo", paramLabel = "DIR",
            description = "Directory for the charts (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--sizes", split = ",", defaultValue = "128,512,1024",
            description = "Square matrix sizes to multiply (default: ${DEFAULT-VALUE}).")
    int[] sizes;

    @Option(names = "--seconds", defaultValue = "1.0", description = "Time spent per measurement (default: ${DEFAULT-VALUE}).")
    double seconds;

    @Option(names = "--gpt-iters", defaultValue = "300",
            description = "Training steps of the GPT section, 0 skips it (default: ${DEFAULT-VALUE}).")
    int gptIters;

    @Override
    public Integer call() {
        for (int n : sizes) {
            if (n < 1) {
                throw new IllegalArgumentException("--sizes: every size must be >= 1, got " + n);
            }
        }
        Backend backend = Backends.select(parent.backend);
        regression();
        classification();
        System.out.println();
        System.out.println("3. The engine under both: C = A·B, scalar reference against the " + backend.name() + " backend");
        gemm(backend);
        if (gptIters > 0) {
            System.out.println();
            System.out.println("4. A GPT learns a language (course ch. 1, 5-7): single-digit sums, a+b=c, one per line");
            System.out.println();
            GptDemo.run(gptIters, backend, out.resolve("gpt"), System.out);
        }
        System.out.println();
        System.out.println("5. Diffusion (course ch. 8): a tiny U-Net learns to draw shapes from noise");
        System.out.println();
        System.out.println("  open " + DiffusionDemo.run(parent, out.resolve("diffusion"), 25)
                + " (one row per shape class, generated from pure noise)");
        return 0;
    }

    /** The overfitting table, then what the species adds. */
    private void regression() {
        System.out.println("1. Regression (course ch. 2): predict a Pokémon's CP after evolution");
        System.out.println();
        RegressCommand sweep = new RegressCommand();
        new CommandLine(sweep).parseArgs("--sweep", "--out", out.resolve("regress").toString());
        sweep.parent = parent;
        sweep.call();
        Dataset withSpecies = Dataset.forRegression(DemoData.pokemonCp(), RegressCommand.EMBEDDED_TARGET,
                List.of("cp_before", "species"), List.of("species"));
        TrainTestSplit split = TrainTestSplit.of(withSpecies.rows(), sweep.options.testFraction, sweep.options.seed);
        RegressionPipeline bySpecies = new RegressionPipeline(new LinearRegression()
                .backend(Backends.select(parent.backend)), new PolynomialFeatures(2));
        bySpecies.fit(TrainTestSplit.rows(withSpecies.x(), split.train()),
                TrainTestSplit.values(withSpecies.y(), split.train()));
        double rmse = Metrics.rmse(TrainTestSplit.values(withSpecies.y(), split.test()),
                bySpecies.predict(TrainTestSplit.rows(withSpecies.x(), split.test())));
        System.out.printf(Locale.ROOT, "  Higher degrees fit the training rows better and the test rows worse; λ "
                + "trades the two.%n  What CP alone cannot see is the species: with it (one-hot, and a CP slope per "
                + "species)%n  the test RMSE is %.1f. Try: ./panamax regress --features cp_before,species "
                + "--one-hot species --degree 2%n", rmse);
    }

    /** Logistic regression with its report and boundary, then every classifier on two and on six features. */
    private void classification() {
        System.out.println();
        System.out.println("2. Classification (course ch. 3-4): water or normal type?");
        System.out.println();
        ClassifyCommand logistic = new ClassifyCommand();
        new CommandLine(logistic).parseArgs("--out", out.resolve("classify").toString());
        logistic.parent = parent;
        logistic.call();
        System.out.println();
        System.out.println("  Test accuracy of each classifier (same split):");
        System.out.printf(Locale.ROOT, "  %-52s %16s %14s%n", "", "defense, sp_def", "all 6 stats");
        List<Supplier<Classifier>> models = List.of(
                () -> new LogisticRegression().standardize(true),
                () -> new GaussianGenerativeClassifier(),
                () -> new GaussianGenerativeClassifier().covariance(GaussianGenerativeClassifier.Covariance.PER_CLASS),
                GaussianNaiveBayes::new);
        for (Supplier<Classifier> model : models) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  %-52s",
                    ClassifyCommand.title(model.get())));
            for (List<String> features : List.of(ClassifyCommand.EMBEDDED_FEATURES, List.<String>of())) {
                Dataset data = Dataset.forClassification(DemoData.pokemonTypes(), ClassifyCommand.EMBEDDED_TARGET,
                        features, null);
                TrainTestSplit split = TrainTestSplit.of(data.rows(), logistic.options.testFraction, logistic.options.seed);
                Classifier c = model.get().fit(TrainTestSplit.rows(data.x(), split.train()),
                        TrainTestSplit.values(data.classes(), split.train()));
                double accuracy = c.score(TrainTestSplit.rows(data.x(), split.test()),
                        TrainTestSplit.values(data.classes(), split.test()));
                line.append(String.format(Locale.ROOT, " %" + (features.isEmpty() ? 14 : 16) + ".3f", accuracy));
            }
            System.out.println(line);
        }
    }

    private void gemm(Backend backend) {
        Backend scalar = new ScalarBackend();
        System.out.printf("   on %s, %d threads%n", backend, WorkerPool.shared().threads());
        System.out.printf("%8s %14s %14s %10s %16s%n", "n", "scalar GF/s", backend.name() + " GF/s", "speed-up",
                "max |diff|/|C|");
        for (int n : sizes) {
            try (Arena arena = Arena.ofShared()) {
                Tensor a = Tensor.randn(arena, 1, n, n);
                Tensor b = Tensor.randn(arena, 2, n, n);
                Tensor reference = Tensor.zeros(arena, n, n);
                Tensor c = Tensor.zeros(arena, n, n);
                // The scalar reference is O(n³) plain loops: time it on a row block when n is large.
                int scalarRows = n <= 256 ? n : Math.max(1, 256 * 256 / n);
                double scalarRate = rate(() -> scalar.matmul(a.rows(0, scalarRows), b, reference.rows(0, scalarRows)),
                        2.0 * scalarRows * n * n, seconds);
                double fastRate = rate(() -> backend.matmul(a, b, c), 2.0 * n * n * n, seconds);
                double worst = 0;
                float[] want = reference.rows(0, scalarRows).toArray();
                float[] got = c.rows(0, scalarRows).toArray();
                double scale = 0;
                for (float w : want) {
                    scale = Math.max(scale, Math.abs(w));
                }
                for (int i = 0; i < want.length; i++) {
                    worst = Math.max(worst, Math.abs(want[i] - got[i]) / scale);
                }
                System.out.printf("%8d %14.2f %14.2f %9.1fx %16.2e%n", n, scalarRate, fastRate, fastRate / scalarRate,
                        worst);
            }
        }
        System.out.println("Benchmarks with JMH, against OpenBLAS and the machine's peak: ./panamax bench");
    }

    /**
     * GFLOP/s of the best of several timed runs. The first half of the budget is warm-up, so the JIT has compiled
     * the kernels before the clock counts.
     */
    private static double rate(Runnable work, double flops, double seconds) {
        long budget = (long) (seconds * 0.5e9);
        long warmUpEnd = System.nanoTime() + budget;
        do {
            work.run();
        } while (System.nanoTime() < warmUpEnd);
        long start = System.nanoTime();
        double best = 0;
        do {
            long t0 = System.nanoTime();
            work.run();
            best = Math.max(best, flops / (System.nanoTime() - t0));
        } while (System.nanoTime() - start < budget);
        return best;
    }
}
