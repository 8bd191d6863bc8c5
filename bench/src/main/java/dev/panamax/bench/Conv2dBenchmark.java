package dev.panamax.bench;

import dev.panamax.engine.Backend;
import dev.panamax.engine.SimdBackend;
import dev.panamax.engine.Tensor;
import dev.panamax.engine.Transpose;
import dev.panamax.engine.parallel.WorkerPool;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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
 * Time of one 3×3, stride-1, padding-1 convolution of a batch of NCHW images with as many output channels as input
 * channels (the U-Net's workhorse), forward and backward, per backend and thread count.
 *
 * <p>Backends: {@code simd} is the engine (implicit GEMM on the GEMM micro-kernel); {@code openblas} is the
 * classic im2col + GEMM (Caffe, PyTorch's CPU fallback), written here with OpenBLAS's {@code cblas_sgemm} through
 * {@link OpenBlas}: per image, the 9×-sized column matrix is built (threads split its rows), then one sgemm on
 * OpenBLAS's own threads; the input gradient is {@code Wᵀ·dY} followed by a col2im scatter-add, the weight
 * gradient {@code dY·colsᵀ} accumulated over the batch. Neither side adds a bias, so both do exactly
 * {@link #flops} floating-point operations per call.
 *
 * <p>Shapes are {@code NxCxHxW} of the input; {@code 16x64x32x32} and {@code 16x128x16x16} are two resolutions of
 * a DDPM U-Net for 32×32 images, with the same FLOP count (1.21 GFLOP per pass). Backward methods accumulate into
 * their gradients, as in training (the values grow over the run; the timing does not depend on them).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class Conv2dBenchmark {

    public static final String SIMD = "simd";
    public static final String OPENBLAS = "openblas";
    /** The implicit-GEMM CUDA kernels, timed with CUDA events ({@link GpuTime}); threads=1. */
    public static final String CUDA = "cuda";

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final int KERNEL = 3;
    private static final int STRIDE = 1;
    private static final int PADDING = 1;

    @Param({SIMD, OPENBLAS, CUDA})
    public String backend;

    @Param({"1", "2"})
    public int threads;

    /** {@code NxCxHxW}; the convolution maps C channels to C channels. */
    @Param({"16x64x32x32", "16x128x16x16"})
    public String shape;

    private Arena arena;
    private WorkerPool pool;
    private Pass forward;
    private Pass backwardInput;
    private Pass backwardWeight;
    private dev.panamax.engine.cuda.CudaBackend cuda;

    private interface Pass {
        void run();
    }

    /** Floating-point operations of one pass (forward, input or weight gradient): 2·n·o·c·kh·kw·oh·ow. */
    public static double flops(String shape) {
        int[] d = parse(shape);
        return 2.0 * d[0] * d[1] * d[1] * KERNEL * KERNEL * d[2] * d[3];
    }

    static int[] parse(String shape) {
        String[] parts = shape.split("x");
        if (parts.length != 4) {
            throw new IllegalArgumentException("shape '" + shape + "': expected NxCxHxW, e.g. 16x64x32x32");
        }
        int[] d = new int[4];
        for (int i = 0; i < 4; i++) {
            d[i] = Integer.parseInt(parts[i]);
        }
        return d;
    }

    @Setup(Level.Trial)
    public void setUp() {
        int[] d = parse(shape);
        int n = d[0];
        int c = d[1];
        int h = d[2];
        int w = d[3];
        int o = c;
        arena = Arena.ofShared();
        pool = new WorkerPool(threads);
        Tensor x = Tensor.randn(arena, 1, n, c, h, w);
        Tensor weight = Tensor.randn(arena, 2, 0f, 0.05f, o, c, KERNEL, KERNEL);
        Tensor y = Tensor.zeros(arena, n, o, h, w);
        Tensor dy = Tensor.randn(arena, 3, n, o, h, w);
        Tensor dx = Tensor.zeros(arena, n, c, h, w);
        Tensor dw = Tensor.zeros(arena, o, c, KERNEL, KERNEL);
        switch (backend) {
            case SIMD -> {
                Backend simd = new SimdBackend(pool);
                forward = () -> simd.conv2d(x, weight, null, y, STRIDE, PADDING);
                backwardInput = () -> simd.conv2dBackwardInput(dy, weight, dx, STRIDE, PADDING);
                backwardWeight = () -> simd.conv2dBackwardWeight(x, dy, dw, null, STRIDE, PADDING);
            }
            case OPENBLAS -> {
                if (!OpenBlas.isAvailable()) {
                    throw new IllegalStateException("OpenBLAS is not available: " + OpenBlas.unavailableReason());
                }
                OpenBlas.setNumThreads(threads);
                Im2col ref = new Im2col(arena, pool, n, c, h, w, o);
                ref.verify(arena, x, weight, dy);
                forward = () -> ref.forward(x.segment(), weight.segment(), y.segment());
                backwardInput = () -> ref.backwardInput(dy.segment(), weight.segment(), dx.segment());
                backwardWeight = () -> ref.backwardWeight(x.segment(), dy.segment(), dw.segment());
            }
            case CUDA -> {
                cuda = GpuTime.cudaBackend(threads);
                Backend gpu = cuda;
                forward = () -> gpu.conv2d(x, weight, null, y, STRIDE, PADDING);
                backwardInput = () -> gpu.conv2dBackwardInput(dy, weight, dx, STRIDE, PADDING);
                backwardWeight = () -> gpu.conv2dBackwardWeight(x, dy, dw, null, STRIDE, PADDING);
                forward.run();      // uploads the operands once; afterwards they stay on the device
                backwardInput.run();
                backwardWeight.run();
                cuda.synchronize();
            }
            default -> throw new IllegalArgumentException("unknown backend '" + backend + "'; expected " + SIMD
                    + ", " + OPENBLAS + " or " + CUDA);
        }
    }

    @Benchmark
    public void forward(GpuTime gpu) {
        gpu.run(cuda, forward::run);
    }

    @Benchmark
    public void backwardInput(GpuTime gpu) {
        gpu.run(cuda, backwardInput::run);
    }

    @Benchmark
    public void backwardWeight(GpuTime gpu) {
        gpu.run(cuda, backwardWeight::run);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
        arena.close();
    }

    /**
     * The im2col + sgemm reference for a 3×3, stride-1, padding-1 convolution, one image at a time through a
     * column buffer of {@code c·9 × h·w} floats.
     */
    static final class Im2col {
        private final WorkerPool pool;
        private final int n;
        private final int c;
        private final int h;
        private final int w;
        private final int o;
        private final int k;
        private final int p;
        private final MemorySegment cols;

        Im2col(Arena arena, WorkerPool pool, int n, int c, int h, int w, int o) {
            this.pool = pool;
            this.n = n;
            this.c = c;
            this.h = h;
            this.w = w;
            this.o = o;
            this.k = c * KERNEL * KERNEL;
            this.p = h * w;
            this.cols = arena.allocate((long) k * p * Float.BYTES, 64);
        }

        /** Checks the reference against the engine once, so that a wrong reference never gets timed. */
        void verify(Arena arena, Tensor x, Tensor weight, Tensor dy) {
            Backend simd = new SimdBackend(pool);
            Tensor[] want = {Tensor.zeros(arena, n, o, h, w), Tensor.zeros(arena, n, c, h, w),
                    Tensor.zeros(arena, o, c, KERNEL, KERNEL)};
            Tensor[] got = {Tensor.zeros(arena, n, o, h, w), Tensor.zeros(arena, n, c, h, w),
                    Tensor.zeros(arena, o, c, KERNEL, KERNEL)};
            simd.conv2d(x, weight, null, want[0], STRIDE, PADDING);
            simd.conv2dBackwardInput(dy, weight, want[1], STRIDE, PADDING);
            simd.conv2dBackwardWeight(x, dy, want[2], null, STRIDE, PADDING);
            forward(x.segment(), weight.segment(), got[0].segment());
            backwardInput(dy.segment(), weight.segment(), got[1].segment());
            backwardWeight(x.segment(), dy.segment(), got[2].segment());
            String[] names = {"forward", "backwardInput", "backwardWeight"};
            for (int t = 0; t < 3; t++) {
                float[] a = want[t].toArray();
                float[] b = got[t].toArray();
                double scale = 0;
                double error = 0;
                for (int i = 0; i < a.length; i++) {
                    scale = Math.max(scale, Math.abs(a[i]));
                    error = Math.max(error, Math.abs(a[i] - b[i]));
                }
                if (!(error <= 1e-4 * scale)) {
                    throw new IllegalStateException("im2col reference " + names[t] + " differs from the engine by "
                            + error + " (largest value " + scale + ")");
                }
            }
        }

        void forward(MemorySegment x, MemorySegment weight, MemorySegment y) {
            for (int img = 0; img < n; img++) {
                im2col(x, (long) img * c * p);
                OpenBlas.sgemm(Transpose.N, Transpose.N, o, p, k, 1f, weight, 0, k, cols, 0, p, 0f, y,
                        (long) img * o * p, p);
            }
        }

        void backwardInput(MemorySegment dy, MemorySegment weight, MemorySegment dx) {
            for (int img = 0; img < n; img++) {
                OpenBlas.sgemm(Transpose.T, Transpose.N, k, p, o, 1f, weight, 0, k, dy, (long) img * o * p, p, 0f,
                        cols, 0, p);
                col2im(dx, (long) img * c * p);
            }
        }

        void backwardWeight(MemorySegment x, MemorySegment dy, MemorySegment dw) {
            for (int img = 0; img < n; img++) {
                im2col(x, (long) img * c * p);
                OpenBlas.sgemm(Transpose.N, Transpose.T, o, k, p, 1f, dy, (long) img * o * p, p, cols, 0, p, 1f,
                        dw, 0, k);
            }
        }

        /** cols[(ch, a, b), (y, x)] = x[ch, y − 1 + a, x − 1 + b] (zero outside); threads split the rows. */
        private void im2col(MemorySegment src, long image) {
            int parts = pool.threads();
            pool.run(part -> {
                for (int r = k * part / parts; r < k * (part + 1) / parts; r++) {
                    int ch = r / 9;
                    int dyy = r / 3 % 3 - PADDING;
                    int dxx = r % 3 - PADDING;
                    long plane = image + (long) ch * p;
                    long row = (long) r * p;
                    for (int yy = 0; yy < h; yy++) {
                        int sy = yy + dyy;
                        long out = row + (long) yy * w;
                        if (sy < 0 || sy >= h) {
                            cols.asSlice(out * Float.BYTES, (long) w * Float.BYTES).fill((byte) 0);
                            continue;
                        }
                        // Columns whose source lies inside the row, copied in one block; the rest are zero.
                        int lo = Math.max(0, -dxx);
                        int hi = Math.min(w, w - dxx);
                        if (lo > 0) {
                            cols.setAtIndex(F, out, 0f);
                        }
                        if (hi < w) {
                            cols.setAtIndex(F, out + w - 1, 0f);
                        }
                        MemorySegment.copy(src, (plane + (long) sy * w + lo + dxx) * Float.BYTES, cols,
                                (out + lo) * Float.BYTES, (long) (hi - lo) * Float.BYTES);
                    }
                }
            });
        }

        /** dx[ch, y − 1 + a, x − 1 + b] += cols[(ch, a, b), (y, x)]; threads split the channels. */
        private void col2im(MemorySegment dst, long image) {
            int parts = pool.threads();
            pool.run(part -> {
                for (int ch = c * part / parts; ch < c * (part + 1) / parts; ch++) {
                    long plane = image + (long) ch * p;
                    for (int r = ch * 9; r < ch * 9 + 9; r++) {
                        int dyy = r / 3 % 3 - PADDING;
                        int dxx = r % 3 - PADDING;
                        long row = (long) r * p;
                        for (int yy = 0; yy < h; yy++) {
                            int sy = yy + dyy;
                            if (sy < 0 || sy >= h) {
                                continue;
                            }
                            int lo = Math.max(0, -dxx);
                            int hi = Math.min(w, w - dxx);
                            long from = row + (long) yy * w;
                            long to = plane + (long) sy * w + dxx;
                            for (int xx = lo; xx < hi; xx++) {
                                dst.setAtIndex(F, to + xx, dst.getAtIndex(F, to + xx) + cols.getAtIndex(F, from + xx));
                            }
                        }
                    }
                }
            });
        }
    }
}
