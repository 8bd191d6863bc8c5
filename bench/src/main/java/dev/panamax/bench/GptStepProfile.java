package dev.panamax.bench;

import dev.panamax.engine.Backend;
import dev.panamax.engine.SimdBackend;
import dev.panamax.engine.Tensor;
import dev.panamax.engine.autograd.Tape;
import dev.panamax.engine.optim.AdamW;
import dev.panamax.engine.parallel.WorkerPool;
import dev.panamax.models.gpt.GptConfig;
import dev.panamax.models.gpt.GptModel;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
 * java ... dev.panamax.bench.GptStepProfile [config, default shakespeare-char-small] [threads, default 1]
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
        Map<String, long[]> totals = new HashMap<>();     // key -> {nanoseconds, calls}
        boolean[] recording = {false};
        try (WorkerPool pool = new WorkerPool(threads)) {
            Backend simd = new SimdBackend(pool);
            Backend timed = (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(),
                    new Class<?>[] {Backend.class}, (proxy, method, arguments) -> {
                        long start = System.nanoTime();
                        Object result;
                        try {
                            result = method.invoke(simd, arguments);
                        } catch (InvocationTargetException e) {
                            throw e.getCause();
                        }
                        if (recording[0]) {
                            long[] total = totals.computeIfAbsent(describe(method.getName(), arguments),
                                    k -> new long[2]);
                            total[0] += System.nanoTime() - start;
                            total[1]++;
                        }
                        return result;
                    });
            GptConfig config = GptConfig.preset(configName, 65);
            int batch = GptTrainStepBenchmark.batchSize(configName);
            int time = 64;
            SplittableRandom random = new SplittableRandom(3);
            int[] inputs = random.ints(batch * time, 0, config.vocabSize()).toArray();
            int[] targets = random.ints(batch * time, 0, config.vocabSize()).toArray();
            long stepNanos = 0;
            try (GptModel model = new GptModel(config, 1); AdamW adam = new AdamW(6e-4, 0.9, 0.99, 1e-8, 0.1)) {
                for (int step = 0; step < WARM_UP_STEPS + MEASURED_STEPS; step++) {
                    recording[0] = step >= WARM_UP_STEPS;
                    long start = System.nanoTime();
                    try (Tape tape = new Tape(timed)) {
                        tape.backward(model.loss(tape, inputs, targets, batch, time, 0f, 0));
                    }
                    adam.step(model.parameters());
                    adam.zeroGrad(model.parameters());
                    if (recording[0]) {
                        stepNanos += System.nanoTime() - start;
                    }
                }
            }
            print(configName, threads, stepNanos, totals);
        }
    }

    /** "layerNorm [12, 64, 128]", "gemm NT m768 n512 k128": the operation and the shape that sets its cost. */
    private static String describe(String method, Object[] arguments) {
        if (method.startsWith("gemm") && arguments.length >= 5 && arguments[2] instanceof Integer) {
            return String.format(Locale.ROOT, "%s %s%s m%d n%d k%d", method, arguments[0], arguments[1],
                    arguments[2], arguments[3], arguments[4]);
        }
        if (arguments != null && arguments.length > 0 && arguments[0] instanceof Tensor t) {
            return method + " " + t.shapeString();
        }
        return method;
    }

    private static void print(String config, int threads, long stepNanos, Map<String, long[]> totals) {
        double step = stepNanos / 1e6 / MEASURED_STEPS;
        System.out.printf(Locale.ROOT, "%s, %d thread(s): %.1f ms per step (mean of %d after %d warm-up steps)%n",
                config, threads, step, MEASURED_STEPS, WARM_UP_STEPS);
        List<Map.Entry<String, long[]>> rows = new ArrayList<>(totals.entrySet());
        rows.sort((a, b) -> Long.compare(b.getValue()[0], a.getValue()[0]));
        double inCalls = 0;
        for (Map.Entry<String, long[]> row : rows) {
            double ms = row.getValue()[0] / 1e6 / MEASURED_STEPS;
            inCalls += ms;
            System.out.printf(Locale.ROOT, "%8.2f ms %5.1f%% %4d calls  %s%n", ms, 100 * ms / step,
                    row.getValue()[1] / MEASURED_STEPS, row.getKey());
        }
        System.out.printf(Locale.ROOT, "%8.2f ms in backend calls; the rest is the tape, allocation and AdamW%n",
                inCalls);
    }
}
