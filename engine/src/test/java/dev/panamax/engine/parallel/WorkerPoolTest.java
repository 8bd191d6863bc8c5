package dev.panamax.engine.parallel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class WorkerPoolTest {

    @Test
    void everyPartRunsOnceAndPartZeroOnTheCaller() {
        try (WorkerPool pool = new WorkerPool(3)) {
            for (int round = 0; round < 1000; round++) {
                AtomicIntegerArray runs = new AtomicIntegerArray(3);
                Thread caller = Thread.currentThread();
                Thread[] ranOn = new Thread[3];
                pool.run(part -> {
                    runs.incrementAndGet(part);
                    ranOn[part] = Thread.currentThread();
                });
                assertEquals("[1, 1, 1]", runs.toString());
                assertEquals(caller, ranOn[0]);
            }
        }
    }

    @Test
    void barrierSeparatesPhases() {
        try (WorkerPool pool = new WorkerPool(3)) {
            int[] phaseOne = new int[3];
            int[] seen = new int[3];
            for (int round = 1; round <= 200; round++) {
                int value = round;
                pool.run(part -> {
                    phaseOne[part] = value;
                    pool.barrier();
                    seen[part] = phaseOne[(part + 1) % 3];
                    pool.barrier();
                });
                assertArrayEquals(new int[] {round, round, round}, seen);
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
                pool.barrier();
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
    void aBarrierInANestedJobFailsLoudly() {
        try (WorkerPool pool = new WorkerPool(2)) {
            var e = assertThrows(IllegalStateException.class, () -> pool.run(outer -> pool.run(inner -> pool.barrier())));
            assertTrue(e.getMessage().contains("nested"), e.getMessage());
            AtomicIntegerArray runs = new AtomicIntegerArray(2);
            pool.run(part -> {
                runs.incrementAndGet(part);
                pool.barrier();
            });
            assertEquals("[1, 1]", runs.toString(), "the pool still works after the failure");
        }
    }

    @Test
    void sizeMustBePositive() {
        var e = assertThrows(IllegalArgumentException.class, () -> new WorkerPool(0));
        assertTrue(e.getMessage().contains("threads"), e.getMessage());
    }
}
