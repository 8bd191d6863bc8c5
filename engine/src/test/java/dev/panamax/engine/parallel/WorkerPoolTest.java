package dev.panamax.engine.parallel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class WorkerPoolTest {

    @Test
    void everyPartRunsExactlyOnce() {
        try (WorkerPool pool = new WorkerPool(3)) {
            for (int round = 0; round < 1000; round++) {
                AtomicIntegerArray runs = new AtomicIntegerArray(3);
                pool.run(runs::incrementAndGet);
                assertEquals("[1, 1, 1]", runs.toString());
            }
        }
    }

    @Test
    void morePartsThanThreadsAreSharedOut() {
        try (WorkerPool pool = new WorkerPool(2)) {
            for (int parts : new int[] {0, 1, 2, 3, 7, 64}) {
                AtomicIntegerArray runs = new AtomicIntegerArray(Math.max(parts, 1));
                pool.run(parts, runs::incrementAndGet);
                for (int i = 0; i < parts; i++) {
                    assertEquals(1, runs.get(i), "part " + i + " of " + parts);
                }
            }
        }
    }

    @Test
    void aFailingPartIsRethrownAndThePoolStaysUsable() {
        try (WorkerPool pool = new WorkerPool(2)) {
            var e = assertThrows(IllegalStateException.class, () -> pool.run(part -> {
                if (part == 1) {
                    throw new IllegalStateException("part 1 failed");
                }
            }));
            assertTrue(e.getMessage().contains("failed"), e.getMessage());
            AtomicIntegerArray runs = new AtomicIntegerArray(2);
            pool.run(runs::incrementAndGet);
            assertEquals("[1, 1]", runs.toString());
        }
    }

    @Test
    void nestedJobRunsInline() {
        try (WorkerPool pool = new WorkerPool(2)) {
            AtomicIntegerArray runs = new AtomicIntegerArray(2);
            pool.run(outer -> pool.run(runs::incrementAndGet));
            assertEquals("[2, 2]", runs.toString());
        }
    }

    @Test
    void sizeMustBePositive() {
        var e = assertThrows(IllegalArgumentException.class, () -> new WorkerPool(0));
        assertTrue(e.getMessage().contains("threads"), e.getMessage());
    }
}
