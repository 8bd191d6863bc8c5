package dev.panamax.engine.kernel.simd.ops;

import dev.panamax.engine.kernel.scalar.ScalarLeastSquares;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API versions of {@link ScalarLeastSquares}: the same sums in double,
 * taken a vector of columns at a time.
 *
 * <p>Both passes stream a large input once (a 1,000,000 × 64 fit reads 512 MB per pass), so they are written to
 * reach the memory bandwidth: several rows per sweep over the columns, so that each running sum is loaded and
 * stored once per sweep, not once per row (with one row per sweep those loads and stores, not the input, bound the
 * loop). The float32 block is written by converting a vector of doubles to a float vector of the same lane count
 * (half the width). Sums are in a different order from the scalar kernel's, so results agree to double rounding,
 * not bit for bit; they do not depend on the thread count, since each call is one sequential sweep.
 */
public final class SimdLeastSquares {

    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    /** Floats with as many lanes as {@link #D}: the target of the double → float conversion. */
    private static final VectorSpecies<Float> F =
            VectorSpecies.of(float.class, VectorShape.forBitSize(D.vectorBitSize() / 2));
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;

    private SimdLeastSquares() {
    }

    /** See {@link ScalarLeastSquares#centerRows}. */
    public static double centerRows(double[][] x, double[] y, int from, int to, double[] center, double[] scale,
                                    MemorySegment block, double[] sum, double[] squares, double[] crossTarget) {
        int d = sum.length;
        double targetSum = 0;
        int i = from;
        for (; i + 4 <= to; i += 4) {
            double t0 = y[i] - center[d];
            double t1 = y[i + 1] - center[d];
            double t2 = y[i + 2] - center[d];
            double t3 = y[i + 3] - center[d];
            targetSum += (t0 + t1) + (t2 + t3);
            centerFourRows(x[i], x[i + 1], x[i + 2], x[i + 3], t0, t1, t2, t3, center, scale, block,
                    (long) (i - from) * d, sum, squares, crossTarget);
        }
        if (i < to) {
            // The last one to three rows. Scalar on purpose: a vector method called this rarely may never be
            // compiled by C2, and then its vectors run boxed (KernelCompilationTest caught exactly that).
            targetSum += ScalarLeastSquares.centerRows(x, y, i, to, center, scale,
                    block.asSlice((long) (i - from) * d * Float.BYTES), sum, squares, crossTarget);
        }
        return targetSum;
    }

    /** Four rows written from float element {@code out} on (rows of length d, one after the other). */
    private static void centerFourRows(double[] r0, double[] r1, double[] r2, double[] r3,
                                       double t0, double t1, double t2, double t3,
                                       double[] center, double[] scale, MemorySegment block, long out,
                                       double[] sum, double[] squares, double[] crossTarget) {
        int d = sum.length;
        long rowBytes = (long) d * Float.BYTES;
        long base = out * Float.BYTES;
        DoubleVector u0 = DoubleVector.broadcast(D, t0);
        DoubleVector u1 = DoubleVector.broadcast(D, t1);
        DoubleVector u2 = DoubleVector.broadcast(D, t2);
        DoubleVector u3 = DoubleVector.broadcast(D, t3);
        int j = 0;
        for (int bound = D.loopBound(d); j < bound; j += D.length()) {
            DoubleVector shift = DoubleVector.fromArray(D, center, j);
            DoubleVector s = DoubleVector.fromArray(D, scale, j);
            DoubleVector v0 = DoubleVector.fromArray(D, r0, j).sub(shift);
            DoubleVector v1 = DoubleVector.fromArray(D, r1, j).sub(shift);
            DoubleVector v2 = DoubleVector.fromArray(D, r2, j).sub(shift);
            DoubleVector v3 = DoubleVector.fromArray(D, r3, j).sub(shift);
            DoubleVector.fromArray(D, sum, j).add(v0.add(v1).add(v2.add(v3))).intoArray(sum, j);
            DoubleVector.fromArray(D, squares, j)
                    .add(v0.fma(v0, v1.mul(v1)).add(v2.fma(v2, v3.mul(v3)))).intoArray(squares, j);
            DoubleVector.fromArray(D, crossTarget, j)
                    .add(v0.fma(u0, v1.mul(u1)).add(v2.fma(u2, v3.mul(u3)))).intoArray(crossTarget, j);
            long at = base + (long) j * Float.BYTES;
            toFloat(v0.mul(s)).intoMemorySegment(block, at, ORDER);
            toFloat(v1.mul(s)).intoMemorySegment(block, at + rowBytes, ORDER);
            toFloat(v2.mul(s)).intoMemorySegment(block, at + 2 * rowBytes, ORDER);
            toFloat(v3.mul(s)).intoMemorySegment(block, at + 3 * rowBytes, ORDER);
        }
        for (; j < d; j++) {
            double v0 = r0[j] - center[j];
            double v1 = r1[j] - center[j];
            double v2 = r2[j] - center[j];
            double v3 = r3[j] - center[j];
            sum[j] += (v0 + v1) + (v2 + v3);
            squares[j] += (v0 * v0 + v1 * v1) + (v2 * v2 + v3 * v3);
            crossTarget[j] += (v0 * t0 + v1 * t1) + (v2 * t2 + v3 * t3);
            block.setAtIndex(FLOAT, out + j, (float) (v0 * scale[j]));
            block.setAtIndex(FLOAT, out + d + j, (float) (v1 * scale[j]));
            block.setAtIndex(FLOAT, out + 2L * d + j, (float) (v2 * scale[j]));
            block.setAtIndex(FLOAT, out + 3L * d + j, (float) (v3 * scale[j]));
        }
    }

