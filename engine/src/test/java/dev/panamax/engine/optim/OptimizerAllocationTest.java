package dev.panamax.engine.optim;

import static org.junit.jupiter.api.Assertions.fail;

import dev.panamax.engine.Tensor;
import dev.panamax.engine.nn.Parameter;
import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A training step must not allocate on the heap in steady state. An optimizer step could allocate in two ways: in
 * its own bookkeeping (a lookup by name, an iterator, a message string built eagerly), or through boxed vectors
 * when C2 does not inline a Vector API call (see {@code KernelCompilationTest}). Both show up as allocated bytes
 * per step once the JIT has compiled the loops, which this test measures: 0 when compiled, hundreds of kilobytes
 * per round when boxed.
 */
class OptimizerAllocationTest {

    private static final long MAX_BYTES_PER_ROUND = 1024;
    private static final long WARM_UP_LIMIT_NANOS = 30_000_000_000L;

    @Test
    void stepsAndClippingAllocateNothingAfterWarmUp() {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (Arena arena = Arena.ofShared();
             AdamW adamW = new AdamW(1e-4);
             Adam adam = new Adam(1e-4, 0.9, 0.999, 1e-8, 0.01);
             SGD sgd = new SGD(1e-4, 0.9, 0.01, true);
             SGD plain = new SGD(1e-4);
             Adagrad adagrad = new Adagrad(1e-4)) {
            List<Parameter> params = List.of(
                    new Parameter("w", Tensor.randn(arena, 1, 32, 32), Tensor.randn(arena, 2, 32, 32), true),
                    new Parameter("b", Tensor.randn(arena, 3, 67), Tensor.randn(arena, 4, 67), false));
            List<Optimizer> optimizers = List.of(adamW, adam, sgd, plain, adagrad);
            long deadline = System.nanoTime() + WARM_UP_LIMIT_NANOS;
            long lastAllocation = Long.MAX_VALUE;
            int rounds = 0;
            while (lastAllocation > MAX_BYTES_PER_ROUND || rounds < 50) {
                if (System.nanoTime() > deadline) {
                    fail("an optimizer step still allocates " + lastAllocation + " bytes per round after " + rounds
                            + " warm-up rounds: a vector loop is boxed or the step allocates in its bookkeeping");
                }
                long before = threads.getCurrentThreadAllocatedBytes();
                GradientClipping.clipGlobalNorm(params, 10.0);
                for (int i = 0; i < optimizers.size(); i++) {
                    optimizers.get(i).step(params);
                }
                lastAllocation = threads.getCurrentThreadAllocatedBytes() - before;
                rounds++;
            }
        }
    }
}
