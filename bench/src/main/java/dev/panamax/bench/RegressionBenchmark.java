package dev.panamax.bench;

import dev.panamax.engine.Backend;
import dev.panamax.engine.Backends;
import dev.panamax.engine.Tensor;
import dev.panamax.engine.Transpose;
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
 * The closed-form least-squares fit of {@code rows × features} (default 1,000,000 × 64), and, separately, the one
 * GEMM inside it that forms the Gram matrix: {@code ZᵀZ} of the centered features with the target appended as one
 * more column ({@code rows × (features + 1)}, exactly the product the fit runs). Their ratio is the share of the
 * fit spent in XᵀX; the rest is converting and centering the double rows, the double-precision residual passes of
 * iterative refinement, and their GEMVs (see bench/README.md).
 *
 * <p>Both use the shared worker pool ({@code -Dpanamax.threads}, default the core count).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
    "-Xmx6g"})
public class RegressionBenchmark {

    @Param({"1000000"})
    public int rows;

    @Param({"64"})
    public int features;

    private double[][] x;
    private double[] y;
    private Arena arena;
    private Tensor z;
    private Tensor gram;
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
        z = Tensor.randn(arena, 2, rows, features + 1);
        gram = Tensor.zeros(arena, features + 1, features + 1);
        backend = Backends.select("auto");
    }

    /** {@code LinearRegression.fit} with the closed-form solver (normal equations, Cholesky, refinement). */
    @Benchmark
    public double[] closedFormFit() {
        return new LinearRegression().backend(backend).fit(x, y).coefficients();
    }

    /** The Gram GEMM alone: {@code (features+1)² × rows} multiply-adds, as the fit issues it. */
    @Benchmark
    public Tensor gram() {
        int width = features + 1;
        backend.gemm(Transpose.T, Transpose.N, width, width, rows, 1f, z, 0, width, z, 0, width, 0f, gram, 0, width);
        return gram;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }
}
