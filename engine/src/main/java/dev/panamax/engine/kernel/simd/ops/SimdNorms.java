package dev.panamax.engine.kernel.simd.ops;

import static dev.panamax.engine.kernel.simd.ops.SimdRows.S;
import static dev.panamax.engine.kernel.simd.ops.SimdRows.V;
import static dev.panamax.engine.kernel.simd.ops.SimdRows.ORDER;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

/**
 * LayerNorm forward and backward over the last dimension. The mean takes two passes (a sum, then a correction from
 * Σ(x − mean)) and the variance a third (the squared deviations), so a large offset in x does not cancel it. The backward is split so that it parallelises without
 * races and without depending on the thread count: dX by rows, dGamma and dBeta by columns (each column sums
 * its rows in ascending order).
 */
public final class SimdNorms {

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    private SimdNorms() {
    }

    /** Rows {@code [rowFrom, rowTo)} of out = (x − μ)·rstd·gamma + beta; stores μ and rstd per row. */
    public static void layerNorm(MemorySegment x, MemorySegment gamma, MemorySegment beta, MemorySegment out,
                                 MemorySegment mean, MemorySegment rstd, int rowFrom, int rowTo, int cols, float eps) {
        int full = S.loopBound(cols);
        for (int r = rowFrom; r < rowTo; r++) {
            long row = (long) r * cols;
            float roughMean = SimdRows.sum(x, row, cols) / cols;
            // One correction pass: the rounding error of the first mean is recovered from Σ(x − mean).
            float mu = roughMean + SimdRows.sumDeviations(x, row, cols, roughMean) / cols;
            float s = (float) (1 / Math.sqrt(SimdRows.sumSquaredDeviations(x, row, cols, mu) / cols + eps));
            int c = 0;
            for (; c < full; c += V) {
                FloatVector norm = FloatVector.fromMemorySegment(S, x, (row + c) * Float.BYTES, ORDER).sub(mu).mul(s);
                norm.fma(FloatVector.fromMemorySegment(S, gamma, (long) c * Float.BYTES, ORDER),
                                FloatVector.fromMemorySegment(S, beta, (long) c * Float.BYTES, ORDER))
                        .intoMemorySegment(out, (row + c) * Float.BYTES, ORDER);
            }
            if (c < cols) {
                VectorMask<Float> m = S.indexInRange(c, cols);
                FloatVector norm = FloatVector.fromMemorySegment(S, x, (row + c) * Float.BYTES, ORDER, m).sub(mu)
                        .mul(s);
                norm.fma(FloatVector.fromMemorySegment(S, gamma, (long) c * Float.BYTES, ORDER, m),
                                FloatVector.fromMemorySegment(S, beta, (long) c * Float.BYTES, ORDER, m))
                        .intoMemorySegment(out, (row + c) * Float.BYTES, ORDER, m);
            }
            mean.setAtIndex(F, r, mu);
            rstd.setAtIndex(F, r, s);
        }
    }

