package dev.panamax.engine.kernel.simd;

import static org.junit.jupiter.api.Assertions.fail;

import dev.panamax.engine.SimdBackend;
import dev.panamax.engine.Tensor;
import dev.panamax.engine.Transpose;
import dev.panamax.engine.kernel.simd.gemm.GemmBlocking;
import dev.panamax.engine.kernel.simd.gemm.MicroKernel;
import dev.panamax.engine.kernel.simd.gemm.MicroKernel4x2;
import dev.panamax.engine.kernel.simd.gemm.MicroKernel6x2;
import dev.panamax.engine.kernel.simd.gemm.MicroKernel8x2;
import dev.panamax.engine.kernel.simd.gemm.SimdGemm;
import dev.panamax.engine.parallel.WorkerPool;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/**
 * Catches SIMD kernels that silently run with boxed vectors. When C2 fails to inline a Vector API call (a method
 * too large for its inlining budget, or a C1 bail-out that keeps it interpreted), every vector becomes a heap
 * object: the kernel still gives right answers but runs 20–50× slower. That shows up deterministically as heap
 * allocation, so this test measures bytes allocated per call instead of time: once the JIT has compiled the
 * kernels, a GEMM allocates nothing, while a boxed one allocates megabytes per call.
 */
class KernelCompilationTest {

    /** A compiled call allocates 0 B; a boxed 128³ GEMM allocates about 4 MB. */
    private static final long MAX_BYTES_PER_CALL = 16 * 1024;
    /**
     * How long the JIT gets to compile the kernels. A quiet machine needs seconds; with C2's compiler threads
     * starved (load 10+ on 2 cores) 60 s was not always enough, and a failure then says nothing about boxing.
     */
    private static final long WARM_UP_LIMIT_NANOS = 180_000_000_000L;
    /**
     * An attention call allocates its argument checks and records, 0.7–1.5 KB; one boxed exp2 call site in a
     * row loop already adds about 25 KB per call at T = 130 (seen when it was tried), a fully boxed kernel
     * megabytes.
     */
    private static final long MAX_ATTENTION_BYTES_PER_CALL = 4 * 1024;

    @Test
    void gemmKernelsRunWithoutBoxingAfterWarmUp() {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        // One thread: all work runs on this thread, whose allocations the MXBean reports.
        try (Arena arena = Arena.ofShared(); WorkerPool pool = new WorkerPool(1)) {
            SimdBackend simd = new SimdBackend(pool);
            Tensor a = Tensor.randn(arena, 1, 128, 128);
            Tensor b = Tensor.randn(arena, 2, 128, 128);
            Tensor c = Tensor.zeros(arena, 128, 128);
            Tensor x = Tensor.randn(arena, 3, 1, 128);
            Tensor y = Tensor.zeros(arena, 1, 128);
            // Matrix-vector products whose outputs (13) and reduction (13) end in a partial vector: their masked
            // tails once took C2's inlining budget from the main loop (boxed after convolutions had run).
            Tensor narrow = Tensor.randn(arena, 4, 128, 13);
            Tensor y13 = Tensor.zeros(arena, 1, 13);
            Tensor x13 = Tensor.randn(arena, 5, 1, 13);
            String[] names = {"128³ NN (rows of A copied)", "128³ TT, beta 0.5 (packed A)", "1×128·128×128 GEMV",
                "1×128·(128×128)ᵀ GEMV", "1×128·128×13 GEMV (masked outputs)", "1×13·(128×13)ᵀ GEMV (masked reduction)"};
            Runnable[] ops = {
                () -> simd.gemm(Transpose.N, Transpose.N, 1f, a, b, 0f, c),
                () -> simd.gemm(Transpose.T, Transpose.T, 1f, a, b, 0.5f, c),
                () -> simd.gemm(Transpose.N, Transpose.N, 1f, x, b, 0f, y),
                () -> simd.gemm(Transpose.N, Transpose.T, 1f, x, b, 0f, y),
                () -> simd.gemm(Transpose.N, Transpose.N, 1f, x, narrow, 0f, y13),
                () -> simd.gemm(Transpose.N, Transpose.T, 1f, x13, narrow, 0f, y)};
            long[] bytes = new long[ops.length];
            long deadline = System.nanoTime() + WARM_UP_LIMIT_NANOS;
            long lastAllocation = Long.MAX_VALUE;
            int calls = 0;
            while (System.nanoTime() < deadline) {
                lastAllocation = 0;
                for (int i = 0; i < ops.length; i++) {
                    long before = threads.getCurrentThreadAllocatedBytes();
                    ops[i].run();
                    bytes[i] = threads.getCurrentThreadAllocatedBytes() - before;
                    lastAllocation += bytes[i];
                }
                calls++;
                if (calls > 50 && lastAllocation <= MAX_BYTES_PER_CALL) {
                    return;
                }
            }
            int worst = 0;
            for (int i = 1; i < ops.length; i++) {
                worst = bytes[i] > bytes[worst] ? i : worst;
            }
            fail("SIMD GEMM still allocates " + lastAllocation + " bytes per round after " + calls
                    + " warm-up rounds, " + bytes[worst] + " of them in the " + names[worst] + ": its vectors are "
                    + "boxed, so the JIT did not compile the kernels with intrinsics. Check the JVM flags "
                    + "(--add-modules jdk.incubator.vector) and the size of the kernel methods.");
        }
    }

