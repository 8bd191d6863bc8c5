package dev.panamax.engine.kernel.simd.gemm;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register-tiled heart of the GEMM (BLIS's micro-kernel): it multiplies an {@code MR × kc} packed panel of A
 * by a {@code kc × NR} packed panel of B, keeping the {@code MR × NR} block of C in vector registers, then writes
 * {@code C = alpha·AB + beta·C} for the valid {@code mValid × nValid} corner.
 *
 * <p>Packed layouts: A panel element (r, p) at {@code aIndex + p·MR + r}; B panel element (p, j) at
 * {@code bIndex + p·NR + j}; both zero-padded to full MR/NR. Everything around the micro-kernel (packing,
 * blocking, threads) is generic, so a new ISA needs only a new implementation of this interface.
 *
 * <p>C is always a native (off-heap) segment: one heap segment passing through {@link #storeTile} makes its
 * accesses bimorphic for the rest of the JVM's life, which slowed every later GEMM (see {@code SimdGemm}).
 */
public interface MicroKernel {

    /** Tensors hold floats in the platform's byte order (the layout of {@code ValueLayout.JAVA_FLOAT}). */
    ByteOrder ORDER = ByteOrder.nativeOrder();

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
     * The whole {@code MR × NR} product of the two panels written (not added) into {@code out}, row-major with
     * stride NR from {@code outIndex}: for callers that keep their products in that layout
     * ({@code WinogradConv3x3}), which then skip the tile's second copy into a {@code MemorySegment}.
     */
    void multiplyInto(int kc, float[] packedA, int aIndex, float[] packedB, int bIndex, float[] out, int outIndex);

    /**
     * {@link #multiplyInto}, but the product is added to {@code out} ({@code out = A·B + out}, the product formed
     * in {@code tile} first, so each element gets the same two roundings as {@link #multiply} with beta 1): for
     * callers whose later reduction blocks add to products they keep in a float array.
     */
    default void multiplyAddInto(int kc, float[] packedA, int aIndex, float[] packedB, int bIndex, float[] out,
                                 int outIndex, float[] tile) {
        multiplyInto(kc, packedA, aIndex, packedB, bIndex, tile, 0);
        VectorSpecies<Float> s = FloatVector.SPECIES_PREFERRED;
        for (int i = 0; i < mr() * nr(); i += s.length()) {
            FloatVector.fromArray(s, tile, i).add(FloatVector.fromArray(s, out, outIndex + i))
                    .intoArray(out, outIndex + i);
        }
    }

    /**
     * {@link #multiply} with A's {@code MR} rows as they are in a row-major A, one after another: element (r, p)
     * at {@code aIndex + r·rowStride + p}. Copying A's rows (a bulk copy per row) costs a fraction of packing them
     * into the interleaved layout, which pays when each A block meets few B panels (small N). Rows at and past
     * {@code mValid} are read but their results are discarded, so they need to exist, not to be zero.
     */
    void multiplyRows(int kc, float[] rowsA, int aIndex, int rowStride, float[] packedB, int bIndex,
                      float alpha, float beta, MemorySegment c, long cByteOffset, int ldc,
                      int mValid, int nValid, float[] tile);

    /**
     * Writes {@code C = alpha·tile + beta·C} for the valid {@code mValid × nValid} corner of a tile (row-major,
     * stride {@code nr}). Full and edge tiles share this one code path, so an element's value never depends on
     * where the tile boundaries fall. With {@code beta == 0} C is not read.
     */
    static void storeTile(float[] tile, int mr, int nr, float alpha, float beta, MemorySegment c, long cByteOffset,
                          int ldc, int mValid, int nValid) {
        if (alpha == 1f && (beta == 0f || beta == 1f)) {
            copyTile(tile, nr, beta == 1f, c, cByteOffset, ldc, mValid, nValid);
            return;
        }
        VectorSpecies<Float> s = FloatVector.SPECIES_PREFERRED;
        int v = s.length();
        for (int r = 0; r < mValid; r++) {
            long row = cByteOffset + (long) r * ldc * Float.BYTES;
            for (int j = 0; j < nValid; j += v) {
                long at = row + (long) j * Float.BYTES;
                FloatVector x = FloatVector.fromArray(s, tile, r * nr + j).mul(alpha);
                if (j + v <= nValid) {
                    if (beta != 0f) {
                        x = x.add(FloatVector.fromMemorySegment(s, c, at, ORDER).mul(beta));
                    }
                    x.intoMemorySegment(c, at, ORDER);
                } else {
                    VectorMask<Float> valid = s.indexInRange(j, nValid);
                    if (beta != 0f) {
                        x = x.add(FloatVector.fromMemorySegment(s, c, at, ORDER, valid).mul(beta));
                    }
                    x.intoMemorySegment(c, at, ORDER, valid);
                }
            }
        }
    }

    /**
     * {@link #storeTile} for {@code alpha = 1} and {@code beta} 0 or 1, the common cases (a product, or a product
     * added to C: later reduction blocks, gradients): the tile copied or added, with no multiplications. A loop of
     * its own, not flags tested inside {@code storeTile}'s loop: that merged form measured 3–10% slower on a
     * 768×128×512 GEMM (C2 does not lift all three tests out of the loop).
     */
    private static void copyTile(float[] tile, int nr, boolean add, MemorySegment c, long cByteOffset, int ldc,
                                 int mValid, int nValid) {
        VectorSpecies<Float> s = FloatVector.SPECIES_PREFERRED;
        int v = s.length();
        for (int r = 0; r < mValid; r++) {
            long row = cByteOffset + (long) r * ldc * Float.BYTES;
            for (int j = 0; j < nValid; j += v) {
                long at = row + (long) j * Float.BYTES;
                FloatVector x = FloatVector.fromArray(s, tile, r * nr + j);
                if (j + v <= nValid) {
                    if (add) {
                        x = x.add(FloatVector.fromMemorySegment(s, c, at, ORDER));
                    }
                    x.intoMemorySegment(c, at, ORDER);
                } else {
                    VectorMask<Float> valid = s.indexInRange(j, nValid);
                    if (add) {
                        x = x.add(FloatVector.fromMemorySegment(s, c, at, ORDER, valid));
                    }
                    x.intoMemorySegment(c, at, ORDER, valid);
                }
            }
        }
    }
}
