package dev.panamax.engine.kernel.simd.ops;

import static dev.panamax.engine.kernel.simd.ops.SimdRows.S;
import static dev.panamax.engine.kernel.simd.ops.SimdRows.V;
import static dev.panamax.engine.kernel.simd.ops.SimdRows.ORDER;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;

/**
 * GroupNorm forward and backward on NCHW. In that layout one (sample, group) is a contiguous run of
 * {@code channelsPerGroup · spatial} values, made of one run of {@code spatial} per channel, so the statistics are
 * row reductions ({@link SimdRows}: a mean with one correction pass, then the squared deviations) and the
 * normalisation is one fused multiply-add per value with a per-channel scale and shift.
 *
 * <p>Work is split by group: a thread owns groups {@code [groupFrom, groupTo)} for every sample, so it alone
 * writes their channels of dGamma and dBeta, adding the samples in ascending order. Results therefore do not
 * depend on the thread count.
 */
public final class SimdGroupNorm {

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    private SimdGroupNorm() {
    }

    /** Groups {@code [groupFrom, groupTo)} of every sample: out = (x − μ)·rstd·gamma + beta; stores μ, rstd. */
    public static void forward(MemorySegment x, MemorySegment gamma, MemorySegment beta, MemorySegment out,
                               MemorySegment mean, MemorySegment rstd, int batch, int channels, int spatial,
                               int groups, float eps, int groupFrom, int groupTo) {
        int perGroup = channels / groups;
        int groupSize = perGroup * spatial;
        for (int n = 0; n < batch; n++) {
            for (int g = groupFrom; g < groupTo; g++) {
                long start = ((long) n * channels + (long) g * perGroup) * spatial;
                float mu = mean(x, start, groupSize);
                float s = rstd(x, start, groupSize, mu, eps);
                for (int c = 0; c < perGroup; c++) {
                    int channel = g * perGroup + c;
                    float scale = s * gamma.getAtIndex(F, channel);
                    normalizeRow(x, out, start + (long) c * spatial, spatial, scale,
                            beta.getAtIndex(F, channel) - mu * scale);
                }
                mean.setAtIndex(F, (long) n * groups + g, mu);
                rstd.setAtIndex(F, (long) n * groups + g, s);
            }
        }
    }

    /** The mean of {@code size} values from {@code start}: a rough mean, then one correction pass. */
    static float mean(MemorySegment x, long start, int size) {
        float roughMean = SimdRows.sum(x, start, size) / size;
        return roughMean + SimdRows.sumDeviations(x, start, size, roughMean) / size;
    }

    /** 1/√(σ² + eps), with σ² from the squared deviations from {@code mu}. */
    static float rstd(MemorySegment x, long start, int size, float mu, float eps) {
        return (float) (1 / Math.sqrt(SimdRows.sumSquaredDeviations(x, start, size, mu) / size + eps));
    }

