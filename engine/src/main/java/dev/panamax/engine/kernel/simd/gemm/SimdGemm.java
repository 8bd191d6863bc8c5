package dev.panamax.engine.kernel.simd.gemm;

import dev.panamax.engine.parallel.WorkerPool;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;

/**
 * SIMD GEMM, {@code C = alpha·op(A)·op(B) + beta·C}, row-major with leading dimensions (counted in floats).
 *
 * <p>The BLIS algorithm: five loops around a register-tiled {@link MicroKernel}.
 * <pre>
 * for jc in N step NC                      B block KC×NC lives in L3, packed once, shared by all threads
 *   for pc in K step KC
 *     pack B[pc.., jc..]                   job 1: threads pack disjoint panels (the caller alone if small)
 *     for ic in (a part's) M step MC       job 2: parts of M (or of the N panels), claimed by idle threads;
 *       pack A[ic.., pc..]                   A block MC×KC lives in L2, packed per thread (copied row by row
 *                                            instead when it meets at most ROW_COPY_MAX_PANELS B panels)
 *       for jr in NC step NR               B micro-panel stays in L1 (for short reductions the two inner loops
 *         for ir in MC step MR               swap, so C is written along its rows: see tilesAlongRows)
 *           micro-kernel                   MR×NR of C in registers
 * </pre>
 * The compute phase is cut into parts of M (or, when M is too short to share, of the N panels) that threads claim
 * dynamically, so a preempted thread does not hold up the others. K is never split and
 * every C element is reduced by the same sequence of operations on every split, so the result is bit-identical
 * whatever the thread count. M = 1, N = 1, and a few columns past the last full micro-panel go to {@link SimdGemv}.
 *
 * <p>Callers validate arguments first (see {@code GemmShape}); scratch buffers are per thread and grow once.
 * A, B and C are native (off-heap) segments, as tensors are; the engine's own scratch that passes through here is
 * off-heap too. A segment over a heap array would work, but C2 profiles the segment's class at every access, and
 * once both kinds have been seen the accesses stay bimorphic in all later compilations: after one heap-segment
 * workload, a 768×512×768 GEMM on tensors ran 1.7× slower and a GEMV 2× slower in the same JVM (session 10).
 * Assertions (on in the tests) catch a heap segment here.
 */
public final class SimdGemm {

    /** Below this many multiply-adds a GEMM runs on the calling thread: waking workers would cost more. */
    private static final long PARALLEL_THRESHOLD = 1L << 16;

    /** B blocks smaller than this many floats are packed by the calling thread alone. */
    private static final long PARALLEL_PACK_FLOATS = 1L << 16;

    /** The compute phase is cut into up to this many parts per thread, so early finishers take over late work. */
    private static final int PARTS_PER_THREAD = 4;

    /** A GEMV part whose outputs are columns computes at least this many: runs of 1 KiB keep streaming fast. */
    private static final int MIN_GEMV_OUTPUTS = 256;

    /**
     * A GEMV part whose outputs are rows (dot products) streams at least this many floats of the matrix. Rows are
     * contiguous, so parts can be much smaller than for columns: with 256 outputs per part, a 768-row product made
     * three parts, and two threads took two parts' time (a third of GPT-2's c_proj products lost).
     */
    private static final int MIN_GEMV_ROW_PART_FLOATS = 1 << 16;

    /**
     * A non-transposed A block that meets at most this many B panels is copied row by row instead of packed
     * (see {@link MicroKernel#multiplyRows}): with few panels to amortize it over, interleaved packing was 15% of
     * a 768×128×64 GEMM.
     */
    static final int ROW_COPY_MAX_PANELS = Integer.getInteger("panamax.gemm.rowCopyPanels", 8);

    /** Reductions up to this long walk the micro-tiles along rows of C (see {@link #tilesAlongRows})... */
    private static final int ROW_ORDER_MAX_KC = 192;
    /** ...when the packed B block, which a row of tiles reads from L2, is at most this large (Zen 1: 512 KiB L2). */
    private static final long ROW_ORDER_MAX_B_BYTES = 256 * 1024;

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private final GemmBlocking blocking;

    public SimdGemm(GemmBlocking blocking) {
        this.blocking = blocking;
    }

    public SimdGemm() {
        this(GemmBlocking.DEFAULT);
    }

    public GemmBlocking blocking() {
        return blocking;
    }

