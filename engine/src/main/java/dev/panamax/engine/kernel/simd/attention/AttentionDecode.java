package dev.panamax.engine.kernel.simd.attention;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Attention for a single new query per head, the step of token-by-token generation:
 * {@code out = softmax(scale·q·Kᵀ)·V} over the first {@code tk} rows of each head's K and V (the KV cache).
 *
 * <p><b>Why not the forward pass.</b> With one query row, {@link AttentionForward}'s tiles packed every head's
 * whole cache on every token (K transposed into panels, V into column panels) and then ran four-row tiles with
 * one live row: 19% of a GPT-2 small decode step, about seven times the cost of reading the cache once. Here each
 * head reads its K and V rows once, in place:
 * <ol>
 *   <li>scores {@code s_j = (q·scale·log2 e)·k_j}, four keys at a time, each a vector over head_dim whose lanes
 *       are summed in a fixed order (through an array: {@code reduceLanes} may reassociate differently in the
 *       interpreter and in C2, and sampling must not depend on when the JIT ran);</li>
 *   <li>the maximum, then {@code p_j = 2^(s_j − max)} and their sum ({@link RowKernels}, as in the forward
 *       pass);</li>
 *   <li>{@code Σ p_j·v_j}, a vector over head_dim accumulated across the keys, divided by the sum.</li>
 * </ol>
 * Results agree with the forward pass to float rounding, not bit for bit (the sums are taken in a different
 * order); each head is computed by one thread in a fixed order, so they do not depend on the thread count.
 * The vector code is in the loops themselves, not in helpers that take vectors, which C2 might not inline, and
 * the loops have no masked tails: the columns past the last whole vector are summed one at a time.
 *
 * <p>Steps 1 and 3 are matrix-vector products with the same loop shapes as the GEMM's {@code SimdGemv}, written
 * again here on purpose: calling the GEMV with the scores' heap array (as a heap segment) let its memory accesses
 * see two kinds of segment, and then the GEMV and this kernel both ran with boxed vectors (KernelCompilationTest).
 */
final class AttentionDecode {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int V = S.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    private AttentionDecode() {
    }

    /**
     * Heads {@code [h0, h1)}: query and output rows at float {@code h·d} of q and out, keys and values at float
     * {@code h·kvHeadStride} of k and v.
     */
    static void run(MemorySegment q, MemorySegment k, MemorySegment v, MemorySegment out, int h0, int h1, int tk,
                    int d, long kvHeadStride, float scale) {
        AttentionScratch s = SimdAttention.scratch();
        int dp = (d + V - 1) / V * V;
        int kp = (tk + V - 1) / V * V;
        s.decodeQuery = AttentionScratch.grow(s.decodeQuery, d);
        s.decodeScores = AttentionScratch.grow(s.decodeScores, kp);
        s.decodeOut = AttentionScratch.grow(s.decodeOut, dp);       // storeRow loads whole vectors
        s.decodeLanes = AttentionScratch.grow(s.decodeLanes, 4L * V);
        for (int h = h0; h < h1; h++) {
            head(q, k, v, out, h, tk, d, kvHeadStride, (float) (scale * Exp2.LOG2E), s);
        }
    }

    private static void head(MemorySegment q, MemorySegment k, MemorySegment v, MemorySegment out, int h, int tk,
                             int d, long kvHeadStride, float base2Scale, AttentionScratch s) {
        long kvBase = h * kvHeadStride;
        for (int c = 0; c < d; c++) {
            s.decodeQuery[c] = q.getAtIndex(ValueLayout.JAVA_FLOAT, (long) h * d + c) * base2Scale;
        }
        scores(s.decodeQuery, k, kvBase, tk, d, s.decodeScores, s.decodeLanes);
        float max = RowKernels.max(s.decodeScores, 0, tk);
        float total = RowKernels.exp2Row(s.decodeScores, 0, tk, max, s.rowLanes);
        weightedValues(s.decodeScores, v, kvBase, tk, d, s.decodeOut);
        RowKernels.storeRow(s.decodeOut, 0, d, total, true, out, (long) h * d);
    }