    /**
     * Groups {@code [groupFrom, groupTo)}: dX += (gamma·dOut − mean(gamma·dOut) − norm·mean(gamma·dOut·norm))·rstd,
     * dGamma += Σ dOut·norm and dBeta += Σ dOut per channel.
     */
    public static void backward(MemorySegment x, MemorySegment gamma, MemorySegment mean, MemorySegment rstd,
                                MemorySegment dOut, MemorySegment dX, MemorySegment dGamma, MemorySegment dBeta,
                                int batch, int channels, int spatial, int groups, int groupFrom, int groupTo) {
        int perGroup = channels / groups;
        int groupSize = perGroup * spatial;
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
                    gradientSums(x, dOut, start + (long) c * spatial, spatial, mu, s, sums, lanes);
                    float betaPart = sums[0];
                    float gammaPart = sums[1];
                    float gain = gamma.getAtIndex(F, channel);
                    dNormSum += gain * betaPart;
                    dNormNormSum += gain * gammaPart;
                    dGamma.setAtIndex(F, channel, dGamma.getAtIndex(F, channel) + gammaPart);
                    dBeta.setAtIndex(F, channel, dBeta.getAtIndex(F, channel) + betaPart);
                }
                float dNormMean = dNormSum / groupSize;
                float dNormNormMean = dNormNormSum / groupSize;
                for (int c = 0; c < perGroup; c++) {
                    float gain = gamma.getAtIndex(F, g * perGroup + c);
                    // dX += x·a + (dOut·b + k): the per-channel constants folded out of the loop
                    inputGradientRow(x, dOut, dX, start + (long) c * spatial, spatial, -s * s * dNormNormMean,
                            gain * s, s * (mu * s * dNormNormMean - dNormMean));
                }
            }
        }
    }

    // One loop per method, with the Vector API calls in the loop itself and the tail one float at a time: with
    // the loads behind helpers returning vectors and masked tails, C2 left the backward boxed inside a diffusion
    // training step (2 MB per call at 32 × 32 × 7 × 7, three times slower than the forward), though not alone.

    /** out[base + i] = x[base + i]·scale + shift for i in [0, length). */
    private static void normalizeRow(MemorySegment x, MemorySegment out, long base, int length, float scale,
                                     float shift) {
        int full = S.loopBound(length);
        int i = 0;
        for (; i < full; i += V) {
            long at = (base + i) * Float.BYTES;
            FloatVector.fromMemorySegment(S, x, at, ORDER).fma(scale, shift).intoMemorySegment(out, at, ORDER);
        }
        for (; i < length; i++) {
            out.setAtIndex(F, base + i, Math.fma(x.getAtIndex(F, base + i), scale, shift));
        }
    }

    /**
     * sums = {Σ dOut, Σ dOut·norm} over one channel's row, norm = (x − mu)·s. Tail element {@code full + j} goes
     * into lane j before the lanes are added left to right; {@code lanes} is scratch of 2·V floats.
     */
    private static void gradientSums(MemorySegment x, MemorySegment dOut, long base, int length, float mu, float s,
                                     float[] sums, float[] lanes) {
        FloatVector goSum = FloatVector.zero(S);
        FloatVector goNormSum = FloatVector.zero(S);
        int full = S.loopBound(length);
        int i = 0;
        for (; i < full; i += V) {
            long at = (base + i) * Float.BYTES;
            FloatVector go = FloatVector.fromMemorySegment(S, dOut, at, ORDER);
            goSum = goSum.add(go);
            goNormSum = go.fma(FloatVector.fromMemorySegment(S, x, at, ORDER).sub(mu).mul(s), goNormSum);
        }
        goSum.intoArray(lanes, 0);
        goNormSum.intoArray(lanes, V);
        for (; i < length; i++) {
            float go = dOut.getAtIndex(F, base + i);
            int lane = i - full;
            lanes[lane] += go;
            lanes[V + lane] = Math.fma(go, (x.getAtIndex(F, base + i) - mu) * s, lanes[V + lane]);
        }
        sums[0] = SimdRows.sumInOrder(lanes, 0);
        sums[1] = SimdRows.sumInOrder(lanes, V);
    }

    /** dX[base + i] += x[base + i]·a + (dOut[base + i]·b + k). */
    private static void inputGradientRow(MemorySegment x, MemorySegment dOut, MemorySegment dX, long base,
                                         int length, float a, float b, float k) {
        FloatVector av = FloatVector.broadcast(S, a);
        int full = S.loopBound(length);
        int i = 0;
        for (; i < full; i += V) {
            long at = (base + i) * Float.BYTES;
            FloatVector d = FloatVector.fromMemorySegment(S, x, at, ORDER)
                    .fma(av, FloatVector.fromMemorySegment(S, dOut, at, ORDER).fma(b, k));
            FloatVector.fromMemorySegment(S, dX, at, ORDER).add(d).intoMemorySegment(dX, at, ORDER);
        }
        for (; i < length; i++) {
            float d = Math.fma(x.getAtIndex(F, base + i), a, Math.fma(dOut.getAtIndex(F, base + i), b, k));
            dX.setAtIndex(F, base + i, dX.getAtIndex(F, base + i) + d);
        }
    }
}
