package dev.panamax.bench;

import dev.panamax.engine.Backend;
import dev.panamax.engine.ScalarBackend;
import dev.panamax.engine.SimdBackend;
import dev.panamax.engine.Tensor;
import dev.panamax.engine.Transpose;
import dev.panamax.engine.parallel.WorkerPool;
import java.lang.foreign.Arena;
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
 * Time of one row-major {@code C = A·B} (no transposes, alpha 1, beta 0) per backend, thread count and shape, so
 * that {@link GemmReport} can turn it into GFLOP/s and hold the SIMD kernels against OpenBLAS and the machine's
 * FMA peak.
 *
 * <p>The shapes mix square sizes (cache blocking at growing scale) with the transformer shapes the models run: a
 * 768-wide projection with a short or long inner dimension, a ragged N of 65 (a tail in every micro-panel), and
 * the single-row GEMV of token-by-token decoding.
 *
 * <p>The {@code cuda} rows time each product with CUDA events ({@link GpuTime}, secondary metric
 * {@code gpuMsPerCall}); the operands stay on the GPU between calls. They need threads=1 and a usable GPU.
 *
 * <p>Not every combination is meaningful: the scalar backend is single-threaded and takes minutes on the large
 * shapes, and the OpenBLAS rows need the native library. {@link GemmReport} runs only the sensible subsets; when
 * this class is run directly, those combinations fail in {@link #setUp()} with the reason rather than reporting
 * a misleading number.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class GemmBenchmark {

    /** Backend names, as the {@code backend} parameter and the report spell them. */
    public static final String SCALAR = "scalar";
    public static final String SIMD = "simd";
    public static final String OPENBLAS = "openblas";
    public static final String CUDA = "cuda";

    @Param({SCALAR, SIMD, OPENBLAS, CUDA})
    public String backend;

    @Param({"1", "2"})
    public int threads;

    /** {@code "n"} for n×n×n, else {@code "MxKxN"}; see {@link GemmSize}. */
    @Param({"256", "512", "1024", "2048", "768x128x512", "768x512x128", "768x128x65", "1x768x2304"})
    public String shape;

    private Arena arena;
    private WorkerPool pool;
    private Runnable multiply;
    /** Set for the cuda rows: their calls are timed with CUDA events ({@link GpuTime}). */
    private dev.panamax.engine.cuda.CudaBackend cuda;

    @Setup(Level.Trial)
    public void setUp() {
        GemmSize size = GemmSize.parse(shape);
        arena = Arena.ofShared();
        Tensor a = Tensor.randn(arena, 1, size.m(), size.k());
        Tensor b = Tensor.randn(arena, 2, size.k(), size.n());
        Tensor c = Tensor.zeros(arena, size.m(), size.n());
        int m = size.m();
        int n = size.n();
        int k = size.k();
        multiply = switch (backend) {
            case SCALAR -> {
                if (threads != 1) {
                    throw new IllegalArgumentException("the scalar backend is single-threaded; run it with threads=1, "
                            + "not " + threads);
                }
                Backend scalar = new ScalarBackend();
                yield () -> scalar.gemm(Transpose.N, Transpose.N, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c, 0, n);
            }
            case SIMD -> {
                pool = new WorkerPool(threads);
                Backend simd = new SimdBackend(pool);
                yield () -> simd.gemm(Transpose.N, Transpose.N, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c, 0, n);
            }
            case OPENBLAS -> {
                if (!OpenBlas.isAvailable()) {
                    throw new IllegalStateException("OpenBLAS is not available: " + OpenBlas.unavailableReason());
                }
                OpenBlas.setNumThreads(threads);
                yield () -> OpenBlas.sgemm(Transpose.N, Transpose.N, m, n, k, 1f, a.segment(), 0, k,
                        b.segment(), 0, n, 0f, c.segment(), 0, n);
            }
            case CUDA -> {
                cuda = GpuTime.cudaBackend(threads);
                Backend gpu = cuda;
                yield () -> gpu.gemm(Transpose.N, Transpose.N, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c, 0, n);
            }
            default -> throw new IllegalArgumentException("unknown backend '" + backend + "'; expected "
                    + SCALAR + ", " + SIMD + ", " + OPENBLAS + " or " + CUDA);
        };
        if (cuda != null) {
            multiply.run();     // uploads A and B once; afterwards they stay on the device
            cuda.synchronize();
        }
    }

    /** One product; C lives off-heap (or on the GPU), so the stores are side effects the JIT cannot drop. */
    @Benchmark
    public void gemm(GpuTime gpu) {
        gpu.run(cuda, multiply);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (pool != null) {
            pool.close();
            pool = null;
        }
        if (arena != null) {
            arena.close();
            arena = null;
        }
    }
}
