package dev.panamax.bench;

import dev.panamax.engine.SimdBackend;
import dev.panamax.engine.Tensor;
import dev.panamax.engine.Transpose;
import dev.panamax.engine.kernel.simd.attention.Exp2;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Attention the unfused way, as the baseline for {@link AttentionBenchmark}: the full {@code T×T} score matrix of
 * every head by the SIMD GEMM ({@code gemmStridedBatched}), a causal softmax over it in place, then {@code P·V} by
 * GEMM; the backward pass from the stored probabilities with four GEMMs and one elementwise pass. The softmax is
 * vectorized and uses the same {@link Exp2} as the fused kernels, so the comparison measures fusion, not a slower
 * exp. The softmax and the elementwise pass run on the backend's worker pool, one head per part, like the GEMMs
 * (until session 10 they ran on the calling thread, which slowed the two-thread baseline). Layout
 * {@code (heads, T, d)} per tensor; scores {@code (heads, T, T)}.
 */
final class UnfusedAttention {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int V = S.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    private UnfusedAttention() {
    }

    /** out = softmax(causal(scale·Q·Kᵀ))·V; leaves the probabilities in {@code probs}. */
    static void forward(SimdBackend simd, Tensor q, Tensor k, Tensor v, Tensor out, Tensor probs, int heads, int t,
                        int d, float scale) {
        long hd = (long) t * d;
        long tt = (long) t * t;
        // Scores in base 2 (scale·log2 e folded into alpha), as in the fused kernel.
        simd.gemmStridedBatched(Transpose.N, Transpose.T, t, t, d, (float) (scale * Exp2.LOG2E), q, 0, d, hd,
                k, 0, d, hd, 0f, probs, 0, t, tt, heads);
        MemorySegment p = probs.segment();
        // One part per head (all cost the same), claimed by the pool's threads like the GEMMs' parts.
        simd.workerPool().run(heads, head -> {
            for (int i = 0; i < t; i++) {
                softmaxRow(p, ((long) head * t + i) * t, i + 1, t);
            }
        });
        simd.gemmStridedBatched(Transpose.N, Transpose.N, t, d, t, 1f, probs, 0, t, tt, v, 0, d, hd, 0f, out, 0, d,
                hd, heads);
    }

    /**
     * dQ, dK, dV from the stored probabilities: {@code dV = Pᵀ·dO}, {@code dP = dO·Vᵀ},
     * {@code dS = P∘(dP − rowsum(dO∘O))}, {@code dQ = scale·dS·K}, {@code dK = scale·dSᵀ·Q}.
     */
    static void backward(SimdBackend simd, Tensor q, Tensor k, Tensor v, Tensor out, Tensor dOut, Tensor probs,
                         Tensor dScores, Tensor dq, Tensor dk, Tensor dv, int heads, int t, int d, float scale) {
        long hd = (long) t * d;
        long tt = (long) t * t;
        simd.gemmStridedBatched(Transpose.T, Transpose.N, t, d, t, 1f, probs, 0, t, tt, dOut, 0, d, hd, 0f, dv, 0, d,
                hd, heads);
        simd.gemmStridedBatched(Transpose.N, Transpose.T, t, t, d, 1f, dOut, 0, d, hd, v, 0, d, hd, 0f, dScores, 0,
                t, tt, heads);
        MemorySegment p = probs.segment();
        MemorySegment ds = dScores.segment();
        MemorySegment o = out.segment();
        MemorySegment g = dOut.segment();
        simd.workerPool().run(heads, head -> {
            for (long row = (long) head * t; row < (long) (head + 1) * t; row++) {
                softmaxGradRow(p, ds, row * t, t, dot(g, o, row * d, d));
            }
        });
        simd.gemmStridedBatched(Transpose.N, Transpose.N, t, d, t, scale, dScores, 0, t, tt, k, 0, d, hd, 0f, dq, 0,
                d, hd, heads);
        simd.gemmStridedBatched(Transpose.T, Transpose.N, t, d, t, scale, dScores, 0, t, tt, q, 0, d, hd, 0f, dk, 0,
                d, hd, heads);
    }