    public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                     MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb,
                     float beta, MemorySegment c, long cOff, int ldc, WorkerPool pool) {
        multiply(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc, pool, false);
    }

    /**
     * SYRK, lower triangle: {@code C = alpha·op(A)·op(A)ᵀ + beta·C} for {@code i >= j}, op(A) being {@code n × k}.
     * It is the GEMM with {@code B = A} that skips every micro-tile lying wholly above the diagonal, about half
     * of them for large n. Tiles that straddle the diagonal, and the GEMV tail columns, also write some entries
     * above it (with their correct values); the caller reads the lower triangle only.
     */
    public void syrkLower(boolean trans, int n, int k, float alpha, MemorySegment a, long aOff, int lda,
                          float beta, MemorySegment c, long cOff, int ldc, WorkerPool pool) {
        multiply(trans, !trans, n, n, k, alpha, a, aOff, lda, a, aOff, lda, beta, c, cOff, ldc, pool, true);
    }

    private void multiply(boolean transA, boolean transB, int m, int n, int k, float alpha,
                          MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb,
                          float beta, MemorySegment c, long cOff, int ldc, WorkerPool pool, boolean lowerOnly) {
        assert a.isNative() && b.isNative() && c.isNative() : "SimdGemm takes native segments only (class comment)";
        int threads = (long) m * n * k < PARALLEL_THRESHOLD ? 1 : pool.threads();
        if (m == 1) {
            // y = op(A)[0, :] · op(B): the matrix is op(B), its rows run over p when B is not transposed.
            float[] x = SCRATCH.get().vector(k);
            gather(x, k, a, aOff, transA ? lda : 1);
            gemv(x, k, b, bOff, ldb, !transB, n, alpha, beta, c, cOff, 1, threads, pool);
            return;
        }
        int nr = blocking.kernel().nr();
        int narrowTail = n > nr ? n % nr : 0;
        int blockedColumns = narrowTail > 0 && narrowTail <= nr / 4 ? n - narrowTail : n;
        if (blockedColumns > 1) {
            blocked(transA, transB, m, blockedColumns, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc,
                    threads, pool, lowerOnly);
        }
        // N = 1, or a few columns past the last full micro-panel (N = 65 = 4·16 + 1): a micro-tile would compute
        // mostly padding there, so each such column is a matrix-vector product y = op(A)·op(B)[:, j].
        for (int j = blockedColumns == 1 ? 0 : blockedColumns; j < n; j++) {
            float[] x = SCRATCH.get().vector(k);
            gather(x, k, b, transB ? bOff + (long) j * ldb : bOff + j, transB ? 1 : ldb);
            gemv(x, k, a, aOff, lda, transA, m, alpha, beta, c, cOff + j, ldc, threads, pool);
        }
    }

    /**
     * The blocked algorithm. Per (jc, pc) block there are two phases, each one pool job: pack the B block
     * (shared by every thread), then compute C's rows (or, when M is short, its column panels) in parts that
     * each pack their own A blocks. Parts are claimed dynamically, so a thread that is late (preempted, still
     * waking) never holds the others up; which thread computes a tile does not change its arithmetic.
     */
    private void blocked(boolean transA, boolean transB, int m, int n, int k, float alpha,
                         MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb,
                         float beta, MemorySegment c, long cOff, int ldc, int threads, WorkerPool pool,
                         boolean lowerOnly) {
        MicroKernel kernel = blocking.kernel();
        int mr = kernel.mr();
        int nr = kernel.nr();
        float[] packedB = SCRATCH.get().packedB(packedBSize(n, k));
        int tilesM = ceilDiv(m, mr);
        for (int jc = 0; jc < n; jc += blocking.nc()) {
            int nc = Math.min(blocking.nc(), n - jc);
            int panelsN = ceilDiv(nc, nr);
            for (int pc = 0; pc < k; pc += blocking.kc()) {
                int kc = Math.min(blocking.kc(), k - pc);
                int jBlock = jc;
                int pBlock = pc;
                float betaNow = pc == 0 ? beta : 1f;

                // Phase 1: pack B. Small blocks are packed by the caller alone: a job would cost more.
                int packParts = threads == 1 || (long) kc * nc < PARALLEL_PACK_FLOATS ? 1 : Math.min(threads, panelsN);
                if (packParts == 1) {
                    GemmPacking.packB(transB, b, bOff, ldb, pc, kc, jc, nc, 0, panelsN, nr, packedB);
                } else {
                    pool.run(packParts, part -> GemmPacking.packB(transB, b, bOff, ldb, pBlock, kc, jBlock, nc,
                            splitRange(panelsN, packParts, part), splitRange(panelsN, packParts, part + 1), nr,
                            packedB));
                }

                // Phase 2: compute. Split M when there are enough micro-tile rows; otherwise split the N panels.
                boolean splitM = tilesM >= 4 * threads || tilesM >= panelsN;
                int units = splitM ? tilesM : panelsN;
                int parts = threads == 1 ? 1 : Math.min(units, threads * PARTS_PER_THREAD);
                if (parts == 1) {
                    computeBlock(transA, a, aOff, lda, 0, m, pc, kc, jc, nc, 0, panelsN, alpha, betaNow, c, cOff,
                            ldc, packedB, lowerOnly);
                } else {
                    pool.run(parts, part -> {
                        int from = splitRange(units, parts, part);
                        int to = splitRange(units, parts, part + 1);
                        if (splitM) {
                            computeBlock(transA, a, aOff, lda, from * mr, Math.min(m, to * mr), pBlock, kc, jBlock,
                                    nc, 0, panelsN, alpha, betaNow, c, cOff, ldc, packedB, lowerOnly);
                        } else {
                            computeBlock(transA, a, aOff, lda, 0, m, pBlock, kc, jBlock, nc, from, to, alpha,
                                    betaNow, c, cOff, ldc, packedB, lowerOnly);
                        }
                    });
                }
            }
        }
    }

    private int packedBSize(int n, int k) {
        int nr = blocking.kernel().nr();
        int nc = Math.min(blocking.nc(), roundUp(n, nr));
        return Math.min(blocking.kc(), k) * nc;
    }

    /**
     * Rows {@code [rowFrom, rowTo)} × B panels {@code [panelFrom, panelTo)} of one (jc, pc) block: packs A in
     * MC-row blocks into this thread's scratch and runs the micro-kernel over every tile ({@code lowerOnly}: every
     * tile with a row at or below the diagonal; blocks and tiles wholly above it are neither packed nor computed).
     */
    private void computeBlock(boolean transA, MemorySegment a, long aOff, int lda, int rowFrom, int rowTo,
                              int pc, int kc, int jc, int nc, int panelFrom, int panelTo, float alpha, float beta,
                              MemorySegment c, long cOff, int ldc, float[] packedB, boolean lowerOnly) {
        MicroKernel kernel = blocking.kernel();
        int mr = kernel.mr();
        int nr = kernel.nr();
        Scratch mine = SCRATCH.get();
        float[] packedA = mine.packedA(Math.min(blocking.mc(), roundUp(rowTo - rowFrom, mr)) * kc);
        float[] tile = mine.tile(mr * nr);
        for (int ic = rowFrom; ic < rowTo; ic += blocking.mc()) {
            int mc = Math.min(blocking.mc(), rowTo - ic);
            if (lowerOnly && ic + mc - 1 < jc + panelFrom * nr) {
                continue;
            }
            boolean rowsOfA = !transA && panelTo - panelFrom <= ROW_COPY_MAX_PANELS;
            if (rowsOfA) {
                GemmPacking.copyRows(a, aOff, lda, ic, mc, pc, kc, packedA);
            } else {
                GemmPacking.packA(transA, a, aOff, lda, ic, mc, pc, kc, mr, packedA);
            }
            int rowTiles = ceilDiv(mc, mr);
            int panels = panelTo - panelFrom;
            boolean alongRows = tilesAlongRows(kc, panels * nr);
            for (int t = 0; t < rowTiles * panels; t++) {
                int q = panelFrom + (alongRows ? t % panels : t / rowTiles);
                int ir = (alongRows ? t / panels : t % rowTiles) * mr;
                int jr = q * nr;
                int nValid = Math.min(nr, nc - jr);
                int bIndex = q * nr * kc;
                if (lowerOnly && ic + ir + Math.min(mr, mc - ir) - 1 < jc + jr) {
                    continue;       // the whole tile lies above the diagonal
                }
                long cAt = (cOff + (long) (ic + ir) * ldc + jc + jr) * Float.BYTES;
                if (rowsOfA) {
                    kernel.multiplyRows(kc, packedA, ir * kc, kc, packedB, bIndex, alpha, beta, c, cAt, ldc,
                            Math.min(mr, mc - ir), nValid, tile);
                } else {
                    kernel.multiply(kc, packedA, ir * kc, packedB, bIndex, alpha, beta, c, cAt, ldc,
                            Math.min(mr, mc - ir), nValid, tile);
                }
            }
        }
    }

    /**
     * The order of the micro-tiles within an A block: BLIS's (down a column of tiles, the B micro-panel staying in
     * L1 for all of them), or along each row of tiles (the A micro-panel staying in L1, the B panels read from
     * L2). Each tile writes C once; with a short reduction the writes weigh more, and along a row they walk
     * MR rows of C sequentially, which the hardware prefetcher follows, where a column of tiles touches MR new
     * lines per call. Measured on one Zen core: 768×128×512 5–8% faster along rows; 1024³ and 768×512×128
     * (long reductions) 1–2% slower. The order changes no arithmetic.
     */
    private static boolean tilesAlongRows(int kc, int columns) {
        return kc <= ROW_ORDER_MAX_KC && (long) kc * columns * Float.BYTES <= ROW_ORDER_MAX_B_BYTES;
    }


    private static void gemv(float[] x, int k, MemorySegment mat, long off, int ld, boolean rowsAreP, int outputs,
                             float alpha, float beta, MemorySegment y, long yOff, long incY,
                             int threads, WorkerPool pool) {
        if (threads == 1) {
            gemvRange(x, k, mat, off, ld, rowsAreP, 0, outputs, alpha, beta, y, yOff, incY);
            return;
        }
        // Up to PARTS_PER_THREAD parts per thread of at least MIN_GEMV_OUTPUTS columns or
        // MIN_GEMV_ROW_PART_FLOATS of rows each, so a thread that is preempted while streaming its share leaves the
        // rest of the matrix to the others.
        int minOutputs = rowsAreP ? MIN_GEMV_OUTPUTS : Math.max(4, MIN_GEMV_ROW_PART_FLOATS / Math.max(1, k));
        int parts = Math.max(1, Math.min(threads * PARTS_PER_THREAD, outputs / minOutputs));
        pool.run(parts, part -> gemvRange(x, k, mat, off, ld, rowsAreP, splitRange(outputs, parts, part),
                splitRange(outputs, parts, part + 1), alpha, beta, y, yOff, incY));
    }

    private static void gemvRange(float[] x, int k, MemorySegment mat, long off, int ld, boolean rowsAreP,
                                  int from, int to, float alpha, float beta, MemorySegment y, long yOff, long incY) {
        if (from >= to) {
            return;
        }
        if (rowsAreP) {
            float[] acc = SCRATCH.get().accumulator(to);
            SimdGemv.rowsTimesVector(x, k, mat, off, ld, from, to, alpha, beta, y, yOff, incY, acc);
        } else {
            SimdGemv.dotsWithVector(x, k, mat, off, ld, from, to, alpha, beta, y, yOff, incY,
                    SCRATCH.get().lanes());
        }
    }

    /** Copies {@code k} floats spaced {@code stride} apart into {@code x}. */
    private static void gather(float[] x, int k, MemorySegment src, long off, long stride) {
        if (stride == 1) {
            MemorySegment.copy(src, ValueLayout.JAVA_FLOAT, off * Float.BYTES, x, 0, k);
        } else {
            for (int p = 0; p < k; p++) {
                x[p] = src.getAtIndex(ValueLayout.JAVA_FLOAT, off + p * stride);
            }
        }
    }

    /** Start of part {@code part} when {@code total} units are split into {@code parts} near-equal ranges. */
    static int splitRange(int total, int parts, int part) {
        return (int) ((long) total * part / parts);
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    private static int roundUp(int a, int b) {
        return ceilDiv(a, b) * b;
    }

    /** Per-thread packing buffers: allocated on first use, grown when a larger problem arrives, then reused. */
    private static final class Scratch {
        private float[] packedA = new float[0];
        private float[] packedB = new float[0];
        private float[] tile = new float[0];
        private float[] vector = new float[0];
        private float[] accumulator = new float[0];
        /** Four vectors' lanes on their way to fixed-order sums (GEMV dot products). */
        private final float[] lanes = new float[4 * FloatVector.SPECIES_PREFERRED.length()];

        float[] lanes() {
            return lanes;
        }

        float[] packedA(int size) {
            if (packedA.length < size) {
                packedA = new float[size];
            }
            return packedA;
        }

        float[] packedB(int size) {
            if (packedB.length < size) {
                packedB = new float[size];
            }
            return packedB;
        }

        float[] tile(int size) {
            if (tile.length < size) {
                tile = new float[size];
            }
            return tile;
        }

        float[] accumulator(int size) {
            if (accumulator.length < size) {
                accumulator = new float[size];
            }
            return accumulator;
        }

        float[] vector(int size) {
            if (vector.length < size) {
                vector = new float[size];
            }
            return vector;
        }
    }
}
