package dev.panamax.engine.kernel.simd.gemm;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A 6 × (2 vectors) micro-kernel for ISAs with 16 vector registers (AVX2, SSE): 12 accumulators,
 * two B vectors and one broadcast A value fill 15 of the 16 registers. On AVX2 the tile is 6 × 16 floats,
 * the shape BLIS and OpenBLAS use for Haswell and Zen sgemm.
 *
 * <p>Written out by hand (one local per accumulator) because C2 keeps vectors in registers only then.
 */
public final class MicroKernel6x2 implements MicroKernel {

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int V = S.length();
    static final int MR = 6;
    static final int NR = 2 * V;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

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
        if (mValid == MR && nValid == NR) {
            long rowBytes = (long) ldc * Float.BYTES;
            store(c00, c01, alpha, beta, c, cByteOffset + 0 * rowBytes);
            store(c10, c11, alpha, beta, c, cByteOffset + 1 * rowBytes);
            store(c20, c21, alpha, beta, c, cByteOffset + 2 * rowBytes);
            store(c30, c31, alpha, beta, c, cByteOffset + 3 * rowBytes);
            store(c40, c41, alpha, beta, c, cByteOffset + 4 * rowBytes);
            store(c50, c51, alpha, beta, c, cByteOffset + 5 * rowBytes);
        } else {
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
            MicroKernel.storePartial(tile, NR, alpha, beta, c, cByteOffset, ldc, mValid, nValid);
        }
    }

    private static void store(FloatVector x0, FloatVector x1, float alpha, float beta, MemorySegment c, long at) {
        FloatVector r0 = x0.mul(alpha);
        FloatVector r1 = x1.mul(alpha);
        if (beta != 0f) {
            r0 = r0.add(FloatVector.fromMemorySegment(S, c, at, ORDER).mul(beta));
            r1 = r1.add(FloatVector.fromMemorySegment(S, c, at + (long) V * Float.BYTES, ORDER).mul(beta));
        }
        r0.intoMemorySegment(c, at, ORDER);
        r1.intoMemorySegment(c, at + (long) V * Float.BYTES, ORDER);
    }
}
