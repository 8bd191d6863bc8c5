package dev.panamax.engine.kernel.simd.gemm;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Matrix × vector, the GEMM fast path for M = 1 (and N = 1): {@code y = alpha·x·Mat + beta·y}. Token-by-token
 * generation lives here, and it is bound by memory bandwidth, so the matrix is streamed once, without packing,
 * in its stored order:
 *
 * <ul>
 *   <li>{@link #rowsTimesVector}: the matrix's rows are indexed by the reduction (p): {@code y[j] += x[p]·Mat[p, j]},
 *   accumulating a strip of columns in registers over all p.</li>
 *   <li>{@link #dotsWithVector}: the matrix's rows are the outputs: {@code y[j] = dot(x, Mat[j, :])}.</li>
 * </ul>
 *
 * Each output element is computed by one fixed sequence of operations whatever the column range, so splitting
 * the columns over threads does not change the result.
 */
final class SimdGemv {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int V = S.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    private SimdGemv() {
    }

    /**
     * {@code y[j·incY] = alpha·Σ_p x[p]·Mat[off + p·ld + j] + beta·y[j·incY]} for j in {@code [j0, j1)}.
     */
    static void rowsTimesVector(float[] x, int k, MemorySegment mat, long off, int ld, int j0, int j1,
                                float alpha, float beta, MemorySegment y, long yOff, long incY) {
        int j = j0;
        // Four vectors of columns at a time: four independent FMA chains hide the FMA latency.
        for (; j + 4 * V <= j1; j += 4 * V) {
            FloatVector s0 = FloatVector.zero(S);
            FloatVector s1 = FloatVector.zero(S);
            FloatVector s2 = FloatVector.zero(S);
            FloatVector s3 = FloatVector.zero(S);
            long row = (off + j) * Float.BYTES;
            long rowStep = (long) ld * Float.BYTES;
            for (int p = 0; p < k; p++, row += rowStep) {
                FloatVector xp = FloatVector.broadcast(S, x[p]);
                s0 = FloatVector.fromMemorySegment(S, mat, row, ORDER).fma(xp, s0);
                s1 = FloatVector.fromMemorySegment(S, mat, row + (long) V * Float.BYTES, ORDER).fma(xp, s1);
                s2 = FloatVector.fromMemorySegment(S, mat, row + 2L * V * Float.BYTES, ORDER).fma(xp, s2);
                s3 = FloatVector.fromMemorySegment(S, mat, row + 3L * V * Float.BYTES, ORDER).fma(xp, s3);
            }
            store(s0, j, alpha, beta, y, yOff, incY, V);
            store(s1, j + V, alpha, beta, y, yOff, incY, V);
            store(s2, j + 2 * V, alpha, beta, y, yOff, incY, V);
            store(s3, j + 3 * V, alpha, beta, y, yOff, incY, V);
        }
        for (; j < j1; j += V) {
            int cols = Math.min(V, j1 - j);
            VectorMask<Float> valid = S.indexInRange(0, cols);
            FloatVector s = FloatVector.zero(S);
            long row = (off + j) * Float.BYTES;
            long rowStep = (long) ld * Float.BYTES;
            for (int p = 0; p < k; p++, row += rowStep) {
                s = FloatVector.fromMemorySegment(S, mat, row, ORDER, valid).fma(FloatVector.broadcast(S, x[p]), s);
            }
            store(s, j, alpha, beta, y, yOff, incY, cols);
        }
    }

    /**
     * {@code y[j·incY] = alpha·Σ_p x[p]·Mat[off + j·ld + p] + beta·y[j·incY]} for j in {@code [j0, j1)}.
     */
    static void dotsWithVector(float[] x, int k, MemorySegment mat, long off, int ld, int j0, int j1,
                               float alpha, float beta, MemorySegment y, long yOff, long incY) {
        int j = j0;
        int kVec = k - k % V;
        VectorMask<Float> tail = S.indexInRange(kVec, k);
        for (; j + 4 <= j1; j += 4) {
            long r0 = (off + (long) j * ld) * Float.BYTES;
            long r1 = r0 + (long) ld * Float.BYTES;
            long r2 = r1 + (long) ld * Float.BYTES;
            long r3 = r2 + (long) ld * Float.BYTES;
            FloatVector s0 = FloatVector.zero(S);
            FloatVector s1 = FloatVector.zero(S);
            FloatVector s2 = FloatVector.zero(S);
            FloatVector s3 = FloatVector.zero(S);
            for (int p = 0; p < kVec; p += V) {
                FloatVector xv = FloatVector.fromArray(S, x, p);
                long at = (long) p * Float.BYTES;
                s0 = FloatVector.fromMemorySegment(S, mat, r0 + at, ORDER).fma(xv, s0);
                s1 = FloatVector.fromMemorySegment(S, mat, r1 + at, ORDER).fma(xv, s1);
                s2 = FloatVector.fromMemorySegment(S, mat, r2 + at, ORDER).fma(xv, s2);
                s3 = FloatVector.fromMemorySegment(S, mat, r3 + at, ORDER).fma(xv, s3);
            }
            if (kVec < k) {
                FloatVector xv = FloatVector.fromArray(S, x, kVec, tail);
                long at = (long) kVec * Float.BYTES;
                s0 = FloatVector.fromMemorySegment(S, mat, r0 + at, ORDER, tail).fma(xv, s0);
                s1 = FloatVector.fromMemorySegment(S, mat, r1 + at, ORDER, tail).fma(xv, s1);
                s2 = FloatVector.fromMemorySegment(S, mat, r2 + at, ORDER, tail).fma(xv, s2);
                s3 = FloatVector.fromMemorySegment(S, mat, r3 + at, ORDER, tail).fma(xv, s3);
            }
            storeOne(sumLanes(s0), j, alpha, beta, y, yOff, incY);
            storeOne(sumLanes(s1), j + 1, alpha, beta, y, yOff, incY);
            storeOne(sumLanes(s2), j + 2, alpha, beta, y, yOff, incY);
            storeOne(sumLanes(s3), j + 3, alpha, beta, y, yOff, incY);
        }
        for (; j < j1; j++) {
            long r0 = (off + (long) j * ld) * Float.BYTES;
            FloatVector s0 = FloatVector.zero(S);
            for (int p = 0; p < kVec; p += V) {
                s0 = FloatVector.fromMemorySegment(S, mat, r0 + (long) p * Float.BYTES, ORDER)
                        .fma(FloatVector.fromArray(S, x, p), s0);
            }
            if (kVec < k) {
                s0 = FloatVector.fromMemorySegment(S, mat, r0 + (long) kVec * Float.BYTES, ORDER, tail)
                        .fma(FloatVector.fromArray(S, x, kVec, tail), s0);
            }
            storeOne(sumLanes(s0), j, alpha, beta, y, yOff, incY);
        }
    }

    /**
     * Adds the lanes in a fixed order. {@code reduceLanes(ADD)} may reassociate (its order differs between the
     * interpreter and C2), which would make results depend on JIT timing.
     */
    private static float sumLanes(FloatVector v) {
        float sum = 0f;
        for (int lane = 0; lane < V; lane++) {
            sum += v.lane(lane);
        }
        return sum;
    }

    private static void store(FloatVector sum, int j, float alpha, float beta, MemorySegment y, long yOff,
                              long incY, int count) {
        if (incY == 1 && count == V) {
            long at = (yOff + j) * Float.BYTES;
            FloatVector r = sum.mul(alpha);
            if (beta != 0f) {
                r = r.add(FloatVector.fromMemorySegment(S, y, at, ORDER).mul(beta));
            }
            r.intoMemorySegment(y, at, ORDER);
        } else {
            for (int lane = 0; lane < count; lane++) {
                storeOne(sum.lane(lane), j + lane, alpha, beta, y, yOff, incY);
            }
        }
    }

    private static void storeOne(float sum, int j, float alpha, float beta, MemorySegment y, long yOff, long incY) {
        long at = yOff + j * incY;
        float r = sum * alpha;
        if (beta != 0f) {
            r = r + y.getAtIndex(F, at) * beta;
        }
        y.setAtIndex(F, at, r);
    }
}
