package dev.panamax.engine.kernel.scalar;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Reference activations and their backward passes over {@code n} consecutive floats, computed in double and
 * rounded once. GELU is GPT-2's tanh approximation: {@code 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))}.
 * Backward kernels read the forward input {@code x} and accumulate {@code dX += dOut · f'(x)}: gradients are
 * always accumulated, so a value used twice simply receives both contributions.
 */
public final class ScalarActivations {

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);
    private static final double GELU_CUBIC = 0.044715;

    private ScalarActivations() {
    }

    public static double gelu(double x) {
        return 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + GELU_CUBIC * x * x * x)));
    }

    public static double geluDerivative(double x) {
        double u = SQRT_2_OVER_PI * (x + GELU_CUBIC * x * x * x);
        double t = Math.tanh(u);
        double du = SQRT_2_OVER_PI * (1 + 3 * GELU_CUBIC * x * x);
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du;
    }

    public static double silu(double x) {
        return x / (1 + Math.exp(-x));
    }

    public static double siluDerivative(double x) {
        double s = 1 / (1 + Math.exp(-x));
        return s * (1 + x * (1 - s));
    }

    public static void gelu(MemorySegment x, MemorySegment out, long n) {
        for (long i = 0; i < n; i++) {
            out.setAtIndex(F, i, (float) gelu(x.getAtIndex(F, i)));
        }
    }

    public static void geluBackward(MemorySegment x, MemorySegment dOut, MemorySegment dX, long n) {
        for (long i = 0; i < n; i++) {
            float g = (float) (dOut.getAtIndex(F, i) * geluDerivative(x.getAtIndex(F, i)));
            dX.setAtIndex(F, i, dX.getAtIndex(F, i) + g);
        }
    }

    public static void silu(MemorySegment x, MemorySegment out, long n) {
        for (long i = 0; i < n; i++) {
            out.setAtIndex(F, i, (float) silu(x.getAtIndex(F, i)));
        }
    }

    public static void siluBackward(MemorySegment x, MemorySegment dOut, MemorySegment dX, long n) {
        for (long i = 0; i < n; i++) {
            float g = (float) (dOut.getAtIndex(F, i) * siluDerivative(x.getAtIndex(F, i)));
            dX.setAtIndex(F, i, dX.getAtIndex(F, i) + g);
        }
    }

    public static void relu(MemorySegment x, MemorySegment out, long n) {
        for (long i = 0; i < n; i++) {
            out.setAtIndex(F, i, Math.max(0f, x.getAtIndex(F, i)));
        }
    }

    public static void reluBackward(MemorySegment x, MemorySegment dOut, MemorySegment dX, long n) {
        for (long i = 0; i < n; i++) {
            float g = x.getAtIndex(F, i) > 0f ? dOut.getAtIndex(F, i) : 0f;
            dX.setAtIndex(F, i, dX.getAtIndex(F, i) + g);
        }
    }
}
