package dev.panamax.engine.kernel.simd.gemm;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Copies blocks of op(A) and op(B) into the contiguous, zero-padded panel layouts the {@link MicroKernel} reads
 * (BLIS packing). Packing turns any transpose and leading dimension into unit-stride streams, and the zero padding
 * lets the micro-kernel always run full tiles: edges only differ at the final store.
 */
final class GemmPacking {

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    private GemmPacking() {
    }

    /**
     * Packs rows {@code [i0, i0+mc)} and columns {@code [p0, p0+kc)} of op(A) into micro-panels of {@code mr}
     * rows: element (i, p) of panel q lands at {@code q·mr·kc + p·mr + (i mod mr)}.
     */
    static void packA(boolean transA, MemorySegment a, long aOff, int lda, int i0, int mc, int p0, int kc,
                      int mr, float[] dst) {
        for (int q = 0, i = 0; i < mc; q++, i += mr) {
            int rows = Math.min(mr, mc - i);
            int base = q * mr * kc;
            if (transA && rows == mr && (mr == 4 || mr == 8)) {
                // op(A)(i, p) = A[p, i]: for each p the panel's mr rows are mr contiguous floats, one vector.
                long src = (aOff + (long) p0 * lda + i0 + i) * Float.BYTES;
                long stride = (long) lda * Float.BYTES;
                if (mr == 4) {
                    for (int p = 0, d = base; p < kc; p++, d += 4, src += stride) {
                        FloatVector.fromMemorySegment(FloatVector.SPECIES_128, a, src, ORDER).intoArray(dst, d);
                    }
                } else {
                    for (int p = 0, d = base; p < kc; p++, d += 8, src += stride) {
                        FloatVector.fromMemorySegment(FloatVector.SPECIES_256, a, src, ORDER).intoArray(dst, d);
                    }
                }
            } else if (transA) {
                // The same, element by element: a partial last panel (zero rows past the edge) or an odd mr.
                for (int p = 0; p < kc; p++) {
                    long src = aOff + (long) (p0 + p) * lda + i0 + i;
                    int d = base + p * mr;
                    for (int r = 0; r < rows; r++) {
                        dst[d + r] = a.getAtIndex(F, src + r);
                    }
                    for (int r = rows; r < mr; r++) {
                        dst[d + r] = 0f;
                    }
                }
            } else if (rows == mr && (mr == 4 || mr == 6 || mr == 8)) {
                packRows(a, aOff + (long) (i0 + i) * lda + p0, lda, kc, mr, dst, base);
            } else {
                // The last, partial panel (or an unusual mr): row by row, with zero rows past the edge.
                for (int r = 0; r < rows; r++) {
                    long src = aOff + (long) (i0 + i + r) * lda + p0;
                    int d = base + r;
                    for (int p = 0; p < kc; p++) {
                        dst[d + p * mr] = a.getAtIndex(F, src + p);
                    }
                }
                for (int r = rows; r < mr; r++) {
                    for (int p = 0; p < kc; p++) {
                        dst[base + p * mr + r] = 0f;
                    }
                }
            }
        }
    }

    /**
     * Copies rows {@code [i0, i0 + mc)} × columns {@code [p0, p0 + kc)} of a non-transposed A as they are, row r at
     * {@code dst[r·kc]}: one bulk copy per row, for {@link MicroKernel#multiplyRows}. The rows of a partial last
     * tile past {@code mc} keep whatever the buffer held; the micro-kernel discards their results.
     */
    static void copyRows(MemorySegment a, long aOff, int lda, int i0, int mc, int p0, int kc, float[] dst) {
        if (lda == kc) {
            // The rows are one contiguous run: one copy, not mc (each MemorySegment.copy costs its checks).
            MemorySegment.copy(a, F, (aOff + (long) i0 * lda) * Float.BYTES, dst, 0, mc * kc);
            return;
        }
        for (int r = 0; r < mc; r++) {
            MemorySegment.copy(a, F, (aOff + (long) (i0 + r) * lda + p0) * Float.BYTES, dst, r * kc, kc);
        }
    }

