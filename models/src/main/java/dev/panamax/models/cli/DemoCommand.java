package dev.panamax.models.cli;

import dev.panamax.engine.Backend;
import dev.panamax.engine.Backends;
import dev.panamax.engine.ScalarBackend;
import dev.panamax.engine.Tensor;
import dev.panamax.engine.parallel.WorkerPool;
import java.lang.foreign.Arena;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * The main demo: what the engine does today. It multiplies random matrices with the scalar reference and the
 * chosen backend, checks that they agree, and shows the speed-up. A quick look, not a benchmark: the JMH numbers
 * come from {@code ./panamax bench}.
 */
@Command(name = "demo", description = "Multiply matrices with the scalar reference and the SIMD backend; compare.")
final class DemoCommand implements Callable<Integer> {

    @ParentCommand
    private PanamaxCommand parent;

    @Option(names = "--sizes", split = ",", defaultValue = "128,256,512,1024",
            description = "Square matrix sizes to multiply (default: ${DEFAULT-VALUE}).")
    int[] sizes;

    @Option(names = "--seconds", defaultValue = "1.0", description = "Time spent per measurement (default: ${DEFAULT-VALUE}).")
    double seconds;

    @Override
    public Integer call() {
        for (int n : sizes) {
            if (n < 1) {
                throw new IllegalArgumentException("--sizes: every size must be >= 1, got " + n);
            }
        }
        Backend backend = Backends.select(parent.backend);
        Backend scalar = new ScalarBackend();
        System.out.printf("Panamax demo: C = A·B on %s, %d threads%n", backend, WorkerPool.shared().threads());
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
        return 0;
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
