package dev.panamax.bench;

import dev.panamax.engine.Backend;
import dev.panamax.engine.Tensor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A {@link Backend} that times every call of the one it wraps (a {@link Proxy}), adding up the wall time by
 * operation and shape while {@link #recording} is on: the step profiles' way of saying which operations of a
 * training step cost what. The proxy adds a little to every call, so the figures are a diagnostic, not a benchmark.
 */
final class BackendCallTimer {

    /** Operation and shape → {nanoseconds, calls}. */
    private final Map<String, long[]> totals = new HashMap<>();
    private final Backend timed;
    private boolean recording;

    BackendCallTimer(Backend backend) {
        this.timed = (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                (proxy, method, arguments) -> {
                    long start = System.nanoTime();
                    Object result;
                    try {
                        result = method.invoke(backend, arguments);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                    long elapsed = System.nanoTime() - start;
                    if (recording) {
                        // Described after the clock stops: formatting the key is not the call's time.
                        long[] total = totals.computeIfAbsent(describe(method.getName(), arguments), k -> new long[2]);
                        total[0] += elapsed;
                        total[1]++;
                    }
                    return result;
                });
    }

    /** The timing backend, to hand to the model instead of the wrapped one. */
    Backend backend() {
        return timed;
    }

    void recording(boolean on) {
        recording = on;
    }

    /** "layerNorm [12, 64, 128]", "gemm NT m768 n512 k128": the operation and the shape that sets its cost. */
    private static String describe(String method, Object[] arguments) {
        if (method.startsWith("gemm") && arguments.length >= 5 && arguments[2] instanceof Integer) {
            return String.format(Locale.ROOT, "%s %s%s m%d n%d k%d", method, arguments[0], arguments[1],
                    arguments[2], arguments[3], arguments[4]);
        }
        if (arguments != null && arguments.length > 0 && arguments[0] instanceof Tensor t) {
            // A convolution's cost needs the weight's shape too: [o, c, kh, kw] (the weight gradient's is dw).
            int weight = method.equals("conv2dBackwardWeight") ? 2 : 1;
            if (method.startsWith("conv2d") && arguments.length > weight && arguments[weight] instanceof Tensor w) {
                return method + " " + t.shapeString() + " w" + w.shapeString();
            }
            return method + " " + t.shapeString();
        }
        return method;
    }

    /** One line per operation and shape, costliest first, in ms per step over {@code steps} recorded steps. */
    void print(String title, double stepMillis, int steps) {
        System.out.printf(Locale.ROOT, "%s: %.1f ms per step (mean of %d)%n", title, stepMillis, steps);
        List<Map.Entry<String, long[]>> rows = new ArrayList<>(totals.entrySet());
        rows.sort((a, b) -> Long.compare(b.getValue()[0], a.getValue()[0]));
        double inCalls = 0;
        for (Map.Entry<String, long[]> row : rows) {
            double ms = row.getValue()[0] / 1e6 / steps;
            inCalls += ms;
            System.out.printf(Locale.ROOT, "%8.2f ms %5.1f%% %4d calls  %s%n", ms, 100 * ms / stepMillis,
                    row.getValue()[1] / steps, row.getKey());
        }
        System.out.printf(Locale.ROOT, "%8.2f ms in backend calls; the rest is the tape, allocation and the optimizer%n",
                inCalls);
    }
}
