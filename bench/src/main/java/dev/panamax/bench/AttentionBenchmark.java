package dev.panamax.bench;

import dev.panamax.engine.Backend;
import dev.panamax.engine.ScalarBackend;
import dev.panamax.engine.SimdBackend;
import dev.panamax.engine.Tensor;
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
 * Causal self-attention, forward and backward, at GPT-2 small's shape (batch 1, 12 heads, head_dim 64, T = 1024):
 * the fused SIMD kernels ({@code fused}) against the unfused path on the same SIMD backend ({@code unfused}:
 * scores by {@code gemmStridedBatched}, softmax, {@code P·V} by GEMM, see {@link UnfusedAttention}), and the
 * scalar reference ({@code scalar}, single-threaded; run it with a shorter {@code seqLen}, it takes seconds per
 * call at 1024), and the CUDA kernels ({@code cuda}, timed with CUDA events: {@link GpuTime}).
 *
 * <p>Useful work, for GFLOP/s: the causal forward pass needs {@code 2·batch·heads·T²·head_dim} FLOPs (Q·Kᵀ and
 * P·V over the unmasked half), the backward pass 2.5 times that (five products). The unfused path does twice the
 * forward work (it computes the masked half too). bench/README.md, "Attention", has the figures and the command.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class AttentionBenchmark {

    public static final String FUSED = "fused";
    public static final String UNFUSED = "unfused";
    public static final String SCALAR = "scalar";
    /** The fused CUDA kernels, timed with CUDA events ({@link GpuTime}); threads=1. */
    public static final String CUDA = "cuda";

    @Param({FUSED, UNFUSED, SCALAR, CUDA})
    public String impl;

    @Param({"1", "2"})
    public int threads;

    @Param({"1024"})
    public int seqLen;

    @Param({"12"})
    public int heads;

    @Param({"64"})
    public int headDim;

    private Arena arena;
    private WorkerPool pool;
    private Runnable forward;
    private Runnable backward;
    private dev.panamax.engine.cuda.CudaBackend cuda;

    @Setup(Level.Trial)
    public void setUp() {
        int t = seqLen;
        int d = headDim;
        float scale = (float) (1 / Math.sqrt(d));
        arena = Arena.ofShared();
        Tensor q = Tensor.randn(arena, 1, 1, heads, t, d);
        Tensor k = Tensor.randn(arena, 2, 1, heads, t, d);
        Tensor v = Tensor.randn(arena, 3, 1, heads, t, d);
        Tensor dOut = Tensor.randn(arena, 4, 1, heads, t, d);
        Tensor out = Tensor.zeros(arena, 1, heads, t, d);
        Tensor lse = Tensor.zeros(arena, 1, heads, t);
        Tensor dq = Tensor.zeros(arena, 1, heads, t, d);
        Tensor dk = Tensor.zeros(arena, 1, heads, t, d);
        Tensor dv = Tensor.zeros(arena, 1, heads, t, d);
        switch (impl) {
            case FUSED, SCALAR, CUDA -> {
                Backend backend;
                if (impl.equals(CUDA)) {
                    cuda = GpuTime.cudaBackend(threads);
                    backend = cuda;
                } else if (impl.equals(SCALAR)) {
                    if (threads != 1) {
                        throw new IllegalArgumentException("the scalar backend is single-threaded; run it with "
                                + "threads=1, not " + threads);
                    }
                    backend = new ScalarBackend();
                } else {
                    pool = new WorkerPool(threads);
                    backend = new SimdBackend(pool);
                }
                forward = () -> backend.attention(q, k, v, out, lse, true, scale);
                backward = () -> backend.attentionBackward(q, k, v, out, lse, dOut, dq, dk, dv, true, scale);
            }
            case UNFUSED -> {
                pool = new WorkerPool(threads);
                SimdBackend simd = new SimdBackend(pool);
                Tensor probs = Tensor.zeros(arena, heads, t, t);
                Tensor dScores = Tensor.zeros(arena, heads, t, t);
                forward = () -> UnfusedAttention.forward(simd, q, k, v, out, probs, heads, t, d, scale);
                backward = () -> UnfusedAttention.backward(simd, q, k, v, out, dOut, probs, dScores, dq, dk, dv,
                        heads, t, d, scale);
                checkAgainstFused(simd, q, k, v, out, lse, dOut, dq, dk, dv, scale);
            }
            default -> throw new IllegalArgumentException("unknown impl '" + impl + "'; expected " + FUSED + ", "
                    + UNFUSED + ", " + SCALAR + " or " + CUDA);
        }
        forward.run();      // the backward benchmark needs out and lse (or the probabilities)
        if (cuda != null) {
            backward.run();
            cuda.synchronize();
        }
    }

    /** The baseline must compute the same thing: compare it once with the fused kernels (tested elsewhere). */
    private void checkAgainstFused(SimdBackend simd, Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse,
                                   Tensor dOut, Tensor dq, Tensor dk, Tensor dv, float scale) {
        Tensor fusedOut = Tensor.zeros(arena, out.shape());
        Tensor fusedDq = Tensor.zeros(arena, dq.shape());
        simd.attention(q, k, v, fusedOut, lse, true, scale);
        simd.attentionBackward(q, k, v, fusedOut, lse, dOut, fusedDq, dk, dv, true, scale);
        forward.run();
        backward.run();
        float[][] pairs = {fusedOut.toArray(), out.toArray(), fusedDq.toArray(), dq.toArray()};
        for (int x = 0; x < pairs.length; x += 2) {
            for (int i = 0; i < pairs[x].length; i++) {
                if (!(Math.abs(pairs[x][i] - pairs[x + 1][i]) <= 1e-3f * (1 + Math.abs(pairs[x][i])))) {
                    throw new IllegalStateException("unfused baseline disagrees with the fused kernel at "
                            + (x == 0 ? "out" : "dQ") + "[" + i + "]: " + pairs[x + 1][i] + " vs " + pairs[x][i]);
                }
            }
        }
    }

    /** One causal forward pass (out and lse; the unfused path also leaves the T×T probabilities). */
    @Benchmark
    public void forward(GpuTime gpu) {
        gpu.run(cuda, forward);
    }

    /** One backward pass: dQ, dK, dV. */
    @Benchmark
    public void backward(GpuTime gpu) {
        gpu.run(cuda, backward);
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
