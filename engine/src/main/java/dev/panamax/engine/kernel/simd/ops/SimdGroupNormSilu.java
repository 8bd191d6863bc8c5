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
 * SiLU(GroupNorm(x)) on NCHW, forward and backward, each in one pass over the activation (plus the statistics,
 * which read one group at a time while it sits in L1/L2). A U-Net normalizes and then activates every residual
 * branch; done apart, the GroupNorm output is written, read back by SiLU, and its gradient is allocated, zeroed,
 * written by SiLU's backward and read twice by GroupNorm's. Here the GroupNorm output y never reaches memory:
 * the forward applies SiLU to each normalized vector, and the backward recomputes y from x (one fused
 * multiply-add) and keeps dY = dOut·SiLU'(y) of the current group in a per-thread buffer between its two passes.
 *
 * <p>The split over threads is {@link SimdGroupNorm}'s: a thread owns groups {@code [groupFrom, groupTo)} of every
 * sample and alone writes their channels of dGamma and dBeta, adding samples in ascending order; results do not
 * depend on the thread count. Loops run whole vectors unmasked and mask the tail only (masked AVX2 loads are slow).
 */
public final class SimdGroupNormSilu {

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    /** dY of one (sample, group), each channel's run padded to whole vectors. Grows once per thread. */
    private static final ThreadLocal<float[][]> GRADIENT = ThreadLocal.withInitial(() -> new float[1][0]);

    private SimdGroupNormSilu() {
    }

    /** Groups {@code [groupFrom, groupTo)} of every sample: out = SiLU((x − μ)·rstd·gamma + beta); stores μ, rstd. */
    public static void forward(MemorySegment x, MemorySegment gamma, MemorySegment beta, MemorySegment out,
                               MemorySegment mean, MemorySegment rstd, int batch, int channels, int spatial,
                               int groups, float eps, int groupFrom, int groupTo) {
        int perGroup = channels / groups;
        int groupSize = perGroup * spatial;
        for (int n = 0; n < batch; n++) {
            for (int g = groupFrom; g < groupTo; g++) {
                long start = ((long) n * channels + (long) g * perGroup) * spatial;
                float mu = SimdGroupNorm.mean(x, start, groupSize);
                float s = SimdGroupNorm.rstd(x, start, groupSize, mu, eps);
                for (int c = 0; c < perGroup; c++) {
                    int channel = g * perGroup + c;
                    float scale = s * gamma.getAtIndex(F, channel);
                    siluRow(x, out, start + (long) c * spatial, spatial, scale,
                            beta.getAtIndex(F, channel) - mu * scale);
                }
                mean.setAtIndex(F, (long) n * groups + g, mu);
                rstd.setAtIndex(F, (long) n * groups + g, s);
            }
        }
    }

    // Each loop below is its own method, and the vectors never leave it: one body holding the exp, the division
    // and the reductions exceeded C2's inlining budget, and the vectors were boxed (KernelCompilationTest).

    /** out[base + i] = SiLU(x[base + i]·scale + shift) for i in [0, length). */
    private static void siluRow(MemorySegment x, MemorySegment out, long base, int length, float scale,
                                float shift) {
        int full = S.loopBound(length);
        int i = 0;
        for (; i < full; i += V) {
            store(SimdActivations.silu(load(x, base + i).fma(scale, shift)), out, base + i);
        }
        if (i < length) {
            VectorMask<Float> m = S.indexInRange(i, length);
            store(SimdActivations.silu(load(x, base + i, m).fma(scale, shift)), out, base + i, m);
        }
    }

