package dev.panamax.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The contract a device backend relies on, checked with a recording stand-in for the device copy: every host
 * access of a tensor or any of its views reports itself first (reads as reads, writes and {@code segment()} as
 * writes), CPU backends reach the memory through those accesses, and overlap checks do not.
 */
class TensorMemoryTest {

    /** Records each access as "r" or "w". */
    private static final class Recorder implements DeviceResidency {
        final List<String> accesses = new ArrayList<>();

        @Override
        public void beforeHostAccess(boolean write) {
            accesses.add(write ? "w" : "r");
        }
    }

    @Test
    void everyHostAccessOfATensorAndItsViewsIsReportedFirst() {
        try (Arena arena = Arena.ofShared()) {
            Tensor t = Tensor.zeros(arena, 4, 3);
            Recorder device = new Recorder();
            assertSame(device, t.memory().attach(m -> device));
            assertSame(device, t.memory().attach(m -> new Recorder()), "one device copy per allocation");

            t.get(0, 0);
            t.set(1f, 0, 1);
            t.toArray();
            t.copyFrom(new float[12]);
            t.fill(2f);
            t.segment();
            assertEquals(List.of("r", "w", "r", "w", "w", "w"), device.accesses);

            device.accesses.clear();
            Tensor row = t.rows(1, 3);
            Tensor flat = t.reshape(12);
            Tensor slice = t.slice(2);
            assertSame(t.memory(), row.memory());
            assertSame(t.memory(), flat.memory());
            assertSame(t.memory(), slice.memory());
            row.get(0, 0);
            flat.set(3f, 11);
            slice.toArray();
            assertEquals(List.of("r", "w", "r"), device.accesses, "views share their parent's device copy");
            assertEquals(3 * Float.BYTES, row.memoryOffset());
            assertEquals(6 * Float.BYTES, slice.memoryOffset());

            device.accesses.clear();
            Tensor other = Tensor.zeros(arena, 4, 3);
            new SimdBackend().add(t, other, other);
            assertTrue(device.accesses.contains("w"), "a CPU backend reaches the memory through segment()");

            device.accesses.clear();
            new ScalarBackend().gemm(Transpose.N, Transpose.N, 1f, t, Tensor.zeros(arena, 3, 2), 0f,
                    Tensor.zeros(arena, 4, 2));
            assertEquals(List.of("w"), device.accesses, "the GEMM's checks use address(), its kernel segment()");
            assertEquals(t.segment().address(), t.address());
        }
    }

    @Test
    void memoryWrittenOnTheHostIsNeverTakenForFreshZeros() {
        try (Arena arena = Arena.ofShared()) {
            assertTrue(Tensor.of(arena, new float[] {1, 2}, 2).memory().hostWritten());
            assertTrue(Tensor.randn(arena, 1, 3).memory().hostWritten());
            Tensor z = Tensor.zeros(arena, 2);
            z.segment();
            assertTrue(z.memory().hostWritten(), "segment() may be written through");
        }
    }
}