    /**
     * One full panel of a non-transposed A: walks p and takes one element from each of the mr rows, so the stores
     * are sequential. The store port limits packing on AVX2 machines, and this order packs 1.5x faster than
     * reading row by row with strided stores; the unrolled bodies matter (a loop over r was 6x slower).
     */
    private static void packRows(MemorySegment a, long first, int lda, int kc, int mr, float[] dst, int base) {
        long r0 = first;
        long r1 = r0 + lda;
        long r2 = r1 + lda;
        long r3 = r2 + lda;
        if (mr == 4) {
            for (int p = 0, d = base; p < kc; p++, d += 4) {
                dst[d] = a.getAtIndex(F, r0 + p);
                dst[d + 1] = a.getAtIndex(F, r1 + p);
                dst[d + 2] = a.getAtIndex(F, r2 + p);
                dst[d + 3] = a.getAtIndex(F, r3 + p);
            }
            return;
        }
        long r4 = r3 + lda;
        long r5 = r4 + lda;
        if (mr == 6) {
            for (int p = 0, d = base; p < kc; p++, d += 6) {
                dst[d] = a.getAtIndex(F, r0 + p);
                dst[d + 1] = a.getAtIndex(F, r1 + p);
                dst[d + 2] = a.getAtIndex(F, r2 + p);
                dst[d + 3] = a.getAtIndex(F, r3 + p);
                dst[d + 4] = a.getAtIndex(F, r4 + p);
                dst[d + 5] = a.getAtIndex(F, r5 + p);
            }
            return;
        }
        long r6 = r5 + lda;
        long r7 = r6 + lda;
        for (int p = 0, d = base; p < kc; p++, d += 8) {
            dst[d] = a.getAtIndex(F, r0 + p);
            dst[d + 1] = a.getAtIndex(F, r1 + p);
            dst[d + 2] = a.getAtIndex(F, r2 + p);
            dst[d + 3] = a.getAtIndex(F, r3 + p);
            dst[d + 4] = a.getAtIndex(F, r4 + p);
            dst[d + 5] = a.getAtIndex(F, r5 + p);
            dst[d + 6] = a.getAtIndex(F, r6 + p);
            dst[d + 7] = a.getAtIndex(F, r7 + p);
        }
    }

    /**
     * Packs panels {@code [q0, q1)} of the block rows {@code [p0, p0+kc)}, columns {@code [j0, j0+nc)} of op(B)
     * into micro-panels of {@code nr} columns: element (p, j) of panel q lands at
     * {@code q·nr·kc + p·nr + (j mod nr)}.
     */
    static void packB(boolean transB, MemorySegment b, long bOff, int ldb, int p0, int kc, int j0, int nc,
                      int q0, int q1, int nr, float[] dst) {
        for (int q = q0; q < q1; q++) {
            int j = q * nr;
            int cols = Math.min(nr, nc - j);
            int base = q * nr * kc;
            if (transB) {
                // op(B)(p, j) = B[j, p]: read each column's run of kc floats, write it with stride nr.
                for (int jj = 0; jj < cols; jj++) {
                    long src = bOff + (long) (j0 + j + jj) * ldb + p0;
                    int d = base + jj;
                    for (int p = 0; p < kc; p++) {
                        dst[d + p * nr] = b.getAtIndex(F, src + p);
                    }
                }
                if (cols < nr) {
                    for (int p = 0; p < kc; p++) {
                        Arrays.fill(dst, base + p * nr + cols, base + (p + 1) * nr, 0f);
                    }
                }
            } else {
                // op(B)(p, j) = B[p, j]: each panel row is a contiguous run of nr floats.
                for (int p = 0; p < kc; p++) {
                    long src = (bOff + (long) (p0 + p) * ldb + j0 + j) * Float.BYTES;
                    int d = base + p * nr;
                    for (int v = 0; v < nr; v += S.length()) {
                        if (v + S.length() <= cols) {
                            FloatVector.fromMemorySegment(S, b, src + (long) v * Float.BYTES, ORDER).intoArray(dst, d + v);
                        } else {
                            VectorMask<Float> valid = S.indexInRange(v, cols);
                            FloatVector.fromMemorySegment(S, b, src + (long) v * Float.BYTES, ORDER, valid)
                                    .intoArray(dst, d + v);
                        }
                    }
                }
            }
        }
    }
}
