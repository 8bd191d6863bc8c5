package dev.panamax.engine.kernel.simd.ops;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * GELU (tanh approximation), SiLU and ReLU, forward and backward (backward accumulates into dX), over the index
 * range {@code [from, to)}. The transcendental parts use {@link VectorMath}, so results are the same bits in the
 * interpreter and in compiled code; they agree with the double-precision scalar reference to a few ulp.
 */
public final class SimdActivations {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int V = S.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final float SQRT_2_OVER_PI = (float) Math.sqrt(2.0 / Math.PI);
    private static final float GELU_CUBIC = 0.044715f;

    private SimdActivations() {
    }

    private static VectorMask<Float> mask(long i, long to) {
        return S.indexInRange(i, to);
    }

    private static FloatVector load(MemorySegment m, long i, VectorMask<Float> mask) {
        return SimdRows.load(m, i, mask);      // a plain load when every lane is set (see there)
    }

    // ----------------------------------------------------------------- GELU

    private static FloatVector gelu(FloatVector x) {
        FloatVector u = x.mul(x).mul(x).mul(GELU_CUBIC).add(x).mul(SQRT_2_OVER_PI);
        return VectorMath.tanh(u).add(1f).mul(x).mul(0.5f);
    }

    /** Chunk of the GELU backward staged through a per-thread buffer (see {@link #geluBackward}). */
    private static final int CHUNK = 512;
    private static final ThreadLocal<float[]> TANH_BUFFER = ThreadLocal.withInitial(() -> new float[CHUNK]);

    public static void gelu(MemorySegment x, MemorySegment out, long from, long to) {
        for (long i = from; i < to; i += V) {
            VectorMask<Float> m = mask(i, to);
            gelu(load(x, i, m)).intoMemorySegment(out, i * Float.BYTES, ORDER, m);
        }
    }

    /**
     * dX += dOut·GELU'(x), with GELU'(x) = ½(1 + t) + ½x(1 − t²)·u'(x), t = tanh(u(x)). Done in two passes per
     * chunk (t into an L1-resident buffer, then the rest): in one loop body the inlined tanh plus the derivative
     * exceeded C2's inlining budget and the vectors were boxed, which the allocation test caught.
     */
    public static void geluBackward(MemorySegment x, MemorySegment dOut, MemorySegment dX, long from, long to) {
        float[] tanh = TANH_BUFFER.get();
        for (long start = from; start < to; start += CHUNK) {
            int count = (int) Math.min(CHUNK, to - start);
            geluTanh(x, start, count, tanh);
            geluBackwardFromTanh(x, dOut, dX, start, count, tanh);
        }
    }

    private static void geluTanh(MemorySegment x, long start, int count, float[] tanh) {
        for (int j = 0; j < count; j += V) {
            VectorMask<Float> m = S.indexInRange(j, count);
            FloatVector v = load(x, start + j, m);
            VectorMath.tanh(v.mul(v).mul(v).mul(GELU_CUBIC).add(v).mul(SQRT_2_OVER_PI)).intoArray(tanh, j, m);
        }
    }

    private static void geluBackwardFromTanh(MemorySegment x, MemorySegment dOut, MemorySegment dX, long start,
                                             int count, float[] tanh) {
        for (int j = 0; j < count; j += V) {
            VectorMask<Float> m = S.indexInRange(j, count);
            long i = start + j;
            FloatVector v = load(x, i, m);
            FloatVector t = SimdRows.load(tanh, j, m);
            FloatVector du = v.mul(v).mul(3f * GELU_CUBIC).add(1f).mul(SQRT_2_OVER_PI);
            FloatVector oneMinusT2 = FloatVector.broadcast(S, 1f).sub(t.mul(t));
            FloatVector derivative = t.add(1f).mul(0.5f).add(v.mul(0.5f).mul(oneMinusT2).mul(du));
            load(dX, i, m).add(load(dOut, i, m).mul(derivative)).intoMemorySegment(dX, i * Float.BYTES, ORDER, m);
        }
    }

    // ----------------------------------------------------------------- SiLU

    private static FloatVector sigmoid(FloatVector x) {
        return FloatVector.broadcast(S, 1f).div(VectorMath.exp(x.neg()).add(1f));
    }

    public static void silu(MemorySegment x, MemorySegment out, long from, long to) {
        for (long i = from; i < to; i += V) {
            VectorMask<Float> m = mask(i, to);
            FloatVector v = load(x, i, m);
            v.mul(sigmoid(v)).intoMemorySegment(out, i * Float.BYTES, ORDER, m);
        }
    }

    public static void siluBackward(MemorySegment x, MemorySegment dOut, MemorySegment dX, long from, long to) {
        for (long i = from; i < to; i += V) {
            VectorMask<Float> m = mask(i, to);
            FloatVector v = load(x, i, m);
            FloatVector s = sigmoid(v);
            FloatVector derivative = s.mul(v.mul(FloatVector.broadcast(S, 1f).sub(s)).add(1f));
            load(dX, i, m).add(load(dOut, i, m).mul(derivative)).intoMemorySegment(dX, i * Float.BYTES, ORDER, m);
        }
    }

    // ----------------------------------------------------------------- ReLU

    public static void relu(MemorySegment x, MemorySegment out, long from, long to) {
        for (long i = from; i < to; i += V) {
            VectorMask<Float> m = mask(i, to);
            load(x, i, m).max(0f).intoMemorySegment(out, i * Float.BYTES, ORDER, m);
        }
    }

    public static void reluBackward(MemorySegment x, MemorySegment dOut, MemorySegment dX, long from, long to) {
        for (long i = from; i < to; i += V) {
            VectorMask<Float> m = mask(i, to);
            VectorMask<Float> positive = load(x, i, m).compare(VectorOperators.GT, 0f);
            FloatVector g = load(dOut, i, m).blend(0f, positive.not());
            load(dX, i, m).add(g).intoMemorySegment(dX, i * Float.BYTES, ORDER, m);
        }
    }
}