    @Test
    void everyMicroKernelRunsWithoutBoxing() {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        MicroKernel[] kernels = {new MicroKernel4x2(), new MicroKernel6x2(), new MicroKernel8x2()};
        try (Arena arena = Arena.ofShared(); WorkerPool pool = new WorkerPool(1)) {
            MemorySegment a = Tensor.randn(arena, 1, 96, 96).segment();
            MemorySegment b = Tensor.randn(arena, 2, 96, 96).segment();
            MemorySegment c = Tensor.zeros(arena, 96, 96).segment();
            for (MicroKernel kernel : kernels) {
                SimdGemm gemm = new SimdGemm(GemmBlocking.of(kernel, 48, 256, 4096));
                long deadline = System.nanoTime() + WARM_UP_LIMIT_NANOS;
                long lastAllocation = Long.MAX_VALUE;
                int calls = 0;
                while (lastAllocation > MAX_BYTES_PER_CALL || calls < 50) {
                    if (System.nanoTime() > deadline) {
                        fail(kernel.getClass().getSimpleName() + " still allocates " + lastAllocation
                                + " bytes per call after warm-up: its vectors are boxed");
                    }
                    long before = threads.getCurrentThreadAllocatedBytes();
                    // Non-transposed A with few B panels takes multiplyRows, a transposed A the packed multiply.
                    gemm.gemm(false, false, 96, 96, 96, 1f, a, 0, 96, b, 0, 96, 0f, c, 0, 96, pool);
                    gemm.gemm(true, false, 96, 96, 96, 1f, a, 0, 96, b, 0, 96, 0f, c, 0, 96, pool);
                    lastAllocation = threads.getCurrentThreadAllocatedBytes() - before;
                    calls++;
                }
            }
        }
    }

