package dev.panamax.bench;

import dev.panamax.engine.cuda.CudaAvailability;
import dev.panamax.engine.cuda.CudaBackend;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The GPU side of a benchmark row. For the {@code cuda} backend each measured call runs between two CUDA events
 * and waits for the second, so JMH's wall-clock score covers the kernels (plus a few microseconds of launch and
 * synchronisation), and the event time itself is reported as the secondary metric {@code gpuMsPerCall}: the
 * device time of one call, the figure to compare with PyTorch's CUDA-event timings. CPU rows report 0 there.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.EVENTS)
public class GpuTime {

    private double millis;
    private long calls;

    /** The CUDA backend for a benchmark row, or an exception with the reason CUDA cannot run here. */
    static CudaBackend cudaBackend(int threads) {
        if (threads != 1) {
            throw new IllegalArgumentException("the cuda backend runs on the GPU; run it with threads=1, not "
                    + threads);
        }
        CudaAvailability.Status status = CudaAvailability.status();
        if (!status.usable()) {
            throw new IllegalStateException("cuda rows skipped: " + status.detail());
        }
        return new CudaBackend();
    }

    @Setup(Level.Iteration)
    public void reset() {
        millis = 0;
        calls = 0;
    }

    /** Mean GPU milliseconds per call in this iteration (CUDA events); 0 on the CPU backends. */
    public double gpuMsPerCall() {
        return calls == 0 ? 0 : millis / calls;
    }

    /** Runs {@code op}: timed by CUDA events on {@code cuda}, or plainly when {@code cuda} is null (CPU rows). */
    void run(CudaBackend cuda, Runnable op) {
        if (cuda == null) {
            op.run();
        } else {
            millis += cuda.elapsedMillis(op);
            calls++;
        }
    }
}
