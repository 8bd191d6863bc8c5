package dev.panamax.engine.kernel.simd.attention;

import static dev.panamax.engine.kernel.simd.attention.AttentionForward.BK;
import static dev.panamax.engine.kernel.simd.attention.AttentionForward.BQ;
import static dev.panamax.engine.kernel.simd.attention.AttentionForward.ceilDiv;
import static dev.panamax.engine.kernel.simd.attention.AttentionForward.roundUp;
import static dev.panamax.engine.kernel.simd.attention.TileKernels.MR;
import static dev.panamax.engine.kernel.simd.attention.TileKernels.NR;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * The fused backward pass for one head, FlashAttention-2 style: probabilities are recomputed from Q, K and the
 * stored log-sum-exp ({@code P = 2^(S − lse·log2 e)}, S exactly as the forward pass computed it), never stored.
 * With {@code Δ_i = Σ_d dO_id·O_id}:
 *
 * <pre>
 * for each block of BLOCK_K keys j                 dK_j, dV_j accumulate in a tile
 *   for each block of BLOCK_Q query rows i that see any of them
 *     S = Q_i·K_jᵀ,  P = 2^(S − lse2_i)             (4-row register tiles)
 *     dP = dO_i·V_jᵀ,  dS = scale·P∘(dP − Δ_i)
 *     dQ_i += dS·K_j                                 dQ of the whole head stays in a buffer
 *     dV_j += Pᵀ·dO_i,  dK_j += dSᵀ·Q_i              reductions over the block's query rows
 * </pre>
 *
 * A head runs on one thread, key blocks in order, so dQ's sum over key blocks has a fixed order and the result
 * does not depend on the thread count (threads split the batch × heads). Splitting one head's key blocks over
 * threads would need a reduction of per-thread dQ copies or a second pass that recomputes P.
 */
final class AttentionBackward {

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    private AttentionBackward() {
    }

    record Problem(MemorySegment q, MemorySegment k, MemorySegment v, MemorySegment out, MemorySegment lse,
                   MemorySegment dOut, MemorySegment dq, MemorySegment dk, MemorySegment dv,
                   int heads, int tq, int tk, int d, boolean causal, float scale) {

        AttentionForward.Problem forward() {
            return new AttentionForward.Problem(q, k, v, out, lse, heads, tq, tk, d, (long) tk * d, causal, scale);
        }
    }

    static void run(Problem pb, int part, int parts) {
        if (part >= parts) {
            return;     // the pool has more threads than there are heads
        }
        int from = (int) ((long) pb.heads() * part / parts);
        int to = (int) ((long) pb.heads() * (part + 1) / parts);
        if (from >= to) {
            return;
        }
        AttentionScratch s = SimdAttention.scratch();
        AttentionForward.Problem fp = pb.forward();
        prepare(s, pb);
        for (int head = from; head < to; head++) {
            head(s, pb, fp, head);
        }
    }

    private static void prepare(AttentionScratch s, Problem pb) {
        int d = pb.d();
        int dp = roundUp(d, NR);
        long rowsPad = roundUp(pb.tq(), MR);
        s.queries = AttentionScratch.grow(s.queries, rowsPad * dp);
        s.queriesPanels = AttentionScratch.grow(s.queriesPanels, rowsPad * dp);
        s.dOut = AttentionScratch.grow(s.dOut, rowsPad * dp);
        s.dOutPanels = AttentionScratch.grow(s.dOutPanels, rowsPad * dp);
        s.row = AttentionScratch.grow(s.row, d);
        s.dq = AttentionScratch.grow(s.dq, rowsPad * dp);
        s.keysT = AttentionScratch.grow(s.keysT, (long) roundUp(pb.tk(), NR) * d);
        s.valuesT = AttentionScratch.grow(s.valuesT, (long) roundUp(pb.tk(), NR) * d);
        s.keysPanels = AttentionScratch.grow(s.keysPanels, (long) pb.tk() * dp);
        s.dk = AttentionScratch.grow(s.dk, (long) BK * dp);
        s.dv = AttentionScratch.grow(s.dv, (long) BK * dp);
        s.probs = AttentionScratch.grow(s.probs, (long) BQ * BK);
        s.dScores = AttentionScratch.grow(s.dScores, (long) BQ * BK);
        s.lse2 = AttentionScratch.grow(s.lse2, pb.tq());
        s.delta = AttentionScratch.grow(s.delta, pb.tq());
        s.panel = AttentionScratch.grow(s.panel, (long) NR * d);
    }