    /** Softmax of the first n base-2 scores of a row of length t, zeros after them (the causal mask). */
    private static void softmaxRow(MemorySegment p, long rowStart, int n, int t) {
        long at = rowStart * Float.BYTES;
        FloatVector max = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (int j = 0; j < n; j += V) {
            VectorMask<Float> valid = S.indexInRange(j, n);
            FloatVector x = FloatVector.fromMemorySegment(S, p, at + (long) j * Float.BYTES, ORDER, valid);
            max = max.blend(x, x.compare(VectorOperators.GT, max).and(valid));
        }
        FloatVector m = FloatVector.broadcast(S, max.reduceLanes(VectorOperators.MAX));
        FloatVector sum = FloatVector.zero(S);
        for (int j = 0; j < n; j += V) {
            VectorMask<Float> valid = S.indexInRange(j, n);
            FloatVector x = FloatVector.fromMemorySegment(S, p, at + (long) j * Float.BYTES, ORDER, valid);
            FloatVector e = Exp2.exp2(x.sub(m)).blend(0f, valid.not());
            e.intoMemorySegment(p, at + (long) j * Float.BYTES, ORDER, valid);
            sum = sum.add(e);
        }
        float inverse = 1f / sum.reduceLanes(VectorOperators.ADD);
        int j = 0;
        for (; j + V <= t; j += V) {
            long x = at + (long) j * Float.BYTES;
            FloatVector y;
            if (j + V <= n) {
                y = FloatVector.fromMemorySegment(S, p, x, ORDER).mul(inverse);
            } else if (j >= n) {
                y = FloatVector.zero(S);
            } else {
                y = FloatVector.fromMemorySegment(S, p, x, ORDER).mul(inverse).blend(0f, S.indexInRange(j, n).not());
            }
            y.intoMemorySegment(p, x, ORDER);
        }
        for (; j < t; j++) {
            p.setAtIndex(F, rowStart + j,
                    j < n ? p.getAtIndex(F, rowStart + j) * inverse : 0f);
        }
    }

    /** {@code Σ a[i]·b[i]} over {@code n} floats from float {@code start}: the backward's {@code rowsum(dO∘O)}. */
    private static float dot(MemorySegment a, MemorySegment b, long start, int n) {
        long at = start * Float.BYTES;
        FloatVector sum = FloatVector.zero(S);
        for (int j = 0; j < n; j += V) {
            VectorMask<Float> valid = S.indexInRange(j, n);
            long x = at + (long) j * Float.BYTES;
            sum = FloatVector.fromMemorySegment(S, a, x, ORDER, valid)
                    .fma(FloatVector.fromMemorySegment(S, b, x, ORDER, valid), sum);
        }
        return sum.reduceLanes(VectorOperators.ADD);
    }

    /** {@code ds = p∘(ds − delta)} over a row. */
    private static void softmaxGradRow(MemorySegment p, MemorySegment ds, long rowStart, int t, float delta) {
        long at = rowStart * Float.BYTES;
        FloatVector dv = FloatVector.broadcast(S, delta);
        int j = 0;
        for (; j + V <= t; j += V) {
            long x = at + (long) j * Float.BYTES;
            FloatVector y = FloatVector.fromMemorySegment(S, ds, x, ORDER).sub(dv)
                    .mul(FloatVector.fromMemorySegment(S, p, x, ORDER));
            y.intoMemorySegment(ds, x, ORDER);
        }
        for (; j < t; j++) {
            float pv = p.getAtIndex(F, rowStart + j);
            float dsv = ds.getAtIndex(F, rowStart + j);
            ds.setAtIndex(F, rowStart + j, pv * (dsv - delta));
        }
    }
}
