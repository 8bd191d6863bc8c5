package dev.panamax.engine.kernel.simd;

import static org.junit.jupiter.api.Assertions.fail;

import dev.panamax.engine.SimdBackend;
import dev.panamax.engine.Tensor;
import dev.panamax.engine.parallel.WorkerPool;
import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/**
 * The convolution and resampling kernels run without boxed vectors once compiled (see
 * {@link KernelCompilationTest} for why this is measured as heap allocation). One round calls every code path:
 * 3×3 forward over rows that do and do not fill whole vectors, 1×1, strided forward (gathered panels), input
 * gradient at stride 1 and 2, weight and bias gradient, and the four resampling kernels. A compiled round
 * allocates a few small objects (shape records, lambdas); a boxed one allocates megabytes.
 */
class ConvCompilationTest {

    private static final long MAX_BYTES_PER_ROUND = 16 * 1024;
    private static final long WARM_UP_LIMIT_NANOS = 60_000_000_000L;

    @Test
    void convolutionKernelsRunWithoutBoxingAfterWarmUp() {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        // One thread: all work runs on this thread, whose allocations the MXBean reports.
        try (Arena arena = Arena.ofShared(); WorkerPool pool = new WorkerPool(1)) {
            SimdBackend simd = new SimdBackend(pool);
            Tensor x = Tensor.randn(arena, 1, 1, 16, 20, 20);
            Tensor w3 = Tensor.randn(arena, 2, 12, 16, 3, 3);
            Tensor w1 = Tensor.randn(arena, 3, 12, 16, 1, 1);
            Tensor bias = Tensor.randn(arena, 4, 12);
            Tensor y = Tensor.zeros(arena, 1, 12, 20, 20);
            Tensor y2 = Tensor.zeros(arena, 1, 12, 10, 10);
            Tensor dx = Tensor.zeros(arena, 1, 16, 20, 20);
            Tensor dw = Tensor.zeros(arena, 12, 16, 3, 3);
            Tensor db = Tensor.zeros(arena, 12);
            Tensor up = Tensor.zeros(arena, 1, 16, 40, 40);
            Tensor down = Tensor.zeros(arena, 1, 16, 10, 10);
            long deadline = System.nanoTime() + WARM_UP_LIMIT_NANOS;
            long lastAllocation = Long.MAX_VALUE;
            int rounds = 0;
            while (rounds < 50 || lastAllocation > MAX_BYTES_PER_ROUND) {
                if (System.nanoTime() > deadline) {
                    fail("SIMD convolution still allocates " + lastAllocation + " bytes per round after " + rounds
                            + " warm-up rounds: its vectors are boxed, so a kernel method is too large for C2 to "
                            + "inline its Vector API calls, or the JVM flags lack --add-modules jdk.incubator.vector");
                }
                long before = threads.getCurrentThreadAllocatedBytes();
                simd.conv2d(x, w3, bias, y, 1, 1);
                simd.conv2d(x, w1, null, y, 1, 0);
                simd.conv2d(x, w3, bias, y2, 2, 1);
                simd.conv2dBackwardInput(y, w3, dx, 1, 1);
                simd.conv2dBackwardInput(y2, w3, dx, 2, 1);
                simd.conv2dBackwardWeight(x, y, dw, db, 1, 1);
                simd.upsampleNearest2x(x, up);
                simd.upsampleNearest2xBackward(up, x);
                simd.avgPool2x2(x, down);
                simd.avgPool2x2Backward(down, x);
                x.fill(0.5f);   // keep the values bounded: the backward calls accumulate into x
                lastAllocation = threads.getCurrentThreadAllocatedBytes() - before;
                rounds++;
            }
        }
    }
}
