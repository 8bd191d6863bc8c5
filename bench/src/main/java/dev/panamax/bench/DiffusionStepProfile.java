package dev.panamax.bench;

import dev.panamax.engine.SimdBackend;
import dev.panamax.engine.parallel.WorkerPool;
import dev.panamax.models.diffusion.DiffusionRecipe;
import dev.panamax.models.diffusion.DiffusionTrainer;
import dev.panamax.models.diffusion.UNetConfig;
import dev.panamax.models.diffusion.data.ShapesDataset;
import java.util.Locale;

/**
 * Where a diffusion training step spends its time, by {@link dev.panamax.engine.Backend} call: the step of
 * {@link DiffusionStepBenchmark#trainStep} (the recipe's U-Net at batch 32: forward, MSE, backward, clipping, AdamW,
 * EMA) with a {@link BackendCallTimer} between the trainer and the SIMD backend. Run it at 1 and 2 threads to see
 * which operations the second thread speeds up and which it does not. A diagnostic, not a benchmark.
 *
 * <pre>
 * java ... dev.panamax.bench.DiffusionStepProfile [threads, default 1]
 * </pre>
 */
public final class DiffusionStepProfile {

    private static final int WARM_UP_STEPS = 30;
    private static final int MEASURED_STEPS = 10;

    private DiffusionStepProfile() {
    }

    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        try (WorkerPool pool = new WorkerPool(threads)) {
            BackendCallTimer timer = new BackendCallTimer(new SimdBackend(pool));
            ShapesDataset data = new ShapesDataset(4096, DiffusionStepBenchmark.SIDE, 1);
            UNetConfig model = new UNetConfig(1, DiffusionStepBenchmark.SIDE, DiffusionStepBenchmark.SIDE,
                    DiffusionRecipe.BASE_CHANNELS, DiffusionRecipe.CHANNEL_MULTIPLIERS, DiffusionRecipe.RES_BLOCKS,
                    DiffusionRecipe.HEADS, DiffusionRecipe.GROUPS, data.classes(), DiffusionRecipe.TIME_EMBEDDING);
            long stepNanos = 0;
            double lastLoss = Double.NaN;
            try (DiffusionTrainer trainer = new DiffusionTrainer(model,
                    DiffusionRecipe.training(1).withSteps(1_000_000), data, timer.backend())) {
                for (int step = 0; step < WARM_UP_STEPS + MEASURED_STEPS; step++) {
                    boolean recording = step >= WARM_UP_STEPS;
                    timer.recording(recording);
                    long start = System.nanoTime();
                    lastLoss = trainer.step();
                    if (recording) {
                        stepNanos += System.nanoTime() - start;
                    }
                }
            }
            timer.print(String.format(Locale.ROOT, "diffusion train step, batch 32, %d thread(s), after %d warm-up "
                    + "steps, last loss %.4f", threads, WARM_UP_STEPS, lastLoss), stepNanos / 1e6 / MEASURED_STEPS, MEASURED_STEPS);
        }
    }
}
