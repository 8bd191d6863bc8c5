package dev.panamax.engine.autograd;

import java.util.function.ToDoubleFunction;

/**
 * Finite-difference gradient checking: compares an analytic gradient with central differences
 * {@code (L(x + h·eᵢ) − L(x − h·eᵢ)) / 2h}. Float32 kernels limit what agreement means: with inputs of order 1,
 * h ≈ 1e-2 balances the O(h²) truncation error against the O(u/h) rounding error (u = 2⁻²⁴), so agreement to
 * about 1e-2 relative (with an absolute floor for tiny gradients) is the right expectation; use double-valued
 * losses of moderate size (tens of terms) to keep the rounding term small.
 */
public final class GradientCheck {

    private GradientCheck() {
    }

    /** The result of a check: the worst element and its errors. */
    public record Result(int worstIndex, double analytic, double numeric, double error) {
        public boolean passes(double tolerance) {
            return error <= tolerance;
        }

        @Override
        public String toString() {
            return "element " + worstIndex + ": analytic " + analytic + ", numeric " + numeric + ", error " + error;
        }
    }

    /**
     * Compares {@code analytic} with central differences of {@code loss} at {@code x} (modified in place and
     * restored). The error of element i is |a − n| / max(1, |a|, |n|): relative for large gradients, absolute
     * for small ones.
     */
    public static Result check(ToDoubleFunction<float[]> loss, float[] x, float[] analytic, double h) {
        if (analytic.length != x.length) {
            throw new IllegalArgumentException("GradientCheck: " + analytic.length + " gradient values for "
                    + x.length + " inputs");
        }
        Result worst = new Result(-1, 0, 0, 0);
        for (int i = 0; i < x.length; i++) {
            float saved = x[i];
            x[i] = (float) (saved + h);
            double plus = loss.applyAsDouble(x);
            x[i] = (float) (saved - h);
            double minus = loss.applyAsDouble(x);
            x[i] = saved;
            double step = ((double) (float) (saved + h) - (double) (float) (saved - h));
            double numeric = (plus - minus) / step;
            double error = Math.abs(analytic[i] - numeric) / Math.max(1, Math.max(Math.abs(analytic[i]), Math.abs(numeric)));
            if (error > worst.error() || worst.worstIndex() < 0) {
                worst = new Result(i, analytic[i], numeric, error);
            }
        }
        return worst;
    }
}