    private static FloatVector toFloat(DoubleVector v) {
        return (FloatVector) v.convertShape(VectorOperators.D2F, F, 0);
    }

    /** See {@link ScalarLeastSquares#residualGradient}. */
    public static void residualGradient(double[][] x, double[] y, int from, int to, double intercept,
                                        double[] coefficients, double[] means, double[] gradient) {
        int d = coefficients.length;
        int i = from;
        // Four rows per sweep: their dot products share the loads of the coefficients, and their gradient updates
        // share the load and store of the running gradient; four independent rows also keep more loads in flight.
        for (; i + 4 <= to; i += 4) {
            double[] r0 = x[i];
            double[] r1 = x[i + 1];
            double[] r2 = x[i + 2];
            double[] r3 = x[i + 3];
            DoubleVector dot0 = DoubleVector.zero(D);
            DoubleVector dot1 = DoubleVector.zero(D);
            DoubleVector dot2 = DoubleVector.zero(D);
            DoubleVector dot3 = DoubleVector.zero(D);
            int j = 0;
            for (int bound = D.loopBound(d); j < bound; j += D.length()) {
                DoubleVector c = DoubleVector.fromArray(D, coefficients, j);
                dot0 = DoubleVector.fromArray(D, r0, j).fma(c, dot0);
                dot1 = DoubleVector.fromArray(D, r1, j).fma(c, dot1);
                dot2 = DoubleVector.fromArray(D, r2, j).fma(c, dot2);
                dot3 = DoubleVector.fromArray(D, r3, j).fma(c, dot3);
            }
            double p0 = intercept + dot0.reduceLanes(VectorOperators.ADD);
            double p1 = intercept + dot1.reduceLanes(VectorOperators.ADD);
            double p2 = intercept + dot2.reduceLanes(VectorOperators.ADD);
            double p3 = intercept + dot3.reduceLanes(VectorOperators.ADD);
            for (; j < d; j++) {
                p0 += r0[j] * coefficients[j];
                p1 += r1[j] * coefficients[j];
                p2 += r2[j] * coefficients[j];
                p3 += r3[j] * coefficients[j];
            }
            addResidualGradient(r0, r1, r2, r3, y[i] - p0, y[i + 1] - p1, y[i + 2] - p2, y[i + 3] - p3, means,
                    gradient);
        }
        if (i < to) {
            // Scalar for the last rows, as in centerRows.
            ScalarLeastSquares.residualGradient(x, y, i, to, intercept, coefficients, means, gradient);
        }
    }

    /** {@code gradient += Σ (rowₖ − means)·residualₖ} over four rows. */
    private static void addResidualGradient(double[] r0, double[] r1, double[] r2, double[] r3,
                                            double e0, double e1, double e2, double e3,
                                            double[] means, double[] gradient) {
        int d = means.length;
        DoubleVector u0 = DoubleVector.broadcast(D, e0);
        DoubleVector u1 = DoubleVector.broadcast(D, e1);
        DoubleVector u2 = DoubleVector.broadcast(D, e2);
        DoubleVector u3 = DoubleVector.broadcast(D, e3);
        int j = 0;
        for (int bound = D.loopBound(d); j < bound; j += D.length()) {
            DoubleVector m = DoubleVector.fromArray(D, means, j);
            DoubleVector a = DoubleVector.fromArray(D, r0, j).sub(m).fma(u0,
                    DoubleVector.fromArray(D, r1, j).sub(m).mul(u1));
            DoubleVector b = DoubleVector.fromArray(D, r2, j).sub(m).fma(u2,
                    DoubleVector.fromArray(D, r3, j).sub(m).mul(u3));
            DoubleVector.fromArray(D, gradient, j).add(a.add(b)).intoArray(gradient, j);
        }
        for (; j < d; j++) {
            double m = means[j];
            gradient[j] += ((r0[j] - m) * e0 + (r1[j] - m) * e1) + ((r2[j] - m) * e2 + (r3[j] - m) * e3);
        }
    }
}
