package dev.panamax.engine.kernel.simd.ops;

import static dev.panamax.engine.kernel.simd.ops.SimdRows.S;
import static dev.panamax.engine.kernel.simd.ops.SimdRows.V;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;

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
 * depend on the thread count. Loops run whole vectors, and the tail element by element (masked AVX2 loads are slow).
 */
public final class SimdGroupNormSilu {

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    /** dY of one (sample, group), channel after channel. Grows once per thread. */
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
    // and the reductions exceeded C2's inlining budget, and the vectors were boxed (KernelCompilationTest). The
    // Vector API calls are written in the loops themselves, and the last length mod V elements (a row of a 14×14
    // or 7×7 image has some) go one at a time in scalar code with the same formulas (VectorMath.exp(float) is the
    // lane-exact twin of the vector exp): masked tails through helper methods ran boxed inside a training step
    // (JFR: ~12 MB of vectors per diffusion step, from these tails).

    /** out[base + i] = SiLU(x[base + i]·scale + shift) for i in [0, length). */
    private static void siluRow(MemorySegment x, MemorySegment out, long base, int length, float scale,
                                float shift) {
        int full = S.loopBound(length);
        int i = 0;
        for (; i < full; i += V) {
            long at = (base + i) * Float.BYTES;
            FloatVector y = FloatVector.fromMemorySegment(S, x, at, ORDER).fma(scale, shift);
            y.div(VectorMath.exp(y.neg()).add(1f)).intoMemorySegment(out, at, ORDER);
        }
        for (; i < length; i++) {
            float y = Math.fma(x.getAtIndex(F, base + i), scale, shift);
            out.setAtIndex(F, base + i, y / (VectorMath.exp(-y) + 1f));
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
        float[] dY = gradientBuffer(perGroup * spatial);
        float[] sums = new float[2];
        float[] lanes = new float[2 * V];
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
                            c * spatial);
                    outputGradientRow(x, dOut, base, spatial, mu, s, dY, c * spatial, sums, lanes);
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
                    inputGradientRow(x, dX, start + (long) c * spatial, spatial, dY, c * spatial,
                            -s * s * dNormNormMean, gain * s, s * (mu * s * dNormNormMean - dNormMean));
                }
            }
        }
    }

    /** dY[row + i] = SiLU'(x[base + i]·scale + shift), with SiLU'(y) = s·(1 + y·(1 − s)) and s = sigmoid(y). */
    private static void siluDerivativeRow(MemorySegment x, long base, int length, float scale, float shift,
                                          float[] dY, int row) {
        int full = S.loopBound(length);
        int i = 0;
        for (; i < full; i += V) {
            FloatVector y = FloatVector.fromMemorySegment(S, x, (base + i) * Float.BYTES, ORDER).fma(scale, shift);
            FloatVector sigmoid = FloatVector.broadcast(S, 1f).div(VectorMath.exp(y.neg()).add(1f));
            sigmoid.mul(y.mul(FloatVector.broadcast(S, 1f).sub(sigmoid)).add(1f)).intoArray(dY, row + i);
        }
        for (; i < length; i++) {
            float y = Math.fma(x.getAtIndex(F, base + i), scale, shift);
            float sigmoid = 1f / (VectorMath.exp(-y) + 1f);
            dY[row + i] = sigmoid * (y * (1f - sigmoid) + 1f);
        }
    }

    /**
     * dY[row + i] ·= dOut[base + i], and sums = {Σ dY, Σ dY·norm} with norm = (x − mu)·s. Tail element
     * {@code full + j} goes into lane j before the lanes are added left to right (the order of the earlier
     * masked-tail version, so the sums are unchanged); {@code lanes} is scratch of 2·V floats.
     */
    private static void outputGradientRow(MemorySegment x, MemorySegment dOut, long base, int length, float mu,
                                          float s, float[] dY, int row, float[] sums, float[] lanes) {
        FloatVector goSum = FloatVector.zero(S);
        FloatVector goNormSum = FloatVector.zero(S);
        int full = S.loopBound(length);
        int i = 0;
        for (; i < full; i += V) {
            long at = (base + i) * Float.BYTES;
            FloatVector go = FloatVector.fromMemorySegment(S, dOut, at, ORDER).mul(FloatVector.fromArray(S, dY, row + i));
            go.intoArray(dY, row + i);
            goSum = goSum.add(go);
            goNormSum = go.fma(FloatVector.fromMemorySegment(S, x, at, ORDER).sub(mu).mul(s), goNormSum);
        }
        goSum.intoArray(lanes, 0);
        goNormSum.intoArray(lanes, V);
        for (; i < length; i++) {
            float go = dOut.getAtIndex(F, base + i) * dY[row + i];
            dY[row + i] = go;
            int lane = i - full;
            lanes[lane] += go;
            lanes[V + lane] = Math.fma(go, (x.getAtIndex(F, base + i) - mu) * s, lanes[V + lane]);
        }
        sums[0] = SimdRows.sumInOrder(lanes, 0);
        sums[1] = SimdRows.sumInOrder(lanes, V);
    }

    /** dX[base + i] += x[base + i]·a + (dY[row + i]·b + k). */
    private static void inputGradientRow(MemorySegment x, MemorySegment dX, long base, int length, float[] dY,
                                         int row, float a, float b, float k) {
        FloatVector av = FloatVector.broadcast(S, a);
        int full = S.loopBound(length);
        int i = 0;
        for (; i < full; i += V) {
            long at = (base + i) * Float.BYTES;
            FloatVector d = FloatVector.fromMemorySegment(S, x, at, ORDER)
                    .fma(av, FloatVector.fromArray(S, dY, row + i).fma(b, k));
            FloatVector.fromMemorySegment(S, dX, at, ORDER).add(d).intoMemorySegment(dX, at, ORDER);
        }
        for (; i < length; i++) {
            float d = Math.fma(x.getAtIndex(F, base + i), a, Math.fma(dY[row + i], b, k));
            dX.setAtIndex(F, base + i, dX.getAtIndex(F, base + i) + d);
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
