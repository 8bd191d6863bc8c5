package dev.panamax.engine.kernel.simd.attention;

import dev.panamax.engine.parallel.WorkerPool;
import java.lang.foreign.MemorySegment;

/**
 * Fused scaled-dot-product attention on the Vector API: forward ({@link AttentionForward}), backward
 * ({@link AttentionBackward}) and the KV-cache decode step, multi-threaded on a {@link WorkerPool}.
 *
 * <p>Layout: every tensor is row-major {@code (batch, heads, T, head_dim)}; batch and heads are flattened into
 * {@code heads} here, and head {@code h} of q starts at float {@code h·tq·d}. Keys and values may sit in a
 * longer buffer (a KV cache): head {@code h} of k and v starts at {@code h·kvHeadStride}, and the first
 * {@code tk} rows are used. The log-sum-exp has layout {@code (batch, heads, tq)}.
 *
 * <p>Semantics: {@code out_i = Σ_j softmax_j(scale·q_i·k_j)·v_j}; with {@code causal}, query row i sits at
 * position {@code tk − tq + i} and sees keys {@code j ≤ tk − tq + i} (for {@code tq == tk} the usual lower
 * triangle; for decode, the new queries at the end of the cache). {@code lse_i = log Σ_j exp(scale·q_i·k_j)}
 * over the visible keys.
 *
 * <p>Threads: the forward pass splits (batch × heads × blocks of {@link #BLOCK_Q} query rows) into parts of equal
 * cost (a causal block near the end of the sequence sees more keys); the backward pass splits batch × heads.
 * There are several parts per thread, claimed as threads come free, so a thread that loses its core for a while
 * does not hold up the call. Every result is bit-identical whatever the thread count. Callers validate arguments first
 * ({@code AttentionShape}); scratch memory is per thread and reused.
 */
public final class SimdAttention {

    /** Query rows per block: the unit of work split over threads, and the rows sharing one K/V block. */
    public static final int BLOCK_Q = 64;
    /**
     * Keys per block of the online softmax (a multiple of every vector shape's tile width). 128 rather than 64
     * halves the per-block work of the softmax (row max, lane sums, rescaling the output tile) and doubles the
     * length of P·V's loops: the causal forward at T = 1024 ran 5% faster on one AVX2 core (256: 1–2% more);
     * the backward did not change.
     */
    public static final int BLOCK_K = 128;

    /** Below this many multiply-adds a call runs on the calling thread: waking workers would cost more. */
    private static final long PARALLEL_THRESHOLD = 1L << 16;

    /**
     * Parts per thread. With one part each (a static split), a thread preempted on a shared machine held the
     * whole call up: the two-thread forward's median ran at 63% of the GEMM's rate against 74% on one thread.
     */
    private static final int PARTS_PER_THREAD = 4;

    private static final ThreadLocal<AttentionScratch> SCRATCH = ThreadLocal.withInitial(AttentionScratch::new);

    private SimdAttention() {
    }

    static AttentionScratch scratch() {
        return SCRATCH.get();
    }

    /**
     * The forward pass: writes {@code out} (like q) and, when {@code lse} is not null, the log-sum-exp of each
     * query row.
     */
    public static void forward(MemorySegment q, MemorySegment k, MemorySegment v, MemorySegment out,
                               MemorySegment lse, int heads, int tq, int tk, int d, long kvHeadStride,
                               boolean causal, float scale, WorkerPool pool) {
        AttentionForward.Problem pb = new AttentionForward.Problem(q, k, v, out, lse, heads, tq, tk, d,
                kvHeadStride, causal, scale);
        long work = (long) heads * tq * tk * d;
        int parts = work < PARALLEL_THRESHOLD || pool.threads() == 1 ? 1
                : (int) Math.min((long) pool.threads() * PARTS_PER_THREAD, (long) heads * pb.queryBlocks());
        if (parts == 1) {
            AttentionForward.run(pb, 0, 1);
        } else {
            pool.run(parts, part -> AttentionForward.run(pb, part, parts));
        }
    }

    /**
     * One generation step with a KV cache: copies {@code kNew} and {@code vNew} ({@code heads × nq × d}) into
     * rows {@code [cached, cached + nq)} of the caches ({@code heads × maxT × d}), in place, then attends the
     * nq new queries to all {@code cached + nq} cached positions. Several new queries run the forward pass (their
     * rows are bit-identical to the full forward pass's); a single one runs {@link AttentionDecode}, equal to
     * it within float rounding.
     */
    public static void decode(MemorySegment q, MemorySegment kNew, MemorySegment vNew, MemorySegment kCache,
                              MemorySegment vCache, MemorySegment out, int heads, int nq, int cached, int maxT,
                              int d, boolean causal, float scale, WorkerPool pool) {
        appendToCache(kNew, vNew, kCache, vCache, heads, nq, cached, maxT, d);
        if (nq == 1) {
            // One token: the query sees every cached key (causal or not), and a tile of query rows would have one
            // live row; AttentionDecode reads the cache in place instead.
            int tk = cached + 1;
            long work = (long) heads * tk * d;
            int parts = work < PARALLEL_THRESHOLD ? 1 : Math.min(pool.threads(), heads);
            if (parts == 1) {
                AttentionDecode.run(q, kCache, vCache, out, 0, heads, tk, d, (long) maxT * d, scale);
            } else {
                pool.run(parts, part -> AttentionDecode.run(q, kCache, vCache, out, heads * part / parts,
                        heads * (part + 1) / parts, tk, d, (long) maxT * d, scale));
            }
            return;
        }
        forward(q, kCache, vCache, out, null, heads, nq, cached + nq, d, (long) maxT * d, causal, scale, pool);
    }

    /** Copies the new keys and values into their cache rows; shared with the scalar reference. */
    public static void appendToCache(MemorySegment kNew, MemorySegment vNew, MemorySegment kCache,
                                     MemorySegment vCache, int heads, int nq, int cached, int maxT, int d) {
        long rowBytes = (long) nq * d * Float.BYTES;
        for (int h = 0; h < heads; h++) {
            long from = (long) h * nq * d * Float.BYTES;
            long to = ((long) h * maxT + cached) * d * Float.BYTES;
            MemorySegment.copy(kNew, from, kCache, to, rowBytes);
            MemorySegment.copy(vNew, from, vCache, to, rowBytes);
        }
    }

    /**
     * The backward pass: from the forward inputs, its output and log-sum-exp, and the output gradient, writes
     * dQ (like q), dK and dV (like k and v; all {@code tk} rows, overwritten).
     */
    public static void backward(MemorySegment q, MemorySegment k, MemorySegment v, MemorySegment out,
                                MemorySegment lse, MemorySegment dOut, MemorySegment dq, MemorySegment dk,
                                MemorySegment dv, int heads, int tq, int tk, int d, boolean causal, float scale,
                                WorkerPool pool) {
        AttentionBackward.Problem pb = new AttentionBackward.Problem(q, k, v, out, lse, dOut, dq, dk, dv, heads,
                tq, tk, d, causal, scale);
        long work = (long) heads * tq * tk * d;
        // Whole heads are the unit here, so parts of unequal head counts are unequal: allow twice as many parts
        // (12 heads on 2 threads: one head each).
        int parts = work < PARALLEL_THRESHOLD || pool.threads() == 1 ? 1
                : Math.min(heads, pool.threads() * 2 * PARTS_PER_THREAD);
        if (parts == 1) {
            AttentionBackward.run(pb, 0, 1);
        } else {
            pool.run(parts, part -> AttentionBackward.run(pb, part, parts));
        }
    }
}