    @Test
    void trainingOpKernelsRunWithoutBoxing() {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        int rows = 64;
        int cols = 512;
        try (Arena arena = Arena.ofShared(); WorkerPool pool = new WorkerPool(1)) {
            SimdBackend b = new SimdBackend(pool);
            Tensor x = Tensor.randn(arena, 1, rows, cols);
            Tensor y = Tensor.randn(arena, 2, rows, cols);
            Tensor out = Tensor.zeros(arena, rows, cols);
            Tensor gamma = Tensor.randn(arena, 3, cols);
            Tensor beta = Tensor.randn(arena, 4, cols);
            Tensor mean = Tensor.zeros(arena, rows);
            Tensor rstd = Tensor.zeros(arena, rows);
            Tensor dGamma = Tensor.zeros(arena, cols);
            Tensor dBeta = Tensor.zeros(arena, cols);
            int[] targets = new int[rows];
            Tensor image = x.reshape(8, 16, 256);
            Tensor imageOut = out.reshape(8, 16, 256);
            Tensor imageGrad = y.reshape(8, 16, 256);
            Tensor channelGamma = gamma.rows(0, 16);
            Tensor channelBeta = beta.rows(0, 16);
            Tensor channelGradGamma = dGamma.rows(0, 16);
            Tensor channelGradBeta = dBeta.rows(0, 16);
            Tensor groupMean = mean.rows(0, 32);
            Tensor groupRstd = rstd.rows(0, 32);
            Tensor planeBias = Tensor.randn(arena, 5, 8, 16);
            // And at 7×7 (the U-Net's attention level), where every channel's row ends in a partial vector: the
            // GroupNorm loops with masked tails through helpers ran boxed there, even alone.
            Tensor small = Tensor.randn(arena, 6, 8, 16, 49);
            Tensor smallOut = Tensor.zeros(arena, 8, 16, 49);
            Tensor smallGrad = Tensor.randn(arena, 7, 8, 16, 49);
            // A 3×3 convolution of 8 channels at 6×14, which takes the Winograd route (its shuffles and tails).
            Tensor convIn = Tensor.randn(arena, 8, 2, 8, 6, 14);
            Tensor convWeight = Tensor.randn(arena, 9, 8, 8, 3, 3);
            Tensor convOut = Tensor.zeros(arena, 2, 8, 6, 14);
            Tensor convGrad = Tensor.zeros(arena, 2, 8, 6, 14);
            // The Winograd weight gradient needs at least 128 tiles per image: 16×32 has 8 × 16.
            Tensor wideIn = Tensor.randn(arena, 10, 2, 8, 16, 32);
            Tensor wideGrad = Tensor.randn(arena, 11, 2, 8, 16, 32);
            Tensor convWeightGrad = Tensor.zeros(arena, 8, 8, 3, 3);
            Runnable[] ops = {
                () -> b.add(x, y, out), () -> b.axpy(0.1f, x, out), () -> b.addBias(x, gamma, out),
                () -> b.addBiasBackward(x, dGamma), () -> b.gelu(x, out), () -> b.geluBackward(x, y, out),
                () -> b.silu(x, out), () -> b.siluBackward(x, y, out), () -> b.relu(x, out),
                () -> b.layerNorm(x, gamma, beta, out, mean, rstd, 1e-5f),
                () -> b.layerNormBackward(x, gamma, mean, rstd, y, out, dGamma, dBeta), () -> b.softmax(x, out),
                () -> b.crossEntropy(x, targets, -1, out), () -> b.crossEntropyBackward(out, targets, -1, 1f, y),
                // GroupNorm on the same values read as [8, 16, 256] (a U-Net activation) in 4 groups
                () -> b.groupNorm(image, 4, channelGamma, channelBeta, imageOut, groupMean, groupRstd, 1e-5f),
                () -> b.groupNormBackward(image, 4, channelGamma, groupMean, groupRstd, imageGrad, imageOut,
                        channelGradGamma, channelGradBeta),
                () -> b.groupNorm(small, 4, channelGamma, channelBeta, smallOut, groupMean, groupRstd, 1e-5f),
                () -> b.groupNormBackward(small, 4, channelGamma, groupMean, groupRstd, smallGrad, smallOut,
                        channelGradGamma, channelGradBeta),
                () -> b.addChannelBias(image, planeBias, imageOut), () -> b.addChannelBiasBackward(image, planeBias),
                () -> b.groupNormSilu(image, 4, channelGamma, channelBeta, imageOut, groupMean, groupRstd, 1e-5f),
                () -> b.groupNormSiluBackward(image, 4, channelGamma, channelBeta, groupMean, groupRstd, 1e-5f,
                        imageGrad, imageOut, channelGradGamma, channelGradBeta),
                () -> b.conv2d(convIn, convWeight, null, convOut, 1, 1),
                () -> b.conv2dBackwardInput(convOut, convWeight, convGrad, 1, 1),
                () -> b.conv2dBackwardWeight(wideIn, wideGrad, convWeightGrad, null, 1, 1)};
            long deadline = System.nanoTime() + WARM_UP_LIMIT_NANOS;
            for (int round = 0; ; round++) {
                long worst = 0;
                int worstOp = -1;
                for (int i = 0; i < ops.length; i++) {
                    long before = threads.getCurrentThreadAllocatedBytes();
                    ops[i].run();
                    long bytes = threads.getCurrentThreadAllocatedBytes() - before;
                    if (bytes > worst) {
                        worst = bytes;
                        worstOp = i;
                    }
                }
                if (round > 50 && worst <= MAX_BYTES_PER_CALL) {
                    return;
                }
                if (System.nanoTime() > deadline) {
                    fail("training op #" + worstOp + " still allocates " + worst + " bytes per call after warm-up:"
                            + " its vectors are boxed");
                }
            }
        }
    }

