package dev.panamax.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panamax.engine.autograd.Tape;
import java.lang.foreign.Arena;
import org.junit.jupiter.api.Test;

/** Step memory: reuse across steps, zeros where promised, no use after a step, separate open steps. */
class StepMemoryTest {

    private static final Backend SCALAR = new ScalarBackend();

    private static long address(Tensor t) {
        return t.segment().address();
    }

    @Test
    void aStepReusesTheMemoryOfTheStepBefore() {
        StepMemory memory = new StepMemory();
        long[] first = new long[3];
        long[] second = new long[3];
        int[][] shapes = {{768, 128}, {5}, {768, 512}};
        for (long[] addresses : new long[][] {first, second}) {
            try (Tape tape = new Tape(SCALAR, memory)) {
                for (int i = 0; i < shapes.length; i++) {
                    addresses[i] = address(tape.allocateUninitialized(shapes[i]));
                }
            }
        }
        assertArrayEquals(first, second, "the same allocations in the same order get the same memory");
        long reserved = memory.reservedBytes();
        assertTrue(reserved >= (768L * 128 + 5 + 768 * 512) * Float.BYTES, "reserved " + reserved);
        for (long address : first) {
            assertEquals(0, address % Tensor.ALIGNMENT, "aligned for the widest vectors");
        }
        memory.release();
        assertEquals(0, memory.reservedBytes());
    }

    @Test
    void zerosAreZeroEvenInReusedMemory() {
        StepMemory memory = new StepMemory();
        try (Tape tape = new Tape(SCALAR, memory)) {
            tape.allocateUninitialized(1000).fill(7f);
        }
        try (Tape tape = new Tape(SCALAR, memory)) {
            Tensor zeros = tape.allocate(1000);
            for (float v : zeros.toArray()) {
                assertEquals(0f, v);
            }
        }
    }

    @Test
    void uninitialisedMemoryIsPoisonedInTests() {
        // The test suites run with -Dpanamax.poisonUninitialized=true: an output a kernel leaves unwritten is NaN.
        StepMemory memory = new StepMemory();
        try (Tape tape = new Tape(SCALAR, memory)) {
            for (float v : tape.allocateUninitialized(3, 5).toArray()) {
                assertTrue(Float.isNaN(v));
            }
        }
    }

    @Test
    void aTensorOfAClosedStepCannotBeUsed() {
        StepMemory memory = new StepMemory();
        Tensor leaked;
        try (Tape tape = new Tape(SCALAR, memory)) {
            leaked = tape.allocateUninitialized(4, 4);
            leaked.fill(1f);
        }
        Tensor stale = leaked;
        assertThrows(IllegalStateException.class, stale::toArray);
        assertThrows(IllegalStateException.class, () -> stale.set(2f, 0, 0));
        // The next step gets that memory back; the stale tensor still cannot reach it.
        try (Tape tape = new Tape(SCALAR, memory)) {
            Tensor reused = tape.allocateUninitialized(4, 4);
            assertEquals(address(reused), stale.segment().address());
            reused.fill(3f);
            assertThrows(IllegalStateException.class, stale::toArray);
        }
    }

    @Test
    void stepsOpenAtTheSameTimeGetSeparateMemory() {
        StepMemory memory = new StepMemory();
        try (Tape training = new Tape(SCALAR, memory); Tape evaluation = new Tape(SCALAR, memory)) {
            Tensor a = training.allocateUninitialized(1024);
            Tensor b = evaluation.allocateUninitialized(1024);
            a.fill(1f);
            b.fill(2f);
            assertNotEquals(address(a), address(b));
            assertEquals(1f, a.get(1023));
            assertEquals(2f, b.get(0));
        }
    }

    @Test
    void allocationsLargerThanAChunkAndManySmallOnesFit() {
        StepMemory memory = new StepMemory();
        int large = (int) (StepMemory.CHUNK_BYTES / Float.BYTES) + 3;
        for (int step = 0; step < 2; step++) {
            try (Tape tape = new Tape(SCALAR, memory)) {
                Tensor big = tape.allocateUninitialized(large);
                big.set(5f, large - 1);
                long end = address(big) + (long) large * Float.BYTES;
                for (int i = 0; i < 300; i++) {
                    Tensor small = tape.allocateUninitialized(17, 33);
                    small.fill(i);
                    long at = address(small);
                    assertTrue(at >= end || at + 17 * 33 * Float.BYTES <= address(big), "no overlap with the big one");
                }
                assertEquals(5f, big.get(large - 1));
            }
        }
    }

    @Test
    void theStepArenaRefusesUseAfterClose() {
        StepMemory memory = new StepMemory();
        Arena arena = memory.openStep();
        Tensor t = Tensor.uninitialized(arena, 8);
        t.fill(1f);
        arena.close();
        assertThrows(IllegalStateException.class, () -> Tensor.uninitialized(arena, 8));
        assertThrows(IllegalStateException.class, () -> Tensor.zeros(arena, 8));
        assertThrows(IllegalStateException.class, arena::close);
        assertThrows(IllegalStateException.class, t::toArray);
    }

    @Test
    void withoutStepMemoryUninitialisedMeansZeros() {
        try (Arena arena = Arena.ofShared()) {
            for (float v : Tensor.uninitialized(arena, 64).toArray()) {
                assertEquals(0f, v);
            }
        }
    }
}
