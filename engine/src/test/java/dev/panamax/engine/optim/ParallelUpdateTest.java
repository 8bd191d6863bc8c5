package dev.panamax.engine.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.panamax.engine.Tensor;
import dev.panamax.engine.nn.Parameter;
import dev.panamax.engine.parallel.WorkerPool;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** An optimizer step split over a worker pool gives the same bits as on the calling thread. */
class ParallelUpdateTest {

    /** Odd and tiny sizes, and ones that straddle the pool's ranges. */
    private static final int[] SIZES = {1, 7, 300_001, 3, 65_537, 130_000};

    private static List<Parameter> parameters(Arena arena) {
        List<Parameter> list = new ArrayList<>();
        for (int i = 0; i < SIZES.length; i++) {
            Parameter p = Parameter.of(arena, "p" + i, Tensor.uniform(arena, 10 + i, -1f, 1f, SIZES[i]), i % 2 == 0);
            p.grad().copyFrom(Tensor.uniform(arena, 20 + i, -1f, 1f, SIZES[i]).toArray());
            list.add(p);
        }
        return list;
    }

    private static float[][] run(Supplier<StatefulOptimizer> make, WorkerPool pool) {
        try (Arena arena = Arena.ofShared()) {
            List<Parameter> params = parameters(arena);
            StatefulOptimizer optimizer = make.get();
            optimizer.setWorkerPool(pool);
            for (int step = 0; step < 3; step++) {
                optimizer.step(params);
            }
            assertEquals(3, optimizer.stepCount());
            float[][] values = new float[params.size()][];
            for (int i = 0; i < params.size(); i++) {
                values[i] = params.get(i).value().toArray();
            }
            optimizer.close();
            return values;
        }
    }

    @Test
    void everyOptimizerGivesTheSameBitsOnThreeThreads() {
        List<Supplier<StatefulOptimizer>> optimizers = List.of(
                () -> new SGD(0.1, 0, 0.01, false),
                () -> new SGD(0.1, 0.9, 0.01, true),
                () -> new Adagrad(0.1, 1e-10, 0.01),
                () -> new Adam(1e-3, 0.9, 0.999, 1e-8, 0.01),
                () -> new AdamW(1e-3, 0.9, 0.99, 1e-8, 0.1));
        try (WorkerPool three = new WorkerPool(3)) {
            for (Supplier<StatefulOptimizer> make : optimizers) {
                float[][] alone = run(make, null);
                float[][] split = run(make, three);
                String name = make.get().name();
                for (int i = 0; i < SIZES.length; i++) {
                    assertArrayEquals(alone[i], split[i], 0f, name + ", parameter of " + SIZES[i] + " elements");
                }
            }
        }
    }
}