    /** {@code scores[j] = query·k_j} for the tk keys from float {@code kBase} of k, four keys at a time. */
    private static void scores(float[] query, MemorySegment k, long kBase, int tk, int d, float[] scores,
                               float[] lanes) {
        int dVec = d / V * V;
        long rowBytes = (long) d * Float.BYTES;
        long base = kBase * Float.BYTES;
        int j = 0;
        for (; j + 4 <= tk; j += 4) {
            long r0 = base + j * rowBytes;
            long r1 = r0 + rowBytes;
            long r2 = r1 + rowBytes;
            long r3 = r2 + rowBytes;
            FloatVector a0 = FloatVector.zero(S);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            int c = 0;
            for (; c < dVec; c += V) {
                FloatVector qv = FloatVector.fromArray(S, query, c);
                long at = (long) c * Float.BYTES;
                a0 = FloatVector.fromMemorySegment(S, k, r0 + at, ORDER).fma(qv, a0);
                a1 = FloatVector.fromMemorySegment(S, k, r1 + at, ORDER).fma(qv, a1);
                a2 = FloatVector.fromMemorySegment(S, k, r2 + at, ORDER).fma(qv, a2);
                a3 = FloatVector.fromMemorySegment(S, k, r3 + at, ORDER).fma(qv, a3);
            }
            a0.intoArray(lanes, 0);
            a1.intoArray(lanes, V);
            a2.intoArray(lanes, 2 * V);
            a3.intoArray(lanes, 3 * V);
            for (int r = 0; r < 4; r++) {
                float sum = 0f;
                for (int lane = 0; lane < V; lane++) {
                    sum += lanes[r * V + lane];
                }
                // Columns past the last whole vector, one at a time: a masked load in this loop would be a
                // second, rarely taken vector path in a hot method.
                long row = kBase + (long) (j + r) * d;
                for (int cc = dVec; cc < d; cc++) {
                    sum = Math.fma(query[cc], k.getAtIndex(ValueLayout.JAVA_FLOAT, row + cc), sum);
                }
                scores[j + r] = sum;
            }
        }
        for (; j < tk; j++) {
            // The last one to three keys, one lane at a time (a rarely run vector loop might never be compiled).
            long r0 = kBase + (long) j * d;
            float sum = 0f;
            for (int c = 0; c < d; c++) {
                sum = Math.fma(query[c], k.getAtIndex(ValueLayout.JAVA_FLOAT, r0 + c), sum);
            }
            scores[j] = sum;
        }
    }

    /** {@code acc[0 .. d) = Σ_j p[j]·v_j} over the tk values from float {@code vBase} of v, two keys per pass. */
    private static void weightedValues(float[] p, MemorySegment v, long vBase, int tk, int d, float[] acc) {
        int dVec = d / V * V;
        long rowBytes = (long) d * Float.BYTES;
        long base = vBase * Float.BYTES;
        Arrays.fill(acc, 0, d, 0f);
        // Keys in pairs; an odd last key is paired with itself at probability 0 (p is zero past tk).
        for (int j = 0; j < tk; j += 2) {
            boolean second = j + 1 < tk;
            FloatVector p0 = FloatVector.broadcast(S, p[j]);
            FloatVector p1 = FloatVector.broadcast(S, second ? p[j + 1] : 0f);
            long r0 = base + j * rowBytes;
            long r1 = second ? r0 + rowBytes : r0;
            for (int c = 0; c < dVec; c += V) {
                long at = (long) c * Float.BYTES;
                FloatVector a = FloatVector.fromArray(S, acc, c);
                a = FloatVector.fromMemorySegment(S, v, r0 + at, ORDER).fma(p0, a);
                a = FloatVector.fromMemorySegment(S, v, r1 + at, ORDER).fma(p1, a);
                a.intoArray(acc, c);
            }
        }
        // Columns past the last whole vector, one at a time (see scores).
        for (int c = dVec; c < d; c++) {
            float sum = 0f;
            for (int j = 0; j < tk; j++) {
                sum = Math.fma(p[j], v.getAtIndex(ValueLayout.JAVA_FLOAT, vBase + (long) j * d + c), sum);
            }
            acc[c] = sum;
        }
    }
}
