package dev.panamax.bench;

import dev.panamax.engine.SimdBackend;
import dev.panamax.engine.parallel.WorkerPool;
import dev.panamax.models.gpt.GptConfig;
import dev.panamax.models.gpt.GptDecoder;
import dev.panamax.models.gpt.GptModel;
import java.util.Locale;

/**
 * Where a GPT-2 small decode step spends its time, by {@link dev.panamax.engine.Backend} call: the step of
 * {@link GptGenerateBenchmark} (random weights, a 64-token prompt, then one token at a time with the KV cache) with
 * a {@link BackendCallTimer} between the decoder and the SIMD backend. A diagnostic, not a benchmark.
 *
 * <pre>
 * java ... dev.panamax.bench.GptDecodeProfile [threads, default 1]
 * </pre>
 */
public final class GptDecodeProfile {

    private static final int WARM_UP_STEPS = 200;
    private static final int MEASURED_STEPS = 200;

    private GptDecodeProfile() {
    }

    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        try (WorkerPool pool = new WorkerPool(threads);
             GptModel model = new GptModel(GptConfig.preset("gpt2", 0), 1)) {
            BackendCallTimer timer = new BackendCallTimer(new SimdBackend(pool));
            int[] prompt = new int[64];
            for (int i = 0; i < prompt.length; i++) {
                prompt[i] = (i * 7919) % 50257;
            }
            long stepNanos = 0;
            try (GptDecoder decoder = new GptDecoder(model, timer.backend())) {
                decoder.prefill(prompt);
                int token = 1;
                for (int step = 0; step < WARM_UP_STEPS + MEASURED_STEPS; step++) {
                    if (decoder.position() == 576) {
                        decoder.reset();
                        decoder.prefill(prompt);
                    }
                    boolean recording = step >= WARM_UP_STEPS;
                    timer.recording(recording);
                    long start = System.nanoTime();
                    decoder.next(token);
                    if (recording) {
                        stepNanos += System.nanoTime() - start;
                    }
                    token = (token * 31 + 7) % 50257;
                }
            }
            timer.print(String.format(Locale.ROOT, "gpt2 decode step, %d thread(s), after %d warm-up steps", threads,
                    WARM_UP_STEPS), stepNanos / 1e6 / MEASURED_STEPS, MEASURED_STEPS);
        }
    }
}
