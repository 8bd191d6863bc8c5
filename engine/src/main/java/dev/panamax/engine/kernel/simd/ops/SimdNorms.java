package dev.panamax.engine.kernel.simd.ops;

import static dev.panamax.engine.kernel.simd.ops.SimdRows.S;
import static dev.panamax.engine.kernel.simd.ops.SimdRows.V;
import static dev.panamax.engine.kernel.simd.ops.SimdRows.load;
import static dev.panamax.engine.kernel.simd.ops.SimdRows.store;

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
        for (int r = rowFrom; r < rowTo; r++) {
            long row = (long) r * cols;
            float roughMean = SimdRows.sum(x, row, cols) / cols;
            // One correction pass: the rounding error of the first mean is recovered from Σ(x − mean).
            float mu = roughMean + SimdRows.sumDeviations(x, row, cols, roughMean) / cols;
            float s = (float) (1 / Math.sqrt(SimdRows.sumSquaredDeviations(x, row, cols, mu) / cols + eps));
            for (int c = 0; c < cols; c += V) {
                VectorMask<Float> m = S.indexInRange(c, cols);
                FloatVector norm = load(x, row + c, m).sub(mu).mul(s);
                store(norm.fma(load(gamma, c, m), load(beta, c, m)), out, row + c, m);
            }
            mean.setAtIndex(F, r, mu);
            rstd.setAtIndex(F, r, s);
        }
    }

    /** Rows {@code [rowFrom, rowTo)} of dX += (dNorm − mean(dNorm) − norm·mean(dNorm·norm))·rstd. */
    public static void layerNormBackwardInput(MemorySegment x, MemorySegment gamma, MemorySegment mean,
                                              MemorySegment rstd, MemorySegment dOut, MemorySegment dX,
                                              int rowFrom, int rowTo, int cols) {
        for (int r = rowFrom; r < rowTo; r++) {
            long row = (long) r * cols;
            float mu = mean.getAtIndex(F, r);
            float s = rstd.getAtIndex(F, r);
            FloatVector dNormSum = FloatVector.zero(S);
            FloatVector dNormNormSum = FloatVector.zero(S);
            for (int c = 0; c < cols; c += V) {
                VectorMask<Float> m = S.indexInRange(c, cols);
                FloatVector norm = load(x, row + c, m).sub(mu).mul(s);
                FloatVector dNorm = load(gamma, c, m).mul(load(dOut, row + c, m));
                dNormSum = dNormSum.add(dNorm);
                dNormNormSum = dNorm.fma(norm, dNormNormSum);
            }
            float dNormMean = SimdRows.sumLanes(dNormSum) / cols;
            float dNormNormMean = SimdRows.sumLanes(dNormNormSum) / cols;
            for (int c = 0; c < cols; c += V) {
                VectorMask<Float> m = S.indexInRange(c, cols);
                FloatVector norm = load(x, row + c, m).sub(mu).mul(s);
                FloatVector dNorm = load(gamma, c, m).mul(load(dOut, row + c, m));
                FloatVector g = dNorm.sub(dNormMean).sub(norm.mul(dNormNormMean)).mul(s);
                store(load(dX, row + c, m).add(g), dX, row + c, m);
            }
        }
    }

    /** Columns {@code [colFrom, colTo)} of dGamma += Σ_r dOut·norm and dBeta += Σ_r dOut. */
    public static void layerNormBackwardParams(MemorySegment x, MemorySegment mean, MemorySegment rstd,
                                               MemorySegment dOut, MemorySegment dGamma, MemorySegment dBeta,
                                               int rows, int cols, int colFrom, int colTo) {
        for (int c = colFrom; c < colTo; c += V) {
            VectorMask<Float> m = S.indexInRange(c, colTo);
            FloatVector gammaSum = FloatVector.zero(S);
            FloatVector betaSum = FloatVector.zero(S);
            for (int r = 0; r < rows; r++) {
                long row = (long) r * cols;
                FloatVector g = load(dOut, row + c, m);
                FloatVector norm = load(x, row + c, m).sub(mean.getAtIndex(F, r)).mul(rstd.getAtIndex(F, r));
                gammaSum = g.fma(norm, gammaSum);
                betaSum = betaSum.add(g);
            }
            store(load(dGamma, c, m).add(gammaSum), dGamma, c, m);
            store(load(dBeta, c, m).add(betaSum), dBeta, c, m);
        }
    }
}
