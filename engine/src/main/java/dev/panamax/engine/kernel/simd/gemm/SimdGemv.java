package dev.panamax.engine.kernel.simd.gemm;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
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
        long rowBytes = (long) ld * Float.BYTES;
        // The tails (fewer than V outputs) run one element at a time, with the same fused multiply-adds, in small
        // methods that take scalars: with masked vector tails in this method, C2 spent its inlining budget on
        // whichever path the profile called hot, and after convolutions whose GEMVs ran the tails, compiled the
        // main loop with boxed vectors (300 KB per 1×128×128 call).
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
                addFourRowsTail(acc, vecEnd, j1, mat, r0, rowBytes, x[p], x[p + 1], x[p + 2], x[p + 3]);
            }
        }
        for (; p < k; p++) {
            long r0 = (off + (long) p * ld) * Float.BYTES;
            addRow(acc, j0, vecEnd, j1, mat, r0, x[p]);
        }
        for (int j = j0; j < j1; j++) {
            storeOne(acc[j], j, alpha, beta, y, yOff, incY);
        }
    }

    /** The main loop's four fused multiply-adds for the last, partial vector {@code [from, to)}, one element at a time. */
    private static void addFourRowsTail(float[] acc, int from, int to, MemorySegment mat, long r0, long rowBytes,
                                        float a0, float a1, float a2, float a3) {
        for (int j = from; j < to; j++) {
            long at = r0 + (long) j * Float.BYTES;
            float s = Math.fma(mat.get(F, at), a0, acc[j]);
            s = Math.fma(mat.get(F, at + rowBytes), a1, s);
            s = Math.fma(mat.get(F, at + 2 * rowBytes), a2, s);
            acc[j] = Math.fma(mat.get(F, at + 3 * rowBytes), a3, s);
        }
    }

    /** {@code acc[j] += a·M[r0 + j]} for j in {@code [from, to)}: whole vectors up to vecEnd, then one by one. */
    private static void addRow(float[] acc, int from, int vecEnd, int to, MemorySegment mat, long r0, float a) {
        FloatVector xp = FloatVector.broadcast(S, a);
        for (int j = from; j < vecEnd; j += V) {
            FloatVector s = FloatVector.fromArray(S, acc, j);
            FloatVector.fromMemorySegment(S, mat, r0 + (long) j * Float.BYTES, ORDER).fma(xp, s).intoArray(acc, j);
        }
        for (int j = vecEnd; j < to; j++) {
            acc[j] = Math.fma(mat.get(F, r0 + (long) j * Float.BYTES), a, acc[j]);
        }
    }

    /**
     * {@code y[j·incY] = alpha·Σ_p x[p]·Mat[off + j·ld + p] + beta·y[j·incY]} for j in {@code [j0, j1)};
     * {@code lanes} is scratch for at least 4·V floats.
     *
     * <p>Each output is a dot product kept in V lanes (two accumulators over alternate vectors of p, then added),
     * the last {@code k mod V} products added to their lanes one by one, and the lanes summed in lane order: a
     * fixed order, so an output's bits do not depend on which outputs share a pass of four. The loops sit in small
     * methods that take no vectors, with scalar tails instead of masked ones: as one method with masked tails,
     * C2 sometimes compiled it with boxed vectors for good (12 KB per 1×13 · 13×128 product).
     */
    static void dotsWithVector(float[] x, int k, MemorySegment mat, long off, int ld, int j0, int j1,
                               float alpha, float beta, MemorySegment y, long yOff, long incY, float[] lanes) {
        long rowBytes = (long) ld * Float.BYTES;
        int j = j0;
        for (; j + 4 <= j1; j += 4) {
            dotFourRows(x, k, mat, (off + (long) j * ld) * Float.BYTES, rowBytes, lanes);
            for (int r = 0; r < 4; r++) {
                storeOne(laneSum(lanes, r * V), j + r, alpha, beta, y, yOff, incY);
            }
        }
        for (; j < j1; j++) {
            dotOneRow(x, k, mat, (off + (long) j * ld) * Float.BYTES, lanes);
            storeOne(laneSum(lanes, 0), j, alpha, beta, y, yOff, incY);
        }
    }

    /** The four rows' lane partial sums into {@code lanes[r·V + lane]}, r = 0..3. */
    private static void dotFourRows(float[] x, int k, MemorySegment mat, long r0, long rowBytes, float[] lanes) {
        long r1 = r0 + rowBytes;
        long r2 = r1 + rowBytes;
        long r3 = r2 + rowBytes;
        int kVec = k - k % V;
        FloatVector s0 = FloatVector.zero(S);
        FloatVector s1 = s0;
        FloatVector s2 = s0;
        FloatVector s3 = s0;
        // Two accumulators per row, over alternate vectors of p: with one, each row's sum waits on the previous
        // fused multiply-add's latency, and the four rows' chains did not keep up with memory (GPT-2's LM head:
        // 16.8 → 14.9 ms per token on one AVX2 core).
        FloatVector t0 = s0;
        FloatVector t1 = s0;
        FloatVector t2 = s0;
        FloatVector t3 = s0;
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
        // The lanes go through an array (extracting them from the registers one by one took longer than the dot
        // products themselves at k = 128).
        s0.add(t0).intoArray(lanes, 0);
        s1.add(t1).intoArray(lanes, V);
        s2.add(t2).intoArray(lanes, 2 * V);
        s3.add(t3).intoArray(lanes, 3 * V);
        for (int i = kVec; i < k; i++) {
            long at = (long) i * Float.BYTES;
            int lane = i - kVec;
            lanes[lane] = Math.fma(mat.get(F, r0 + at), x[i], lanes[lane]);
            lanes[V + lane] = Math.fma(mat.get(F, r1 + at), x[i], lanes[V + lane]);
            lanes[2 * V + lane] = Math.fma(mat.get(F, r2 + at), x[i], lanes[2 * V + lane]);
            lanes[3 * V + lane] = Math.fma(mat.get(F, r3 + at), x[i], lanes[3 * V + lane]);
        }
    }

    /** {@link #dotFourRows} for one row, with the same operations: its lane partial sums into {@code lanes[0, V)}. */
    private static void dotOneRow(float[] x, int k, MemorySegment mat, long r0, float[] lanes) {
        int kVec = k - k % V;
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
        s0.add(t0).intoArray(lanes, 0);
        for (int i = kVec; i < k; i++) {
            lanes[i - kVec] = Math.fma(mat.get(F, r0 + (long) i * Float.BYTES), x[i], lanes[i - kVec]);
        }
    }

    /** {@code lanes[from] + ... + lanes[from + V − 1]}, in lane order, from +0. */
    private static float laneSum(float[] lanes, int from) {
        float sum = 0f;
        for (int lane = 0; lane < V; lane++) {
            sum += lanes[from + lane];
        }
        return sum;
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