    /**
     * Groups {@code [groupFrom, groupTo)}: with y = norm·gamma + beta recomputed and dY = dOut·SiLU'(y),
     * dX += (gamma·dY − mean(gamma·dY) − norm·mean(gamma·dY·norm))·rstd, dGamma += Σ dY·norm, dBeta += Σ dY.
     */
    public static void backward(MemorySegment x, MemorySegment gamma, MemorySegment beta, MemorySegment mean,
                                MemorySegment rstd, MemorySegment dOut, MemorySegment dX, MemorySegment dGamma,
                                MemorySegment dBeta, int batch, int channels, int spatial, int groups, int groupFrom,
                                int groupTo) {
        int perGroup = channels / groups;
        int groupSize = perGroup * spatial;
        int full = S.loopBound(spatial);
        int padded = full < spatial ? full + V : full;     // each channel's run of dY, in whole vectors
        float[] dY = gradientBuffer(perGroup * padded);
        float[] sums = new float[2];
        for (int g = groupFrom; g < groupTo; g++) {
            for (int n = 0; n < batch; n++) {
                long start = ((long) n * channels + (long) g * perGroup) * spatial;
                float mu = mean.getAtIndex(F, (long) n * groups + g);
                float s = rstd.getAtIndex(F, (long) n * groups + g);
                float dNormSum = 0;
                float dNormNormSum = 0;
                for (int c = 0; c < perGroup; c++) {
                    int channel = g * perGroup + c;
                    float gain = gamma.getAtIndex(F, channel);
                    float scale = s * gain;
                    long base = start + (long) c * spatial;
                    siluDerivativeRow(x, base, spatial, scale, beta.getAtIndex(F, channel) - mu * scale, dY,
                            c * padded);
                    outputGradientRow(x, dOut, base, spatial, mu, s, dY, c * padded, sums);
                    float betaPart = sums[0];
                    float gammaPart = sums[1];
                    dNormSum += gain * betaPart;
                    dNormNormSum += gain * gammaPart;
                    dGamma.setAtIndex(F, channel, dGamma.getAtIndex(F, channel) + gammaPart);
                    dBeta.setAtIndex(F, channel, dBeta.getAtIndex(F, channel) + betaPart);
                }
                float dNormMean = dNormSum / groupSize;
                float dNormNormMean = dNormNormSum / groupSize;
                for (int c = 0; c < perGroup; c++) {
                    float gain = gamma.getAtIndex(F, g * perGroup + c);
                    // dX += x·a + (dY·b + k): the per-channel constants folded out of the loop
                    inputGradientRow(x, dX, start + (long) c * spatial, spatial, dY, c * padded,
                            -s * s * dNormNormMean, gain * s, s * (mu * s * dNormNormMean - dNormMean));
                }
            }
        }
    }

    /** dY[row + i] = SiLU'(x[base + i]·scale + shift), whole vectors (the padding lanes get finite values). */
    private static void siluDerivativeRow(MemorySegment x, long base, int length, float scale, float shift,
                                          float[] dY, int row) {
        int full = S.loopBound(length);
        int i = 0;
        for (; i < full; i += V) {
            SimdActivations.siluDerivative(load(x, base + i).fma(scale, shift)).intoArray(dY, row + i);
        }
        if (i < length) {
            VectorMask<Float> m = S.indexInRange(i, length);
            SimdActivations.siluDerivative(load(x, base + i, m).fma(scale, shift)).intoArray(dY, row + i);
        }
    }

    /**
     * dY[row + i] ·= dOut[base + i], and sums = {Σ dY, Σ dY·norm} with norm = (x − mu)·s, lanes added in a fixed
     * order. Masked lanes of the tail load dOut = 0, so their dY is 0 and adds nothing.
     */
    private static void outputGradientRow(MemorySegment x, MemorySegment dOut, long base, int length, float mu,
                                          float s, float[] dY, int row, float[] sums) {
        FloatVector goSum = FloatVector.zero(S);
        FloatVector goNormSum = FloatVector.zero(S);
        int full = S.loopBound(length);
        int i = 0;
        for (; i < full; i += V) {
            FloatVector go = load(dOut, base + i).mul(FloatVector.fromArray(S, dY, row + i));
            go.intoArray(dY, row + i);
            goSum = goSum.add(go);
            goNormSum = go.fma(load(x, base + i).sub(mu).mul(s), goNormSum);
        }
        if (i < length) {
            VectorMask<Float> m = S.indexInRange(i, length);
            FloatVector go = load(dOut, base + i, m).mul(FloatVector.fromArray(S, dY, row + i));
            go.intoArray(dY, row + i);
            goSum = goSum.add(go);
            goNormSum = go.fma(load(x, base + i, m).sub(mu).mul(s), goNormSum);
        }
        sums[0] = SimdRows.sumLanes(goSum);
        sums[1] = SimdRows.sumLanes(goNormSum);
    }

    /** dX[base + i] += x[base + i]·a + (dY[row + i]·b + k). */
    private static void inputGradientRow(MemorySegment x, MemorySegment dX, long base, int length, float[] dY,
                                         int row, float a, float b, float k) {
        FloatVector av = FloatVector.broadcast(S, a);
        int full = S.loopBound(length);
        int i = 0;
        for (; i < full; i += V) {
            FloatVector d = load(x, base + i).fma(av, FloatVector.fromArray(S, dY, row + i).fma(b, k));
            store(load(dX, base + i).add(d), dX, base + i);
        }
        if (i < length) {
            VectorMask<Float> m = S.indexInRange(i, length);
            FloatVector d = load(x, base + i, m).fma(av, FloatVector.fromArray(S, dY, row + i).fma(b, k));
            store(load(dX, base + i, m).add(d), dX, base + i, m);
        }
    }

    private static float[] gradientBuffer(int size) {
        float[][] holder = GRADIENT.get();
        if (holder[0].length < size) {
            holder[0] = new float[size];
        }
        return holder[0];
    }
}