    private static void head(AttentionScratch s, Problem pb, AttentionForward.Problem fp, int head) {
        int tq = pb.tq();
        int tk = pb.tk();
        int d = pb.d();
        int dp = roundUp(d, NR);
        int tqPad = roundUp(tq, MR);
        long qBase = (long) head * tq * d;
        long kBase = (long) head * tk * d;
        float qScale = (float) ((double) pb.scale() * Exp2.LOG2E);

        // Pack the head: Q scaled (scores) and unscaled (dK), dO, K both ways, Vᵀ; padding rows are zero.
        AttentionForward.packRows(pb.q(), qBase, d, dp, 0, tq, qScale, s.queries);
        AttentionForward.packRows(pb.dOut(), qBase, d, dp, 0, tq, 1f, s.dOut);
        AttentionForward.packColumnPanels(pb.q(), qBase, d, 0, tq, tqPad, s.queriesPanels, s.row);
        AttentionForward.packColumnPanels(pb.dOut(), qBase, d, 0, tq, tqPad, s.dOutPanels, s.row);
        Arrays.fill(s.queries, tq * dp, tqPad * dp, 0f);
        Arrays.fill(s.dOut, tq * dp, tqPad * dp, 0f);
        AttentionForward.zeroColumnPanelRows(d, tq, tqPad, tqPad, s.queriesPanels);
        AttentionForward.zeroColumnPanelRows(d, tq, tqPad, tqPad, s.dOutPanels);
        Arrays.fill(s.dq, 0, tqPad * dp, 0f);
        AttentionForward.packTransposed(pb.k(), kBase, d, 0, tk, s.keysT, s.panel);
        AttentionForward.packTransposed(pb.v(), kBase, d, 0, tk, s.valuesT, s.panel);
        AttentionForward.packColumnPanels(pb.k(), kBase, d, 0, tk, tk, s.keysPanels, s.row);
        long lseBase = (long) head * tq;
        for (int i = 0; i < tq; i++) {
            s.lse2[i] = (float) (pb.lse().getAtIndex(F, lseBase + i) * Exp2.LOG2E);
            float delta = 0f;
            long row = qBase + (long) i * d;
            for (int dd = 0; dd < d; dd++) {
                delta = Math.fma(pb.dOut().getAtIndex(F, row + dd), pb.out().getAtIndex(F, row + dd), delta);
            }
            s.delta[i] = delta;
        }

        for (int j0 = 0; j0 < tk; j0 += BK) {
            int kc = Math.min(BK, tk - j0);
            int kcPad = roundUp(kc, MR);
            Arrays.fill(s.dk, 0, kcPad * dp, 0f);
            Arrays.fill(s.dv, 0, kcPad * dp, 0f);
            // The first query row that sees key j0, rounded down to a whole row group.
            int iStart = pb.causal() ? Math.max(0, j0 - fp.offset()) / MR * MR : 0;
            for (int i0 = iStart; i0 < tq; i0 += BQ) {
                int rows = Math.min(BQ, tq - i0);
                keyBlock(s, pb, fp, i0, rows, j0, kc, dp);
            }
            long out = kBase + (long) j0 * d;
            for (int j = 0; j < kc; j++) {
                RowKernels.storeRow(s.dk, j * dp, d, 1f, false, pb.dk(), out + (long) j * d);
                RowKernels.storeRow(s.dv, j * dp, d, 1f, false, pb.dv(), out + (long) j * d);
            }
        }
        for (int i = 0; i < tq; i++) {
            RowKernels.storeRow(s.dq, i * dp, d, 1f, false, pb.dq(), qBase + (long) i * d);
        }
    }

    /** Query rows {@code [i0, i0+rows)} against keys {@code [j0, j0+kc)}. */
    private static void keyBlock(AttentionScratch s, Problem pb, AttentionForward.Problem fp, int i0, int rows,
                                 int j0, int kc, int dp) {
        int d = pb.d();
        int rowsPad = roundUp(rows, MR);
        int kcPanels = roundUp(kc, NR);
        int kt = (j0 / NR) * d * NR;
        float[] p = s.probs;
        float[] ds = s.dScores;
        int[] vis = s.visible;
        for (int g = 0; g < rowsPad; g += MR) {
            int kLen = 0;
            for (int r = 0; r < MR; r++) {
                vis[r] = AttentionForward.visible(fp, i0 + g + r, g + r < rows, j0, kc);
                kLen = Math.max(kLen, vis[r]);
            }
            if (kLen == 0) {
                Arrays.fill(p, g * BK, (g + MR) * BK, 0f);
                Arrays.fill(ds, g * BK, (g + MR) * BK, 0f);
                continue;
            }
            int panels = ceilDiv(kLen, NR);
            int qa = (i0 + g) * dp;
            for (int pn = 0; pn < panels; pn++) {
                TileKernels.product(d, s.queries, qa, dp, 1, s.keysT, kt + pn * d * NR, NR, p, g * BK + pn * NR, BK);
                TileKernels.product(d, s.dOut, qa, dp, 1, s.valuesT, kt + pn * d * NR, NR, ds, g * BK + pn * NR, BK);
            }
            for (int r = 0; r < MR; r++) {
                int base = (g + r) * BK;
                int n = vis[r];
                int written = 0;
                if (n > 0) {
                    RowKernels.exp2Row(p, base, n, s.lse2[i0 + g + r], s.rowLanes);
                    RowKernels.gradScores(p, ds, base, n, s.delta[i0 + g + r], pb.scale());
                    written = roundUp(n, TileKernels.V);
                }
                Arrays.fill(p, base + written, base + kcPanels, 0f);
                Arrays.fill(ds, base + written, base + kcPanels, 0f);
            }
            for (int dc = 0; dc < dp; dc += NR) {
                TileKernels.accumulate(kLen, ds, g * BK, BK, 1, s.keysPanels, dc * pb.tk() + j0 * NR, NR, s.dq,
                        qa + dc, dp);
            }
        }
        // dV += Pᵀ·dO and dK += dSᵀ·Q over the block's rows; in a causal diagonal block the rows before the
        // first one that sees a key group contribute zeros and are skipped.
        int kcPad = roundUp(kc, MR);
        for (int jj = 0; jj < kcPad; jj += MR) {
            int r0 = pb.causal() ? Math.max(0, j0 + jj - fp.offset() - i0) : 0;
            if (r0 >= rowsPad) {
                continue;
            }
            int n = rowsPad - r0;
            int tqPad = roundUp(pb.tq(), MR);
            for (int dc = 0; dc < dp; dc += NR) {
                int rowAt = dc * tqPad + (i0 + r0) * NR;
                TileKernels.accumulate(n, p, r0 * BK + jj, 1, BK, s.dOutPanels, rowAt, NR, s.dv, jj * dp + dc, dp);
                TileKernels.accumulate(n, ds, r0 * BK + jj, 1, BK, s.queriesPanels, rowAt, NR, s.dk, jj * dp + dc, dp);
            }
        }
    }
}
