package dev.panamax.engine.kernel.simd.ops;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
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
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
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

    private static FloatVector load(MemorySegment m, long i) {
        return FloatVector.fromMemorySegment(S, m, i * Float.BYTES, ORDER);
    }

    // ----------------------------------------------------------------- GELU
    //
    // GELU(x) = ½x(1 + t), t = tanh(u), u = √(2/π)(x + 0.044715x³), tanh(u) = 1 − 2/(e^{2u} + 1). Each chunk of
    // CHUNK values takes two loops: t into an L1-resident per-thread buffer, then the output (or the derivative).
    // Both loop bodies hold the Vector API calls themselves, with VectorMath's exp written out, and call none of
    // our own methods with a vector: C2 does not always inline such a helper (in a training step, with many
    // kernels compiled, it declined as "callee is too large"), and a vector passed to a call that is not
    // inlined is boxed on the heap, which made these kernels allocate megabytes per call and run several times
    // slower than alone. One loop for tanh and the derivative together exceeded C2's inlining budget.

    /** Chunk of the GELU passes staged through a per-thread buffer. */
    private static final int CHUNK = 512;
    private static final ThreadLocal<float[]> TANH_BUFFER = ThreadLocal.withInitial(() -> new float[CHUNK]);

    public static void gelu(MemorySegment x, MemorySegment out, long from, long to) {
        float[] tanh = TANH_BUFFER.get();
        for (long start = from; start < to; start += CHUNK) {
            int count = (int) Math.min(CHUNK, to - start);
            geluTanh(x, start, count, tanh);
            int full = S.loopBound(count);
            int j = 0;
            for (; j < full; j += V) {
                long at = (start + j) * Float.BYTES;
                FloatVector v = FloatVector.fromMemorySegment(S, x, at, ORDER);
                FloatVector.fromArray(S, tanh, j).add(1f).mul(v).mul(0.5f).intoMemorySegment(out, at, ORDER);
            }
            if (j < count) {
                VectorMask<Float> m = S.indexInRange(j, count);
                long at = (start + j) * Float.BYTES;
                FloatVector v = FloatVector.fromMemorySegment(S, x, at, ORDER, m);
                FloatVector.fromArray(S, tanh, j).add(1f).mul(v).mul(0.5f).intoMemorySegment(out, at, ORDER, m);
            }
        }
    }

    /** dX += dOut·GELU'(x), with GELU'(x) = ½(1 + t) + ½x(1 − t²)·u'(x). */
    public static void geluBackward(MemorySegment x, MemorySegment dOut, MemorySegment dX, long from, long to) {
        float[] tanh = TANH_BUFFER.get();
        for (long start = from; start < to; start += CHUNK) {
            int count = (int) Math.min(CHUNK, to - start);
            geluTanh(x, start, count, tanh);
            geluBackwardFromTanh(x, dOut, dX, start, count, tanh);
        }
    }

    /**
     * tanh[j] = tanh(u(x[start + j])) for j in [0, count), in whole vectors (the buffer holds CHUNK, a multiple of
     * the vector length; lanes past count read 0 and are never used). The exp is VectorMath.exp written out.
     */
    private static void geluTanh(MemorySegment x, long start, int count, float[] tanh) {
        for (int j = 0; j < count; j += V) {
            long at = (start + j) * Float.BYTES;
            FloatVector v = j + V <= count ? FloatVector.fromMemorySegment(S, x, at, ORDER)
                    : FloatVector.fromMemorySegment(S, x, at, ORDER, S.indexInRange(j, count));
            FloatVector twoU = v.mul(v).mul(v).mul(GELU_CUBIC).add(v).mul(SQRT_2_OVER_PI).mul(2f);
            // e = exp(2u), as VectorMath.exp
            VectorMask<Float> below = twoU.lt(VectorMath.MIN_INPUT);
            FloatVector clamped = twoU.blend(VectorMath.MIN_INPUT, below)
                    .blend(VectorMath.MAX_INPUT, twoU.compare(VectorOperators.GT, VectorMath.MAX_INPUT));
            FloatVector shifted = clamped.fma(VectorMath.LOG2E, VectorMath.ROUNDING_MAGIC);
            FloatVector n = shifted.sub(VectorMath.ROUNDING_MAGIC);
            FloatVector r = n.fma(FloatVector.broadcast(S, -VectorMath.LN2_HI), clamped);
            r = n.fma(FloatVector.broadcast(S, -VectorMath.LN2_LO), r);
            FloatVector p = r.fma(1f / 720, 1f / 120);
            p = p.fma(r, FloatVector.broadcast(S, 1f / 24));
            p = p.fma(r, FloatVector.broadcast(S, 1f / 6));
            p = p.fma(r, FloatVector.broadcast(S, 0.5f));
            p = p.fma(r, FloatVector.broadcast(S, 1f));
            p = p.fma(r, FloatVector.broadcast(S, 1f));
            IntVector bits = ((IntVector) shifted.viewAsIntegralLanes()).sub(VectorMath.MAGIC_BITS - 127)
                    .lanewise(VectorOperators.LSHL, 23);
            FloatVector e = p.mul(bits.reinterpretAsFloats()).blend(0f, below);
            FloatVector.broadcast(S, 1f).sub(FloatVector.broadcast(S, 2f).div(e.add(1f))).intoArray(tanh, j);
        }
    }

    private static void geluBackwardFromTanh(MemorySegment x, MemorySegment dOut, MemorySegment dX, long start,
                                             int count, float[] tanh) {
        int full = S.loopBound(count);
        int j = 0;
        for (; j < full; j += V) {
            long at = (start + j) * Float.BYTES;
            FloatVector v = FloatVector.fromMemorySegment(S, x, at, ORDER);
            FloatVector t = FloatVector.fromArray(S, tanh, j);
            FloatVector du = v.mul(v).mul(3f * GELU_CUBIC).add(1f).mul(SQRT_2_OVER_PI);
            FloatVector oneMinusT2 = FloatVector.broadcast(S, 1f).sub(t.mul(t));
            FloatVector derivative = t.add(1f).mul(0.5f).add(v.mul(0.5f).mul(oneMinusT2).mul(du));
            FloatVector.fromMemorySegment(S, dX, at, ORDER)
                    .add(FloatVector.fromMemorySegment(S, dOut, at, ORDER).mul(derivative))
                    .intoMemorySegment(dX, at, ORDER);
        }
        if (j < count) {
            VectorMask<Float> m = S.indexInRange(j, count);
            long at = (start + j) * Float.BYTES;
            FloatVector v = FloatVector.fromMemorySegment(S, x, at, ORDER, m);
            FloatVector t = FloatVector.fromArray(S, tanh, j);
            FloatVector du = v.mul(v).mul(3f * GELU_CUBIC).add(1f).mul(SQRT_2_OVER_PI);
            FloatVector oneMinusT2 = FloatVector.broadcast(S, 1f).sub(t.mul(t));
            FloatVector derivative = t.add(1f).mul(0.5f).add(v.mul(0.5f).mul(oneMinusT2).mul(du));
            FloatVector.fromMemorySegment(S, dX, at, ORDER, m)
                    .add(FloatVector.fromMemorySegment(S, dOut, at, ORDER, m).mul(derivative))
                    .intoMemorySegment(dX, at, ORDER, m);
        }
    }

    // ----------------------------------------------------------------- SiLU
    // Whole vectors unmasked, the tail masked: masking every iteration made these loops several times slower
    // on AVX2, which has no cheap masked load.

    /** y·sigmoid(y), written y / (1 + e^−y): one division and no separate multiply. */
    static FloatVector silu(FloatVector y) {
        return y.div(VectorMath.exp(y.neg()).add(1f));
    }

    /** SiLU'(y) = s·(1 + y·(1 − s)) with s = sigmoid(y). */
    static FloatVector siluDerivative(FloatVector y) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        FloatVector s = one.div(VectorMath.exp(y.neg()).add(1f));
        return s.mul(y.mul(one.sub(s)).add(1f));
    }

    public static void silu(MemorySegment x, MemorySegment out, long from, long to) {
        long i = from;
        for (long full = from + S.loopBound(to - from); i < full; i += V) {
            silu(load(x, i)).intoMemorySegment(out, i * Float.BYTES, ORDER);
        }
        if (i < to) {
            VectorMask<Float> m = mask(i, to);
            silu(load(x, i, m)).intoMemorySegment(out, i * Float.BYTES, ORDER, m);
        }
    }

    public static void siluBackward(MemorySegment x, MemorySegment dOut, MemorySegment dX, long from, long to) {
        long i = from;
        for (long full = from + S.loopBound(to - from); i < full; i += V) {
            load(dX, i).add(load(dOut, i).mul(siluDerivative(load(x, i))))
                    .intoMemorySegment(dX, i * Float.BYTES, ORDER);
        }
        if (i < to) {
            VectorMask<Float> m = mask(i, to);
            load(dX, i, m).add(load(dOut, i, m).mul(siluDerivative(load(x, i, m))))
                    .intoMemorySegment(dX, i * Float.BYTES, ORDER, m);
        }
    }

    // ----------------------------------------------------------------- ReLU
    // Whole vectors unmasked, with the Vector API calls in the loop itself, and the tail one float at a time: with
    // a masked load through a helper on every iteration, relu was left boxed in KernelCompilationTest once more
    // kernels were compiled around it.

    public static void relu(MemorySegment x, MemorySegment out, long from, long to) {
        long i = from;
        for (long full = from + S.loopBound(to - from); i < full; i += V) {
            long at = i * Float.BYTES;
            FloatVector.fromMemorySegment(S, x, at, ORDER).max(0f).intoMemorySegment(out, at, ORDER);
        }
        for (; i < to; i++) {
            out.setAtIndex(F, i, Math.max(x.getAtIndex(F, i), 0f));
        }
    }

    public static void reluBackward(MemorySegment x, MemorySegment dOut, MemorySegment dX, long from, long to) {
        long i = from;
        for (long full = from + S.loopBound(to - from); i < full; i += V) {
            long at = i * Float.BYTES;
            VectorMask<Float> positive = FloatVector.fromMemorySegment(S, x, at, ORDER)
                    .compare(VectorOperators.GT, 0f);
            FloatVector g = FloatVector.fromMemorySegment(S, dOut, at, ORDER).blend(0f, positive.not());
            FloatVector.fromMemorySegment(S, dX, at, ORDER).add(g).intoMemorySegment(dX, at, ORDER);
        }
        for (; i < to; i++) {
            float g = x.getAtIndex(F, i) > 0f ? dOut.getAtIndex(F, i) : 0f;
            dX.setAtIndex(F, i, dX.getAtIndex(F, i) + g);
        }
    }
}
