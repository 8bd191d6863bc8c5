package dev.panamax.engine.kernel.scalar;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The reference attention kernels: plain float loops, one query row at a time, obviously correct rather than
 * fast. The oracle the SIMD kernels are tested against (together with a naive double-precision version in the
 * tests that materialises the score matrix).
 *
 * <p>Layout and semantics are those of {@code SimdAttention}: row-major {@code (batch·heads, T, d)}; head h of q
 * starts at float {@code h·tq·d}, of k and v at {@code h·kvHeadStride}; with {@code causal}, query row i sits at
 * position {@code tk − tq + i} and sees keys {@code j ≤ tk − tq + i}. The forward pass makes two passes over the
 * keys per row (the exact max, then the sums), accumulating the output row in place; the backward pass recomputes
 * each probability from the stored log-sum-exp, as the fused kernels do.
 */
public final class ScalarAttention {

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    private ScalarAttention() {
    }

    /** Writes {@code out} and, when {@code lse} is not null, the natural log-sum-exp of each query row. */
    public static void forward(MemorySegment q, MemorySegment k, MemorySegment v, MemorySegment out,
                               MemorySegment lse, int heads, int tq, int tk, int d, long kvHeadStride,
                               boolean causal, float scale) {
        for (int h = 0; h < heads; h++) {
            long qh = (long) h * tq * d;
            long kh = h * kvHeadStride;
            for (int i = 0; i < tq; i++) {
                long qi = qh + (long) i * d;
                int visible = causal ? tk - tq + i + 1 : tk;
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < visible; j++) {
                    max = Math.max(max, score(q, qi, k, kh + (long) j * d, d, scale));
                }
                for (int c = 0; c < d; c++) {
                    out.setAtIndex(F, qi + c, 0f);
                }
                float sum = 0f;
                for (int j = 0; j < visible; j++) {
                    long kj = kh + (long) j * d;
                    float p = (float) Math.exp(score(q, qi, k, kj, d, scale) - max);
                    sum += p;
                    for (int c = 0; c < d; c++) {
                        out.setAtIndex(F, qi + c, out.getAtIndex(F, qi + c) + p * v.getAtIndex(F, kj + c));
                    }
                }
                for (int c = 0; c < d; c++) {
                    out.setAtIndex(F, qi + c, out.getAtIndex(F, qi + c) / sum);
                }
                if (lse != null) {
                    lse.setAtIndex(F, (long) h * tq + i, max + (float) Math.log(sum));
                }
            }
        }
    }

    /** Appends {@code kNew}, {@code vNew} to the caches at row {@code cached} (in place), then attends. */
    public static void decode(MemorySegment q, MemorySegment kNew, MemorySegment vNew, MemorySegment kCache,
                              MemorySegment vCache, MemorySegment out, int heads, int nq, int cached, int maxT,
                              int d, boolean causal, float scale) {
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < nq; i++) {
                for (int c = 0; c < d; c++) {
                    long from = ((long) h * nq + i) * d + c;
                    long to = ((long) h * maxT + cached + i) * d + c;
                    kCache.setAtIndex(F, to, kNew.getAtIndex(F, from));
                    vCache.setAtIndex(F, to, vNew.getAtIndex(F, from));
                }
            }
        }
        forward(q, kCache, vCache, out, null, heads, nq, cached + nq, d, (long) maxT * d, causal, scale);
    }

    /**
     * Writes dQ, dK and dV (overwritten) from the forward inputs, output, log-sum-exp and the output gradient:
     * {@code P_ij = exp(scale·q_i·k_j − lse_i)}, {@code D_i = dO_i·O_i}, {@code dS_ij = P_ij·(dO_i·v_j − D_i)},
     * {@code dQ_i = scale·Σ_j dS_ij k_j}, {@code dK_j = scale·Σ_i dS_ij q_i}, {@code dV_j = Σ_i P_ij dO_i}.
     */
    public static void backward(MemorySegment q, MemorySegment k, MemorySegment v, MemorySegment out,
                                MemorySegment lse, MemorySegment dOut, MemorySegment dq, MemorySegment dk,
                                MemorySegment dv, int heads, int tq, int tk, int d, boolean causal, float scale) {
        for (int h = 0; h < heads; h++) {
            long qh = (long) h * tq * d;
            long kh = (long) h * tk * d;
            for (long x = 0; x < (long) tq * d; x++) {
                dq.setAtIndex(F, qh + x, 0f);
            }
            for (long x = 0; x < (long) tk * d; x++) {
                dk.setAtIndex(F, kh + x, 0f);
                dv.setAtIndex(F, kh + x, 0f);
            }
            for (int i = 0; i < tq; i++) {
                long qi = qh + (long) i * d;
                float rowLse = lse.getAtIndex(F, (long) h * tq + i);
                float delta = 0f;
                for (int c = 0; c < d; c++) {
                    delta += dOut.getAtIndex(F, qi + c) * out.getAtIndex(F, qi + c);
                }
                int visible = causal ? tk - tq + i + 1 : tk;
                for (int j = 0; j < visible; j++) {
                    long kj = kh + (long) j * d;
                    float p = (float) Math.exp(score(q, qi, k, kj, d, scale) - rowLse);
                    float dp = 0f;
                    for (int c = 0; c < d; c++) {
                        dp += dOut.getAtIndex(F, qi + c) * v.getAtIndex(F, kj + c);
                    }
                    float ds = scale * (p * (dp - delta));
                    for (int c = 0; c < d; c++) {
                        dv.setAtIndex(F, kj + c, dv.getAtIndex(F, kj + c) + p * dOut.getAtIndex(F, qi + c));
                        dq.setAtIndex(F, qi + c, dq.getAtIndex(F, qi + c) + ds * k.getAtIndex(F, kj + c));
                        dk.setAtIndex(F, kj + c, dk.getAtIndex(F, kj + c) + ds * q.getAtIndex(F, qi + c));
                    }
                }
            }
        }
    }

    private static float score(MemorySegment q, long qi, MemorySegment k, long kj, int d, float scale) {
        float dot = 0f;
        for (int c = 0; c < d; c++) {
            dot += q.getAtIndex(F, qi + c) * k.getAtIndex(F, kj + c);
        }
        return scale * dot;
    }
}
