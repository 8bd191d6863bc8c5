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
        int full = S.loopBound(spatial);
        for (int n = 0; n < batch; n++) {
            for (int g = groupFrom; g < groupTo; g++) {
                long start = ((long) n * channels + (long) g * perGroup) * spatial;
                float mu = mean(x, start, groupSize);
                float s = rstd(x, start, groupSize, mu, eps);
                for (int c = 0; c < perGroup; c++) {
                    int channel = g * perGroup + c;
                    float scale = s * gamma.getAtIndex(F, channel);
                    float shift = beta.getAtIndex(F, channel) - mu * scale;
                    long base = start + (long) c * spatial;
                    int i = 0;
                    for (; i < full; i += V) {            // whole vectors without masks: masked AVX2 loads cost
                        store(load(x, base + i).fma(scale, shift), out, base + i);
                    }
                    if (i < spatial) {
                        VectorMask<Float> m = S.indexInRange(i, spatial);
                        store(load(x, base + i, m).fma(scale, shift), out, base + i, m);
                    }
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
        int full = S.loopBound(spatial);
        for (int g = groupFrom; g < groupTo; g++) {
            for (int n = 0; n < batch; n++) {
                long start = ((long) n * channels + (long) g * perGroup) * spatial;
                float mu = mean.getAtIndex(F, (long) n * groups + g);
                float s = rstd.getAtIndex(F, (long) n * groups + g);
                float dNormSum = 0;
                float dNormNormSum = 0;
                for (int c = 0; c < perGroup; c++) {
                    int channel = g * perGroup + c;
                    long base = start + (long) c * spatial;
                    FloatVector goSum = FloatVector.zero(S);
                    FloatVector goNormSum = FloatVector.zero(S);
                    int i = 0;
                    for (; i < full; i += V) {
                        FloatVector go = load(dOut, base + i);
                        goSum = goSum.add(go);
                        goNormSum = go.fma(load(x, base + i).sub(mu).mul(s), goNormSum);
                    }
                    if (i < spatial) {                    // masked lanes load as 0, so dOut·norm adds 0 there
                        VectorMask<Float> m = S.indexInRange(i, spatial);
                        FloatVector go = load(dOut, base + i, m);
                        goSum = goSum.add(go);
                        goNormSum = go.fma(load(x, base + i, m).sub(mu).mul(s), goNormSum);
                    }
                    float betaPart = SimdRows.sumLanes(goSum);
                    float gammaPart = SimdRows.sumLanes(goNormSum);
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
                    long base = start + (long) c * spatial;
                    // dX += x·a + (dOut·b + c): the per-channel constants folded out of the loop
                    FloatVector a = FloatVector.broadcast(S, -s * s * dNormNormMean);
                    float b = gain * s;
                    float k = s * (mu * s * dNormNormMean - dNormMean);
                    int i = 0;
                    for (; i < full; i += V) {
                        FloatVector d = load(x, base + i).fma(a, load(dOut, base + i).fma(b, k));
                        store(load(dX, base + i).add(d), dX, base + i);
                    }
                    if (i < spatial) {
                        VectorMask<Float> m = S.indexInRange(i, spatial);
                        FloatVector d = load(x, base + i, m).fma(a, load(dOut, base + i, m).fma(b, k));
                        store(load(dX, base + i, m).add(d), dX, base + i, m);
                    }
                }
            }
        }
    }
}
