package dev.panamax.bench;

import dev.panamax.engine.Backend;
import dev.panamax.engine.Backends;
import dev.panamax.engine.Tensor;
import dev.panamax.engine.Transpose;
import dev.panamax.engine.parallel.WorkerPool;
import dev.panamax.models.regression.LinearRegression;
import java.lang.foreign.Arena;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The closed-form least-squares fit of {@code rows × features} (default 1,000,000 × 64), and two references in
 * the same run:
 * <ul>
 *   <li>{@code gram}: one engine float32 GEMM {@code ZᵀZ} of a {@code rows × features} matrix, the "GEMM speed"
 *       the fit is held to;</li>
 *   <li>{@code crossProducts}: the fit's XᵀX pass alone, as the fit issues it: {@link Backend#crossProducts} (the
 *       double-precision SYRK fused with the sums) over 16 parts of the rows on the shared worker pool. Its ratio
 *       to the fit is the share of the fit spent in XᵀX; the rest is the provisional center, the 64 × 64
 *       Cholesky solve and its condition estimate, and the predictions the benchmark does not make.</li>
 * </ul>
 * All three use the shared worker pool ({@code -Dpanamax.threads}, default the core count).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
    "-Xmx6g"})
public class RegressionBenchmark {

    private static final int PARTS = 16;

    @Param({"1000000"})
    public int rows;

    @Param({"64"})
    public int features;

    private double[][] x;
    private double[] y;
    private Arena arena;
    private Tensor z;
    private Tensor gram;
    private double[][] partGrams;
    private double[] center;
    private Backend backend;

    @Setup(Level.Trial)
    public void setUp() {
        SplittableRandom random = new SplittableRandom(1);
        x = new double[rows][features];
        y = new double[rows];
        double[] w = new double[features];
        for (int j = 0; j < features; j++) {
            w[j] = random.nextDouble(-2, 2);
        }
        for (int i = 0; i < rows; i++) {
            double s = 3;
            for (int j = 0; j < features; j++) {
                x[i][j] = 10 * j + (1 + j % 5) * random.nextGaussian();
                s += w[j] * x[i][j];
            }
            y[i] = s + random.nextGaussian();
        }
        arena = Arena.ofShared();
        z = Tensor.randn(arena, 2, rows, features);
        gram = Tensor.zeros(arena, features, features);
        partGrams = new double[PARTS][features * features];
        center = new double[features + 1];          // the fit centers on the first rows' mean; cost is the same
        backend = Backends.select("auto");
    }

    /** {@code LinearRegression.fit} with the closed-form solver (normal equations in double, Cholesky). */
    @Benchmark
    public double[] closedFormFit() {
        return new LinearRegression().backend(backend).fit(x, y).coefficients();
    }

    /** The Gram matrix as one GEMM: {@code features² × rows} multiply-adds. */
    @Benchmark
    public Tensor gram() {
        backend.gemm(Transpose.T, Transpose.N, features, features, rows, 1f, z, 0, features, z, 0, features, 0f,
                gram, 0, features);
        return gram;
    }

    /**
     * The fit's XᵀX pass: the backend's cross products over 16 parts of the rows, each into its own sums (the
     * part rule of {@code CrossProducts.rowParts}, kept in step by hand: that class is internal to its package).
     */
    @Benchmark
    public double[][] crossProducts() {
        int parts = Math.max(1, Math.min(PARTS, rows / 4096));
        WorkerPool.shared().run(parts, p -> {
            java.util.Arrays.fill(partGrams[p], 0);
            backend.crossProducts(x, y, (int) ((long) rows * p / parts), (int) ((long) rows * (p + 1) / parts),
                    center, partGrams[p], new double[features], new double[features]);
        });
        return partGrams;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }
}
