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
 * The closed-form least-squares fit of {@code rows × features} (default 1,000,000 × 64), and two references on
 * the same float32 data in the same run:
 * <ul>
 *   <li>{@code gram}: one engine GEMM {@code ZᵀZ} of the whole {@code rows × features} matrix, the "GEMM speed"
 *       the fit is held to;</li>
 *   <li>{@code gramInBlocks}: the XᵀX work exactly as the fit issues it: one SYRK per block of
 *       {@link #blockRows} rows, spread over the shared worker pool. Its ratio to the fit is the share of the fit
 *       spent in XᵀX; the rest is converting the double rows (with the sums taken in double) and the one
 *       double-precision refinement pass (see bench/README.md).</li>
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
    private Tensor partGrams;
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
        partGrams = Tensor.zeros(arena, PARTS, features, features);
        backend = Backends.select("auto");
    }

    /** {@code LinearRegression.fit} with the closed-form solver (normal equations, Cholesky, refinement). */
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
     * Rows per block in the fit: {@code CrossProducts.blockRows}, a 256 KiB float block (kept in step with it by
     * hand; the fit's class is internal to its package).
     */
    static int blockRows(int features) {
        return Math.max(256, (1 << 16) / features / 8 * 8);
    }

    /** The fit's XᵀX work: one SYRK per block into a per-part Gram, blocks spread over the pool in 16 parts. */
    @Benchmark
    public Tensor gramInBlocks() {
        int block = blockRows(features);
        int blocks = (rows + block - 1) / block;
        int parts = Math.min(PARTS, blocks);
        WorkerPool.shared().run(parts, p -> {
            for (int b = blocks * p / parts; b < blocks * (p + 1) / parts; b++) {
                int from = b * block;
                int count = Math.min(rows, from + block) - from;
                backend.syrk(Transpose.T, features, count, 1f, z, (long) from * features, features, 0f,
                        partGrams, (long) p * features * features, features);
            }
        });
        return partGrams;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }
}
