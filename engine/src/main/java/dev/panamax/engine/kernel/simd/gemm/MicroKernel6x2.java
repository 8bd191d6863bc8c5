package dev.panamax.engine.kernel.simd.gemm;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A 6 × (2 vectors) micro-kernel for ISAs with 16 vector registers (AVX2, SSE): 12 accumulators,
 * two B vectors and one broadcast A value fill 15 of the 16 registers. On AVX2 the tile is 6 × 16 floats,
 * the shape BLIS and OpenBLAS use for Haswell and Zen sgemm.
 *
 * <p>The accumulators are written out one local each, because C2 keeps vectors in registers only then, and the
 * loop sits in a method of its own, small enough for C2 to inline every Vector API call (a larger method runs out
 * of inlining budget and silently falls back to boxed vectors, 20–50× slower).
 */
public final class MicroKernel6x2 implements MicroKernel {

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int V = S.length();
    static final int MR = 6;
    static final int NR = 2 * V;

    @Override
    public int mr() {
        return MR;
    }

    @Override
    public int nr() {
        return NR;
    }

    @Override
    public void multiply(int kc, float[] packedA, int aIndex, float[] packedB, int bIndex,
                         float alpha, float beta, MemorySegment c, long cByteOffset, int ldc,
                         int mValid, int nValid, float[] tile) {
        accumulate(kc, packedA, aIndex, packedB, bIndex, tile);
        MicroKernel.storeTile(tile, MR, NR, alpha, beta, c, cByteOffset, ldc, mValid, nValid);
    }

    /** The register-resident part: {@code tile = Apanel · Bpanel}, written row-major with stride NR. */
    private static void accumulate(int kc, float[] packedA, int aIndex, float[] packedB, int bIndex,
                                   float[] tile) {
        FloatVector c00 = FloatVector.zero(S);
        FloatVector c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S);
        FloatVector c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S);
        FloatVector c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S);
        FloatVector c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S);
        FloatVector c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S);
        FloatVector c51 = FloatVector.zero(S);
        int ai = aIndex;
        int bi = bIndex;
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, packedB, bi);
            FloatVector b1 = FloatVector.fromArray(S, packedB, bi + V);
            FloatVector a;
            a = FloatVector.broadcast(S, packedA[ai + 0]);
            c00 = a.fma(b0, c00);
            c01 = a.fma(b1, c01);
            a = FloatVector.broadcast(S, packedA[ai + 1]);
            c10 = a.fma(b0, c10);
            c11 = a.fma(b1, c11);
            a = FloatVector.broadcast(S, packedA[ai + 2]);
            c20 = a.fma(b0, c20);
            c21 = a.fma(b1, c21);
            a = FloatVector.broadcast(S, packedA[ai + 3]);
            c30 = a.fma(b0, c30);
            c31 = a.fma(b1, c31);
            a = FloatVector.broadcast(S, packedA[ai + 4]);
            c40 = a.fma(b0, c40);
            c41 = a.fma(b1, c41);
            a = FloatVector.broadcast(S, packedA[ai + 5]);
            c50 = a.fma(b0, c50);
            c51 = a.fma(b1, c51);
            ai += MR;
            bi += NR;
        }
        c00.intoArray(tile, 0 * NR);
        c01.intoArray(tile, 0 * NR + V);
        c10.intoArray(tile, 1 * NR);
        c11.intoArray(tile, 1 * NR + V);
        c20.intoArray(tile, 2 * NR);
        c21.intoArray(tile, 2 * NR + V);
        c30.intoArray(tile, 3 * NR);
        c31.intoArray(tile, 3 * NR + V);
        c40.intoArray(tile, 4 * NR);
        c41.intoArray(tile, 4 * NR + V);
        c50.intoArray(tile, 5 * NR);
        c51.intoArray(tile, 5 * NR + V);
    }
}
