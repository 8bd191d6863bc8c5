package dev.panamax.engine.kernel.simd.attention;

import static dev.panamax.engine.kernel.simd.attention.TileKernels.MR;
import static dev.panamax.engine.kernel.simd.attention.TileKernels.NR;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * The fused forward pass for one head, one block of query rows at a time (FlashAttention): for each block of
 * {@link SimdAttention#BLOCK_K} keys, a {@code 4 × BLOCK_K} tile of scores {@code S = Q·Kᵀ} is computed in
 * registers ({@link TileKernels#product}), turned into probabilities with an online softmax (running max m and
 * sum l per row; earlier partial results are rescaled by {@code 2^(m_old − m_new)}), and {@code P·V} is added to
 * an unnormalised output tile ({@link TileKernels#rescaleAccumulate}). The T×T score matrix never exists.
 *
 * <p>Scores are in base 2: Q is multiplied by {@code scale·log2(e)} when packed, so probabilities are
 * {@code 2^(s − m)} ({@link Exp2}); the stored log-sum-exp is converted back to natural units.
 *
 * <p>Per head, K is packed once per thread (transposed into NR-wide panels, so the score tile's loads are
 * contiguous) and V cut into NR-wide column panels (so P·V's loads are contiguous too); both are packed lazily,
 * key block by key block, so a causal block near the start of the sequence packs only what it reads.
 *
 * <p>Every output row is a function of its own query row and the keys alone: which rows share a tile, which
 * blocks a thread takes and how many threads there are never change its bits (fully masked blocks add exact
 * zeros). This is why {@link SimdAttention#decode} gives the same bits as the full forward pass.
 */
final class AttentionForward {

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    static final int BQ = SimdAttention.BLOCK_Q;
    static final int BK = SimdAttention.BLOCK_K;

    private AttentionForward() {
    }

    /** Everything about one call that does not change from block to block. */
    record Problem(MemorySegment q, MemorySegment k, MemorySegment v, MemorySegment out, MemorySegment lse,
                   int heads, int tq, int tk, int d, long kvHeadStride, boolean causal, float scale) {

        int dp() {
            return roundUp(d, NR);
        }

        /** Queries sit at positions {@code tk − tq .. tk − 1} (bottom-right aligned causal mask). */
        int offset() {
            return tk - tq;
        }

        int queryBlocks() {
            return ceilDiv(tq, BQ);
        }

        /** One past the last key that a row of query block {@code qb} can see. */
        int keyEnd(int qb) {
            if (!causal) {
                return tk;
            }
            int lastRow = Math.min(tq, (qb + 1) * BQ) - 1;
            return Math.min(tk, lastRow + offset() + 1);
        }

        /** Relative cost of a query block: rows × key blocks visited. */
        long cost(int qb) {
            int rows = Math.min(BQ, tq - qb * BQ);
            return (long) rows * ceilDiv(keyEnd(qb), BK) + rows;
        }
    }

    /** Runs the query blocks that fall to {@code part} of {@code parts}, the parts being of equal cost. */
    static void run(Problem pb, int part, int parts) {
        int qBlocks = pb.queryBlocks();
        long headCost = 0;
        for (int qb = 0; qb < qBlocks; qb++) {
            headCost += pb.cost(qb);
        }
        long total = headCost * pb.heads();
        AttentionScratch s = SimdAttention.scratch();
        int packedHead = -1;
        int packedKeys = 0;
        long before = 0;
        for (int head = 0; head < pb.heads(); head++) {
            for (int qb = 0; qb < qBlocks; qb++) {
                long cost = pb.cost(qb);
                // A unit belongs to the part that holds the midpoint of its cost interval.
                long owner = (before * 2 + cost) * parts / (total * 2);
                before += cost;
                if (owner != part) {
                    continue;
                }
                if (head != packedHead) {
                    prepare(s, pb);
                    packedHead = head;
                    packedKeys = 0;
                }
                int keyEnd = pb.keyEnd(qb);
                if (keyEnd > packedKeys) {
                    int to = Math.min(pb.tk(), roundUp(keyEnd, BK));
                    packKeys(s, pb, head, packedKeys, to);
                    packedKeys = to;
                }
                block(s, pb, head, qb * BQ, Math.min(BQ, pb.tq() - qb * BQ), keyEnd);
            }
        }
    }

    private static void prepare(AttentionScratch s, Problem pb) {
        int d = pb.d();
        int dp = pb.dp();
        s.keysT = AttentionScratch.grow(s.keysT, (long) roundUp(pb.tk(), NR) * d);
        s.values = AttentionScratch.grow(s.values, (long) pb.tk() * dp);
        s.row = AttentionScratch.grow(s.row, d);
        s.queries = AttentionScratch.grow(s.queries, (long) BQ * d);
        s.scores = AttentionScratch.grow(s.scores, (long) MR * BK);
        s.outAcc = AttentionScratch.grow(s.outAcc, (long) BQ * dp);
        s.rowMax = AttentionScratch.grow(s.rowMax, BQ);
        s.rowSum = AttentionScratch.grow(s.rowSum, BQ);
        s.rowScale = AttentionScratch.grow(s.rowScale, MR);
        s.panel = AttentionScratch.grow(s.panel, (long) NR * d);
    }

    /** Packs keys {@code [from, to)} of a head: K transposed into panels, V into column panels. */
    static void packKeys(AttentionScratch s, Problem pb, int head, int from, int to) {
        long kBase = head * pb.kvHeadStride();
        packTransposed(pb.k(), kBase, pb.d(), from, to, s.keysT, s.panel);
        packColumnPanels(pb.v(), kBase, pb.d(), from, to, pb.tk(), s.values, s.row);
    }

    /**
     * Rows {@code [from, to)} of a row-major {@code rows × d} matrix at float {@code base}, transposed into
     * NR-wide panels: element (j, dd) goes to {@code (j/NR)·d·NR + dd·NR + j%NR}. {@code from} is a multiple of
     * NR; the last panel is padded with zeros.
     */
    static void packTransposed(MemorySegment src, long base, int d, int from, int to, float[] dst, float[] panel) {
        for (int j0 = from; j0 < to; j0 += NR) {
            int n = Math.min(NR, to - j0);
            MemorySegment.copy(src, F, (base + (long) j0 * d) * Float.BYTES, panel, 0, n * d);
            int out = (j0 / NR) * d * NR;
            for (int dd = 0; dd < d; dd++) {
                int row = out + dd * NR;
                for (int c = 0; c < n; c++) {
                    dst[row + c] = panel[c * d + dd];
                }
                for (int c = n; c < NR; c++) {
                    dst[row + c] = 0f;
                }
            }
        }
    }

    /**
     * Rows {@code [from, to)} of a row-major matrix with d columns at float {@code base}, cut into NR-wide column
     * panels, each holding {@code capacity} rows: element (j, dd) goes to {@code (dd/NR·capacity + j)·NR + dd%NR},
     * i.e. float {@code dc·capacity + j·NR + dd%NR} for the panel starting at column dc. A tile product that
     * walks the rows of one panel then reads contiguous memory (rows of width dp read with a stride were about
     * 40% slower, measured in the backward pass, whose operands live in L2). Columns d..dp are zero.
     */
    static void packColumnPanels(MemorySegment src, long base, int d, int from, int to, int capacity, float[] dst,
                                 float[] row) {
        int dp = roundUp(d, NR);
        for (int j = from; j < to; j++) {
            MemorySegment.copy(src, F, (base + (long) j * d) * Float.BYTES, row, 0, d);
            for (int dc = 0; dc < dp; dc += NR) {
                int out = dc * capacity + j * NR;
                int n = Math.min(NR, d - dc);
                System.arraycopy(row, dc, dst, out, n);
                for (int c = n; c < NR; c++) {
                    dst[out + c] = 0f;
                }
            }
        }
    }

    /** Zeroes rows {@code [from, to)} of every column panel (layout of {@link #packColumnPanels}). */
    static void zeroColumnPanelRows(int d, int from, int to, int capacity, float[] dst) {
        int dp = roundUp(d, NR);
        for (int dc = 0; dc < dp; dc += NR) {
            Arrays.fill(dst, dc * capacity + from * NR, dc * capacity + to * NR, 0f);
        }
    }

    /** Rows {@code [from, to)} of a row-major {@code rows × d} matrix, times {@code factor}, into rows of width dp. */
    static void packRows(MemorySegment src, long base, int d, int dp, int from, int to, float factor, float[] dst) {
        for (int j = from; j < to; j++) {
            int row = j * dp;
            MemorySegment.copy(src, F, (base + (long) j * d) * Float.BYTES, dst, row, d);
            if (factor != 1f) {
                for (int dd = 0; dd < d; dd++) {
                    dst[row + dd] *= factor;
                }
            }
            Arrays.fill(dst, row + d, row + dp, 0f);
        }
    }

    /**
     * {@code rows} rows of a row-major matrix with d columns at float {@code base}, times {@code factor}, in
     * groups of 4 rows stored column by column: element (g + r, dd) at {@code g·d + dd·4 + r}; the rows that
     * complete the last group are zero.
     */
    static void packInterleaved(MemorySegment src, long base, int d, int rows, float factor, float[] dst,
                                float[] row) {
        int rowsPad = roundUp(rows, MR);
        for (int i = 0; i < rowsPad; i++) {
            int out = (i / MR) * MR * d + i % MR;
            if (i < rows) {
                MemorySegment.copy(src, F, (base + (long) i * d) * Float.BYTES, row, 0, d);
                for (int dd = 0; dd < d; dd++) {
                    dst[out + dd * MR] = row[dd] * factor;
                }
            } else {
                for (int dd = 0; dd < d; dd++) {
                    dst[out + dd * MR] = 0f;
                }
            }
        }
    }

    /** Query rows {@code [i0, i0+rows)} of one head against keys {@code [0, keyEnd)}. */
    private static void block(AttentionScratch s, Problem pb, int head, int i0, int rows, int keyEnd) {
        int d = pb.d();
        int dp = pb.dp();
        int rowsPad = roundUp(rows, MR);
        float[] qs = s.queries;
        float qScale = (float) ((double) pb.scale() * Exp2.LOG2E);
        long qBase = (long) head * pb.tq() * d;
        // The Q block scaled into base-2 scores, each group of 4 rows interleaved (element (g+r, dd) at
        // g·d + dd·4 + r) so the score tile reads it contiguously; padding rows are zero.
        packInterleaved(pb.q(), qBase + (long) i0 * d, d, rows, qScale, qs, s.panel);
        Arrays.fill(s.rowMax, 0, rowsPad, Float.NEGATIVE_INFINITY);
        Arrays.fill(s.rowSum, 0, rowsPad, 0f);
        Arrays.fill(s.outAcc, 0, rowsPad * dp, 0f);

        int[] vis = s.visible;
        float[] tile = s.scores;
        for (int j0 = 0; j0 < keyEnd; j0 += BK) {
            int kc = Math.min(BK, pb.tk() - j0);
            for (int g = 0; g < rows; g += MR) {
                int kLen = 0;
                for (int r = 0; r < MR; r++) {
                    vis[r] = visible(pb, i0 + g + r, g + r < rows, j0, kc);
                    kLen = Math.max(kLen, vis[r]);
                }
                if (kLen == 0) {
                    continue;       // every row of the group is masked here: nothing changes
                }
                int panels = ceilDiv(kLen, NR);
                int kt = (j0 / NR) * d * NR;
                for (int pn = 0; pn < panels; pn++) {
                    TileKernels.product(d, qs, g * d, 1, MR, s.keysT, kt + pn * d * NR, NR, tile, pn * NR, BK);
                }
                softmaxRows(s, g, kLen);
                for (int dc = 0; dc < dp; dc += NR) {
                    TileKernels.rescaleAccumulate(kLen, tile, 0, BK, 1, s.values, dc * pb.tk() + j0 * NR, NR,
                            s.outAcc, g * dp + dc, dp, s.rowScale, 0);
                }
            }
        }

        long outBase = qBase + (long) i0 * d;
        long lseBase = (long) head * pb.tq() + i0;
        for (int r = 0; r < rows; r++) {
            RowKernels.storeRow(s.outAcc, r * dp, d, s.rowSum[r], true, pb.out(), outBase + (long) r * d);
            if (pb.lse() != null) {
                double lse = s.rowMax[r] * Exp2.LN2 + StrictMath.log(s.rowSum[r]);
                pb.lse().setAtIndex(F, lseBase + r, (float) lse);
            }
        }
    }

    /** Keys of block {@code [j0, j0+kc)} that query row {@code i} sees: a prefix of the block. */
    static int visible(Problem pb, int i, boolean valid, int j0, int kc) {
        if (!valid) {
            return 0;
        }
        if (!pb.causal()) {
            return kc;
        }
        return Math.max(0, Math.min(kc, i + pb.offset() - j0 + 1));
    }

    /**
     * The online softmax step for the 4 rows of group g: the score tile becomes probabilities relative to the
     * new running max (zero where masked, up to kLen), the running sums are updated and the factors that
     * rescale the earlier output are left in {@code rowScale}.
     */
    private static void softmaxRows(AttentionScratch s, int g, int kLen) {
        float[] tile = s.scores;
        for (int r = 0; r < MR; r++) {
            int n = s.visible[r];
            int base = r * BK;
            if (n == 0) {
                Arrays.fill(tile, base, base + kLen, 0f);
                s.rowScale[r] = 1f;
                continue;
            }
            float mOld = s.rowMax[g + r];
            float mNew = Math.max(mOld, RowKernels.max(tile, base, n));
            float alpha = mOld == Float.NEGATIVE_INFINITY ? 0f : Exp2.exp2(mOld - mNew);
            float sum = RowKernels.exp2Row(tile, base, n, mNew, s.rowLanes);
            int written = roundUp(n, TileKernels.V);
            if (written < kLen) {
                Arrays.fill(tile, base + written, base + kLen, 0f);
            }
            s.rowScale[r] = alpha;
            s.rowSum[g + r] = Math.fma(s.rowSum[g + r], alpha, sum);
            s.rowMax[g + r] = mNew;
        }
    }

    static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    static int roundUp(int a, int b) {
        return ceilDiv(a, b) * b;
    }
}