    /**
     * Rows {@code [rowFrom, rowTo)} of dX += (dNorm − mean(dNorm) − norm·mean(dNorm·norm))·rstd.
     *
     * <p>Written with the Vector API calls in the loop bodies and the lane sums through an array, so no vector
     * crosses a call into one of our own methods: C2 does not always inline such helpers (in a training step,
     * with many kernels compiled, it declined as "callee is too large"), and a vector passed to a method that is
     * not inlined is boxed on the heap, which made this kernel allocate megabytes per call and run ten times
     * slower than alone.
     */
    public static void layerNormBackwardInput(MemorySegment x, MemorySegment gamma, MemorySegment mean,
                                              MemorySegment rstd, MemorySegment dOut, MemorySegment dX,
                                              int rowFrom, int rowTo, int cols) {
        int full = S.loopBound(cols);
        float[] lanes = new float[V];
        for (int r = rowFrom; r < rowTo; r++) {
            long row = (long) r * cols;
            float mu = mean.getAtIndex(F, r);
            float s = rstd.getAtIndex(F, r);
            FloatVector dNormSum = FloatVector.zero(S);
            FloatVector dNormNormSum = FloatVector.zero(S);
            int c = 0;
            for (; c < full; c += V) {
                long at = (row + c) * Float.BYTES;
                FloatVector norm = FloatVector.fromMemorySegment(S, x, at, ORDER).sub(mu).mul(s);
                FloatVector dNorm = FloatVector.fromMemorySegment(S, gamma, (long) c * Float.BYTES, ORDER)
                        .mul(FloatVector.fromMemorySegment(S, dOut, at, ORDER));
                dNormSum = dNormSum.add(dNorm);
                dNormNormSum = dNorm.fma(norm, dNormNormSum);
            }
            if (c < cols) {
                VectorMask<Float> m = S.indexInRange(c, cols);
                long at = (row + c) * Float.BYTES;
                FloatVector norm = FloatVector.fromMemorySegment(S, x, at, ORDER, m).sub(mu).mul(s);
                FloatVector dNorm = FloatVector.fromMemorySegment(S, gamma, (long) c * Float.BYTES, ORDER, m)
                        .mul(FloatVector.fromMemorySegment(S, dOut, at, ORDER, m));
                dNormSum = dNormSum.add(dNorm);
                dNormNormSum = dNorm.fma(norm, dNormNormSum);
            }
            dNormSum.intoArray(lanes, 0);
            float dNormMean = SimdRows.sumInOrder(lanes) / cols;
            dNormNormSum.intoArray(lanes, 0);
            float dNormNormMean = SimdRows.sumInOrder(lanes) / cols;
            c = 0;
            for (; c < full; c += V) {
                long at = (row + c) * Float.BYTES;
                FloatVector norm = FloatVector.fromMemorySegment(S, x, at, ORDER).sub(mu).mul(s);
                FloatVector dNorm = FloatVector.fromMemorySegment(S, gamma, (long) c * Float.BYTES, ORDER)
                        .mul(FloatVector.fromMemorySegment(S, dOut, at, ORDER));
                FloatVector g = dNorm.sub(dNormMean).sub(norm.mul(dNormNormMean)).mul(s);
                FloatVector.fromMemorySegment(S, dX, at, ORDER).add(g).intoMemorySegment(dX, at, ORDER);
            }
            if (c < cols) {
                VectorMask<Float> m = S.indexInRange(c, cols);
                long at = (row + c) * Float.BYTES;
                FloatVector norm = FloatVector.fromMemorySegment(S, x, at, ORDER, m).sub(mu).mul(s);
                FloatVector dNorm = FloatVector.fromMemorySegment(S, gamma, (long) c * Float.BYTES, ORDER, m)
                        .mul(FloatVector.fromMemorySegment(S, dOut, at, ORDER, m));
                FloatVector g = dNorm.sub(dNormMean).sub(norm.mul(dNormNormMean)).mul(s);
                FloatVector.fromMemorySegment(S, dX, at, ORDER, m).add(g).intoMemorySegment(dX, at, ORDER, m);
            }
        }
    }

    /**
     * Columns {@code [colFrom, colTo)} of dGamma += Σ_r dOut·norm and dBeta += Σ_r dOut. Each column sums its rows
     * in ascending order (the result does not depend on the thread count), but the rows are streamed one after
     * another into per-thread column sums: walking down one column block at a time read every row's cache lines
     * again per block, and with x and dOut beyond L2 that cost three times the dX pass.
     */
    public static void layerNormBackwardParams(MemorySegment x, MemorySegment mean, MemorySegment rstd,
                                               MemorySegment dOut, MemorySegment dGamma, MemorySegment dBeta,
                                               int rows, int cols, int colFrom, int colTo) {
        int width = colTo - colFrom;
        int full = S.loopBound(width);
        int betaAt = SimdRows.roundUp(width);
        float[] sums = SimdRows.columnSums(2 * betaAt);
        for (int r = 0; r < rows; r++) {
            long row = (long) r * cols + colFrom;
            float mu = mean.getAtIndex(F, r);
            float s = rstd.getAtIndex(F, r);
            int j = 0;
            for (; j < full; j += V) {
                long at = (row + j) * Float.BYTES;
                FloatVector g = FloatVector.fromMemorySegment(S, dOut, at, ORDER);
                FloatVector norm = FloatVector.fromMemorySegment(S, x, at, ORDER).sub(mu).mul(s);
                g.fma(norm, FloatVector.fromArray(S, sums, j)).intoArray(sums, j);
                FloatVector.fromArray(S, sums, betaAt + j).add(g).intoArray(sums, betaAt + j);
            }
            if (j < width) {
                VectorMask<Float> m = S.indexInRange(j, width);
                long at = (row + j) * Float.BYTES;
                FloatVector g = FloatVector.fromMemorySegment(S, dOut, at, ORDER, m);
                FloatVector norm = FloatVector.fromMemorySegment(S, x, at, ORDER, m).sub(mu).mul(s);
                g.fma(norm, FloatVector.fromArray(S, sums, j)).intoArray(sums, j);
                FloatVector.fromArray(S, sums, betaAt + j).add(g).intoArray(sums, betaAt + j);
            }
        }
        for (int j = 0; j < width; j += V) {
            VectorMask<Float> m = S.indexInRange(j, width);
            long at = (colFrom + j) * (long) Float.BYTES;
            FloatVector.fromMemorySegment(S, dGamma, at, ORDER, m).add(FloatVector.fromArray(S, sums, j))
                    .intoMemorySegment(dGamma, at, ORDER, m);
            FloatVector.fromMemorySegment(S, dBeta, at, ORDER, m).add(FloatVector.fromArray(S, sums, betaAt + j))
                    .intoMemorySegment(dBeta, at, ORDER, m);
        }
    }
}
