package dev.panamax.bench;

import dev.panamax.engine.Backend;
import dev.panamax.engine.SimdBackend;
import dev.panamax.engine.StepMemory;
import dev.panamax.engine.autograd.Tape;
import dev.panamax.engine.optim.AdamW;
import dev.panamax.engine.parallel.WorkerPool;
import dev.panamax.models.gpt.GptConfig;
import dev.panamax.models.gpt.GptModel;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Where a GPT training step spends its time, by {@link Backend} call: the step of {@link GptTrainStepBenchmark}
 * (forward, backward, AdamW) run with a timing proxy between the model and the SIMD backend, which adds up the
 * wall time of every call by operation and shape (for GEMMs: the transposes and m, n, k). A profiler's samples
 * say which methods run; this says which operations of the step cost what, in milliseconds per step. It is a
 * diagnostic, not a benchmark: the proxy adds a little to every call, and the JIT compiles the step in a
 * slightly different context than {@link GptTrainStepBenchmark}'s.
 *
 * <pre>
 * java ... dev.panamax.bench.GptStepProfile [config, default shakespeare-char-small] [threads, default 1] [fresh]
 * </pre>
 */
public final class GptStepProfile {

    private static final int WARM_UP_STEPS = 250;
    private static final int MEASURED_STEPS = 40;

    private GptStepProfile() {
    }

    public static void main(String[] args) {
        String configName = args.length > 0 ? args[0] : "shakespeare-char-small";
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        // As the trainer: steps reuse their memory; "fresh" allocates new zeroed memory every step.
        StepMemory memory = args.length > 2 && args[2].equals("fresh") ? null : new StepMemory();
        try (WorkerPool pool = new WorkerPool(threads)) {
            BackendCallTimer timer = new BackendCallTimer(new SimdBackend(pool));
            Backend timed = timer.backend();
            GptConfig config = GptConfig.preset(configName, 65);
            int batch = GptTrainStepBenchmark.batchSize(configName);
            int time = 64;
            SplittableRandom random = new SplittableRandom(3);
            int[] inputs = random.ints(batch * time, 0, config.vocabSize()).toArray();
            int[] targets = random.ints(batch * time, 0, config.vocabSize()).toArray();
            long stepNanos = 0;
            try (GptModel model = new GptModel(config, 1); AdamW adam = new AdamW(6e-4, 0.9, 0.99, 1e-8, 0.1)) {
                adam.setWorkerPool(pool);                   // as the trainer does
                for (int step = 0; step < WARM_UP_STEPS + MEASURED_STEPS; step++) {
                    boolean recording = step >= WARM_UP_STEPS;
                    timer.recording(recording);
                    long start = System.nanoTime();
                    try (Tape tape = new Tape(timed, memory)) {
                        tape.backward(model.loss(tape, inputs, targets, batch, time, 0f, 0));
                    }
                    adam.step(model.parameters());
                    adam.zeroGrad(model.parameters());
                    if (recording) {
                        stepNanos += System.nanoTime() - start;
                    }
                }
            }
            timer.print(String.format(Locale.ROOT, "%s, %d thread(s), after %d warm-up steps", configName, threads,
                    WARM_UP_STEPS), stepNanos / 1e6 / MEASURED_STEPS, MEASURED_STEPS);
        }
    }
}
