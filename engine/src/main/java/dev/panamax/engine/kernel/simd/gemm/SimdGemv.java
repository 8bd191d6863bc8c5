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
     *
     * <p>Streams the matrix row by row (unit stride, which the hardware prefetcher follows at full bandwidth) and
     * accumulates into {@code acc[j0, j1)}, which stays in L1. Four rows per pass cut the accumulator traffic;
     * each element still sees the fused multiply-adds in ascending p, one at a time.
     */
    static void rowsTimesVector(float[] x, int k, MemorySegment mat, long off, int ld, int j0, int j1,
                                float alpha, float beta, MemorySegment y, long yOff, long incY, float[] acc) {
        java.util.Arrays.fill(acc, j0, j1, 0f);
        int vecEnd = j0 + (j1 - j0) / V * V;
        VectorMask<Float> tail = S.indexInRange(vecEnd, j1);
        long rowBytes = (long) ld * Float.BYTES;
        int p = 0;
        for (; p + 4 <= k; p += 4) {
            FloatVector x0 = FloatVector.broadcast(S, x[p]);
            FloatVector x1 = FloatVector.broadcast(S, x[p + 1]);
            FloatVector x2 = FloatVector.broadcast(S, x[p + 2]);
            FloatVector x3 = FloatVector.broadcast(S, x[p + 3]);
            long r0 = (off + (long) p * ld) * Float.BYTES;
            long r1 = r0 + rowBytes;
            long r2 = r1 + rowBytes;
            long r3 = r2 + rowBytes;
            for (int j = j0; j < vecEnd; j += V) {
                long at = (long) j * Float.BYTES;
                FloatVector s = FloatVector.fromArray(S, acc, j);
                s = FloatVector.fromMemorySegment(S, mat, r0 + at, ORDER).fma(x0, s);
                s = FloatVector.fromMemorySegment(S, mat, r1 + at, ORDER).fma(x1, s);
                s = FloatVector.fromMemorySegment(S, mat, r2 + at, ORDER).fma(x2, s);
                s = FloatVector.fromMemorySegment(S, mat, r3 + at, ORDER).fma(x3, s);
                s.intoArray(acc, j);
            }
            if (vecEnd < j1) {
                long at = (long) vecEnd * Float.BYTES;
                FloatVector s = FloatVector.fromArray(S, acc, vecEnd, tail);
                s = FloatVector.fromMemorySegment(S, mat, r0 + at, ORDER, tail).fma(x0, s);
                s = FloatVector.fromMemorySegment(S, mat, r1 + at, ORDER, tail).fma(x1, s);
                s = FloatVector.fromMemorySegment(S, mat, r2 + at, ORDER, tail).fma(x2, s);
                s = FloatVector.fromMemorySegment(S, mat, r3 + at, ORDER, tail).fma(x3, s);
                s.intoArray(acc, vecEnd, tail);
            }
        }
        for (; p < k; p++) {
            FloatVector xp = FloatVector.broadcast(S, x[p]);
            long r0 = (off + (long) p * ld) * Float.BYTES;
            for (int j = j0; j < vecEnd; j += V) {
                FloatVector s = FloatVector.fromArray(S, acc, j);
                FloatVector.fromMemorySegment(S, mat, r0 + (long) j * Float.BYTES, ORDER).fma(xp, s).intoArray(acc, j);
            }
            if (vecEnd < j1) {
                FloatVector s = FloatVector.fromArray(S, acc, vecEnd, tail);
                FloatVector.fromMemorySegment(S, mat, r0 + (long) vecEnd * Float.BYTES, ORDER, tail).fma(xp, s)
                        .intoArray(acc, vecEnd, tail);
            }
        }
        for (int j = j0; j < j1; j++) {
            storeOne(acc[j], j, alpha, beta, y, yOff, incY);
        }
    }

    /**
     * {@code y[j·incY] = alpha·Σ_p x[p]·Mat[off + j·ld + p] + beta·y[j·incY]} for j in {@code [j0, j1)};
     * {@code lanes} is scratch for at least 4·V floats.
     */
    static void dotsWithVector(float[] x, int k, MemorySegment mat, long off, int ld, int j0, int j1,
                               float alpha, float beta, MemorySegment y, long yOff, long incY, float[] lanes) {
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
            // Two accumulators per row, over alternate vectors of p: with one, each row's sum waits on the
            // previous fused multiply-add's latency, and the four rows' chains did not keep up with memory
            // (GPT-2's LM head: 16.8 → 14.9 ms per token on one AVX2 core).
            FloatVector t0 = FloatVector.zero(S);
            FloatVector t1 = t0;
            FloatVector t2 = t0;
            FloatVector t3 = t0;
            int p = 0;
            for (; p + 2 * V <= kVec; p += 2 * V) {
                FloatVector xv = FloatVector.fromArray(S, x, p);
                FloatVector xw = FloatVector.fromArray(S, x, p + V);
                long at = (long) p * Float.BYTES;
                long next = at + (long) V * Float.BYTES;
                s0 = FloatVector.fromMemorySegment(S, mat, r0 + at, ORDER).fma(xv, s0);
                t0 = FloatVector.fromMemorySegment(S, mat, r0 + next, ORDER).fma(xw, t0);
                s1 = FloatVector.fromMemorySegment(S, mat, r1 + at, ORDER).fma(xv, s1);
                t1 = FloatVector.fromMemorySegment(S, mat, r1 + next, ORDER).fma(xw, t1);
                s2 = FloatVector.fromMemorySegment(S, mat, r2 + at, ORDER).fma(xv, s2);
                t2 = FloatVector.fromMemorySegment(S, mat, r2 + next, ORDER).fma(xw, t2);
                s3 = FloatVector.fromMemorySegment(S, mat, r3 + at, ORDER).fma(xv, s3);
                t3 = FloatVector.fromMemorySegment(S, mat, r3 + next, ORDER).fma(xw, t3);
            }
            if (p < kVec) {
                FloatVector xv = FloatVector.fromArray(S, x, p);
                long at = (long) p * Float.BYTES;
                s0 = FloatVector.fromMemorySegment(S, mat, r0 + at, ORDER).fma(xv, s0);
                s1 = FloatVector.fromMemorySegment(S, mat, r1 + at, ORDER).fma(xv, s1);
                s2 = FloatVector.fromMemorySegment(S, mat, r2 + at, ORDER).fma(xv, s2);
                s3 = FloatVector.fromMemorySegment(S, mat, r3 + at, ORDER).fma(xv, s3);
            }
            s0 = s0.add(t0);
            s1 = s1.add(t1);
            s2 = s2.add(t2);
            s3 = s3.add(t3);
            if (kVec < k) {
                FloatVector xv = FloatVector.fromArray(S, x, kVec, tail);
                long at = (long) kVec * Float.BYTES;
                s0 = FloatVector.fromMemorySegment(S, mat, r0 + at, ORDER, tail).fma(xv, s0);
                s1 = FloatVector.fromMemorySegment(S, mat, r1 + at, ORDER, tail).fma(xv, s1);
                s2 = FloatVector.fromMemorySegment(S, mat, r2 + at, ORDER, tail).fma(xv, s2);
                s3 = FloatVector.fromMemorySegment(S, mat, r3 + at, ORDER, tail).fma(xv, s3);
            }
            // The lanes go through an array and are added in lane order, a fixed order (reduceLanes may
            // reassociate differently in the interpreter and in C2). Extracting them from the registers one by
            // one took longer than the dot products themselves at k = 128 (a 768 × 128 matrix-vector product
            // from L2: 32 µs, now 16).
            s0.intoArray(lanes, 0);
            s1.intoArray(lanes, V);
            s2.intoArray(lanes, 2 * V);
            s3.intoArray(lanes, 3 * V);
            for (int r = 0; r < 4; r++) {
                float sum = 0f;
                for (int lane = 0; lane < V; lane++) {
                    sum += lanes[r * V + lane];
                }
                storeOne(sum, j + r, alpha, beta, y, yOff, incY);
            }
        }
        for (; j < j1; j++) {
            // The same operations as one row of the loop above, so an output's bits do not depend on whether
            // the column split put it in a group of four.
            long r0 = (off + (long) j * ld) * Float.BYTES;
            FloatVector s0 = FloatVector.zero(S);
            FloatVector t0 = s0;
            int p = 0;
            for (; p + 2 * V <= kVec; p += 2 * V) {
                long at = (long) p * Float.BYTES;
                s0 = FloatVector.fromMemorySegment(S, mat, r0 + at, ORDER).fma(FloatVector.fromArray(S, x, p), s0);
                t0 = FloatVector.fromMemorySegment(S, mat, r0 + at + (long) V * Float.BYTES, ORDER)
                        .fma(FloatVector.fromArray(S, x, p + V), t0);
            }
            if (p < kVec) {
                s0 = FloatVector.fromMemorySegment(S, mat, r0 + (long) p * Float.BYTES, ORDER)
                        .fma(FloatVector.fromArray(S, x, p), s0);
            }
            s0 = s0.add(t0);
            if (kVec < k) {
                s0 = FloatVector.fromMemorySegment(S, mat, r0 + (long) kVec * Float.BYTES, ORDER, tail)
                        .fma(FloatVector.fromArray(S, x, kVec, tail), s0);
            }
            s0.intoArray(lanes, 0);
            float sum = 0f;
            for (int lane = 0; lane < V; lane++) {
                sum += lanes[lane];
            }
            storeOne(sum, j, alpha, beta, y, yOff, incY);
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