    /**
     * The attention kernels (forward, backward, decode), at shapes with partial tiles: after warm-up a call
     * allocates only its small argument records, never boxed vectors.
     */
    @Test
    void attentionKernelsRunWithoutBoxingAfterWarmUp() {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (Arena arena = Arena.ofShared(); WorkerPool pool = new WorkerPool(1)) {
            SimdBackend simd = new SimdBackend(pool);
            int t = 130;
            for (int d : new int[] {64, 7, 8}) {
                Tensor q = Tensor.randn(arena, 1, 1, 2, t, d);
                Tensor k = Tensor.randn(arena, 2, 1, 2, t, d);
                Tensor v = Tensor.randn(arena, 3, 1, 2, t, d);
                Tensor out = Tensor.zeros(arena, 1, 2, t, d);
                Tensor lse = Tensor.zeros(arena, 1, 2, t);
                Tensor dOut = Tensor.randn(arena, 4, 1, 2, t, d);
                Tensor dq = Tensor.zeros(arena, 1, 2, t, d);
                Tensor dk = Tensor.zeros(arena, 1, 2, t, d);
                Tensor dv = Tensor.zeros(arena, 1, 2, t, d);
                Tensor kCache = Tensor.zeros(arena, 1, 2, t + 3, d);
                Tensor vCache = Tensor.zeros(arena, 1, 2, t + 3, d);
                Tensor q1 = Tensor.randn(arena, 5, 1, 2, 3, d);
                Tensor out1 = Tensor.zeros(arena, 1, 2, 3, d);
                assertNoBoxing("attention forward d=" + d, threads, () -> simd.attention(q, k, v, out, lse, true, 0.125f));
                assertNoBoxing("attention backward d=" + d, threads,
                        () -> simd.attentionBackward(q, k, v, out, lse, dOut, dq, dk, dv, true, 0.125f));
                assertNoBoxing("attention decode d=" + d, threads,
                        () -> simd.attentionDecode(q1, q1, q1, kCache, vCache, t, out1, true, 0.125f));
                Tensor token = Tensor.randn(arena, 6, 1, 2, 1, d);
                Tensor tokenOut = Tensor.zeros(arena, 1, 2, 1, d);
                assertNoBoxing("single-token attention decode d=" + d, threads,
                        () -> simd.attentionDecode(token, token, token, kCache, vCache, t + 1, tokenOut, true, 0.125f));
            }
        }
    }

    /**
     * The least-squares passes in double, at a width that is not a whole number of vectors and a row count that
     * leaves a remainder: the Gram tiles and the per-row reductions must stay intrinsics too.
     */
    @Test
    void leastSquaresKernelsRunWithoutBoxingAfterWarmUp() {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        int rows = 131;
        int d = 67;
        double[][] x = new double[rows][d];
        double[] y = new double[rows];
        for (int i = 0; i < rows; i++) {
            y[i] = i % 7;
            for (int j = 0; j < d; j++) {
                x[i][j] = (i * 31 + j * 17) % 101;
            }
        }
        double[] center = new double[d + 1];
        double[] coefficients = new double[d];
        java.util.Arrays.fill(coefficients, 0.01);
        double[] sum = new double[d];
        double[] gram = new double[d * d];
        double[] cross = new double[d];
        double[] gradient = new double[d];
        try (WorkerPool pool = new WorkerPool(1)) {
            SimdBackend simd = new SimdBackend(pool);
            assertNoBoxing("crossProducts", threads,
                    () -> simd.crossProducts(x, y, 0, rows, center, gram, sum, cross));
            assertNoBoxing("residualGradient", threads,
                    () -> simd.residualGradient(x, y, 0, rows, 0.5, coefficients, sum, gradient));
        }
    }

    private static void assertNoBoxing(String what, com.sun.management.ThreadMXBean threads, Runnable call) {
        long deadline = System.nanoTime() + WARM_UP_LIMIT_NANOS;
        long lastAllocation = Long.MAX_VALUE;
        int calls = 0;
        while (lastAllocation > MAX_ATTENTION_BYTES_PER_CALL || calls < 30) {
            if (System.nanoTime() > deadline) {
                fail(what + " still allocates " + lastAllocation + " bytes per call after " + calls
                        + " warm-up calls: its vectors are boxed (a kernel method grew past C2's inlining budget?)");
            }
            long before = threads.getCurrentThreadAllocatedBytes();
            call.run();
            lastAllocation = threads.getCurrentThreadAllocatedBytes() - before;
            calls++;
        }
    }
}
