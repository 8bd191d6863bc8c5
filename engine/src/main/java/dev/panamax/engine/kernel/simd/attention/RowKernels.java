package dev.panamax.engine.kernel.simd.attention;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The row-wise vector loops of the attention kernels: the softmax pieces (row max, {@code 2^(s − m)} with its
 * sum), the backward's {@code dS = P∘(dP − Δ)}, and the stores of finished rows to a tensor. One loop per method,
 * for the same reason as in {@link TileKernels}. Tails shorter than a vector are masked; every sum adds its lanes
 * in a fixed order ({@code reduceLanes(ADD)} may reassociate differently in the interpreter and in C2).
 */
final class RowKernels {

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int V = S.length();
    static final ByteOrder ORDER = ByteOrder.nativeOrder();

    private RowKernels() {
    }

    /**
     * {@code max(t[base .. base+n))}, n ≥ 1, ignoring NaN (a NaN score still makes its probability NaN). Each lane
     * keeps its running max with compare + blend, which is cheaper than {@code FloatVector.max} (Java's NaN and
     * signed-zero rules); the lanes are then combined with {@code reduceLanes(MAX)}: max is exact, so the order
     * does not matter.
     */
    static float max(float[] t, int base, int n) {
        FloatVector acc = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int j = 0;
        for (; j + V <= n; j += V) {
            FloatVector x = FloatVector.fromArray(S, t, base + j);
            acc = acc.blend(x, x.compare(VectorOperators.GT, acc));
        }
        if (j < n) {
            VectorMask<Float> valid = S.indexInRange(j, n);
            FloatVector x = FloatVector.fromArray(S, t, base + j, valid);
            acc = acc.blend(x, x.compare(VectorOperators.GT, acc).and(valid));
        }
        return acc.reduceLanes(VectorOperators.MAX);
    }

    /**
     * Replaces {@code t[base .. base+n)} by {@code 2^(t − shift)} and the rest of the vector that holds element
     * n−1 by zeros; returns the sum of the new values, its lanes added in order through {@code lanes} (V floats of
     * scratch). The caller's row has room up to a whole vector.
     */
    static float exp2Row(float[] t, int base, int n, float shift, float[] lanes) {
        FloatVector m = FloatVector.broadcast(S, shift);
        FloatVector sum = FloatVector.zero(S);
        // One call site of exp2 only: a second one (for the tail) exceeds C2's inlining budget, and the
        // out-of-line call boxes its vectors. The tail lanes are computed from whatever the row holds there and
        // then replaced by zeros.
        for (int j = 0; j < n; j += V) {
            FloatVector e = Exp2.exp2(FloatVector.fromArray(S, t, base + j).sub(m));
            if (j + V > n) {
                e = e.blend(0f, S.indexInRange(j, n).not());
            }
            e.intoArray(t, base + j);
            sum = sum.add(e);
        }
        // The lanes go through an array, not to a helper taking the vector: in a training step C2 did not always
        // inline such a call, and a vector passed to a call that is not inlined is boxed (a heap object per row
        // and key block).
        sum.intoArray(lanes, 0);
        float total = 0f;
        for (int lane = 0; lane < V; lane++) {
            total += lanes[lane];
        }
        return total;
    }

    /** {@code ds[i] = scale·p[i]·(ds[i] − delta)} for i in {@code [base, base+n)}, rounded up to whole vectors. */
    static void gradScores(float[] p, float[] ds, int base, int n, float delta, float scale) {
        FloatVector dv = FloatVector.broadcast(S, delta);
        for (int j = 0; j < n; j += V) {
            FloatVector x = FloatVector.fromArray(S, ds, base + j).sub(dv).mul(FloatVector.fromArray(S, p, base + j));
            x.mul(scale).intoArray(ds, base + j);
        }
    }

    /**
     * Writes {@code src[srcIndex .. srcIndex+d) · factor} to {@code d} floats of {@code dst} starting at float
     * {@code dstIndex}. With {@code divide}, divides by {@code factor} instead (the softmax's final 1/l, exactly
     * rounded).
     */
    static void storeRow(float[] src, int srcIndex, int d, float factor, boolean divide, MemorySegment dst,
                         long dstIndex) {
        FloatVector f = FloatVector.broadcast(S, factor);
        long at = dstIndex * Float.BYTES;
        int j = 0;
        for (; j + V <= d; j += V) {
            FloatVector x = FloatVector.fromArray(S, src, srcIndex + j);
            x = divide ? x.div(f) : x.mul(f);
            x.intoMemorySegment(dst, at + (long) j * Float.BYTES, ORDER);
        }
        if (j < d) {
            VectorMask<Float> valid = S.indexInRange(j, d);
            FloatVector x = FloatVector.fromArray(S, src, srcIndex + j);
            x = divide ? x.div(f) : x.mul(f);
            x.intoMemorySegment(dst, at + (long) j * Float.BYTES, ORDER, valid);
        }
    }
}
