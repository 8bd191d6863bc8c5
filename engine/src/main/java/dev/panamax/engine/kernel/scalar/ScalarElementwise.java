package dev.panamax.engine.kernel.scalar;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Reference elementwise kernels over {@code n} consecutive floats. Outputs may alias inputs (each element is read
 * before it is written). Offsets count floats.
 */
public final class ScalarElementwise {

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    private ScalarElementwise() {
    }

    /** out = a + b. */
    public static void add(MemorySegment a, MemorySegment b, MemorySegment out, long n) {
        for (long i = 0; i < n; i++) {
            out.setAtIndex(F, i, a.getAtIndex(F, i) + b.getAtIndex(F, i));
        }
    }

    /** out = a − b. */
    public static void sub(MemorySegment a, MemorySegment b, MemorySegment out, long n) {
        for (long i = 0; i < n; i++) {
            out.setAtIndex(F, i, a.getAtIndex(F, i) - b.getAtIndex(F, i));
        }
    }

    /** out = a ∘ b. */
    public static void mul(MemorySegment a, MemorySegment b, MemorySegment out, long n) {
        for (long i = 0; i < n; i++) {
            out.setAtIndex(F, i, a.getAtIndex(F, i) * b.getAtIndex(F, i));
        }
    }

    /** out = s·a. */
    public static void scale(MemorySegment a, float s, MemorySegment out, long n) {
        for (long i = 0; i < n; i++) {
            out.setAtIndex(F, i, s * a.getAtIndex(F, i));
        }
    }

    /** y += alpha·x (gradient accumulation). */
    public static void axpy(float alpha, MemorySegment x, MemorySegment y, long n) {
        for (long i = 0; i < n; i++) {
            y.setAtIndex(F, i, y.getAtIndex(F, i) + alpha * x.getAtIndex(F, i));
        }
    }

    /** out[r, c] = x[r, c] + bias[c] for {@code rows × cols}. */
    public static void addBias(MemorySegment x, MemorySegment bias, MemorySegment out, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            long row = (long) r * cols;
            for (int c = 0; c < cols; c++) {
                out.setAtIndex(F, row + c, x.getAtIndex(F, row + c) + bias.getAtIndex(F, c));
            }
        }
    }

    /** out[c] += Σ_r x[r, c]: the gradient of a broadcast bias. Sums rows in ascending order. */
    public static void accumulateColumnSums(MemorySegment x, MemorySegment out, int rows, int cols) {
        for (int c = 0; c < cols; c++) {
            float sum = 0f;
            for (int r = 0; r < rows; r++) {
                sum += x.getAtIndex(F, (long) r * cols + c);
            }
            out.setAtIndex(F, c, out.getAtIndex(F, c) + sum);
        }
    }

    /** Σ x in double, so that a mean over millions of elements does not drift. */
    public static double sum(MemorySegment x, long n) {
        double sum = 0;
        for (long i = 0; i < n; i++) {
            sum += x.getAtIndex(F, i);
        }
        return sum;
    }
}
