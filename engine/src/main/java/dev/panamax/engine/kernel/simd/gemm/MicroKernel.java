package dev.panamax.engine.kernel.simd.gemm;

import java.lang.foreign.MemorySegment;

/**
 * The register-tiled heart of the GEMM (BLIS's micro-kernel): it multiplies an {@code MR × kc} packed panel of A
 * by a {@code kc × NR} packed panel of B, keeping the {@code MR × NR} block of C in vector registers, then writes
 * {@code C = alpha·AB + beta·C} for the valid {@code mValid × nValid} corner.
 *
 * <p>Packed layouts: A panel element (r, p) at {@code aIndex + p·MR + r}; B panel element (p, j) at
 * {@code bIndex + p·NR + j}; both zero-padded to full MR/NR. Everything around the micro-kernel (packing,
 * blocking, threads) is generic, so a new ISA needs only a new implementation of this interface.
 */
public interface MicroKernel {

    /** Rows of C per call. */
    int mr();

    /** Columns of C per call (a multiple of the vector length). */
    int nr();

    /**
     * @param c      C's memory; element (r, j) of this block at byte {@code cByteOffset + (r·ldc + j)·4}
     * @param tile   scratch of at least {@code mr()·nr()} floats, used for partial edge blocks
     */
    void multiply(int kc, float[] packedA, int aIndex, float[] packedB, int bIndex,
                  float alpha, float beta, MemorySegment c, long cByteOffset, int ldc,
                  int mValid, int nValid, float[] tile);

    /**
     * Writes a partial block from {@code tile} (row-major, stride {@code nr}) with the same arithmetic as the
     * vector path, so an element's value does not depend on whether it sat in a full or an edge block.
     */
    static void storePartial(float[] tile, int nr, float alpha, float beta, MemorySegment c, long cByteOffset,
                             int ldc, int mValid, int nValid) {
        for (int r = 0; r < mValid; r++) {
            long rowOffset = cByteOffset + (long) r * ldc * Float.BYTES;
            for (int j = 0; j < nValid; j++) {
                long at = rowOffset + (long) j * Float.BYTES;
                float value = tile[r * nr + j] * alpha;
                if (beta != 0f) {
                    value = value + c.get(java.lang.foreign.ValueLayout.JAVA_FLOAT, at) * beta;
                }
                c.set(java.lang.foreign.ValueLayout.JAVA_FLOAT, at, value);
            }
        }
    }
}
