package dev.panamax.engine.kernel.simd.attention;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register-tiled products inside the attention kernels: a {@code 4 × NR} block of a result ({@code NR} = two
 * vectors, 16 floats on AVX2) kept in 8 vector registers while a loop of length {@code n} accumulates
 * {@code A·B} into it. This is the GEMM's 4×2 micro-kernel shape (the fastest one measured on AVX2, see
 * {@code MicroKernel4x2}), without packing: attention's operands are small tiles the caller already holds in
 * float arrays, in whatever orientation the product needs, so A is addressed with two strides:
 *
 * <pre>
 *   A(r, p) = a[aIndex + r·aRowStride + p·aStep]      broadcast, r = 0..3
 *   B(p, c) = b[bIndex + p·bStep + c]                  two vector loads, c = 0..NR-1
 *   C(r, c) = c[cIndex + r·ldc + c]
 * </pre>
 *
 * With {@code aRowStride = ld, aStep = 1} A is row-major (S = Q·Kᵀ, O += P·V, dQ += dS·K); with
 * {@code aRowStride = 1, aStep = ld} it is a transposed tile (dV += Pᵀ·dO, dK += dSᵀ·Q).
 *
 * <p>One index walks A (the rows are fixed offsets from it): with four separately advanced indices C2 keeps
 * four range checks in the loop, which measured about 20% slower. Every element of C is an FMA chain over p in ascending order starting from zero (or from C), whatever the
 * tile position, so results never depend on where tile or thread boundaries fall. Each method holds one loop
 * and stays small: a larger method exceeds C2's inlining budget and silently boxes every vector (README, "Why
 * the micro-kernel is split"). Callers pad operands so that full tiles are always in bounds.
 */
final class TileKernels {

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int V = S.length();
    /** Rows of a tile. */
    static final int MR = 4;
    /** Columns of a tile: two vectors. */
    static final int NR = 2 * V;

    private TileKernels() {
    }

    /** {@code C = A·B} (C is write-only). */
    static void product(int n, float[] a, int aIndex, int aRowStride, int aStep, float[] b, int bIndex, int bStep,
                        float[] c, int cIndex, int ldc) {
        FloatVector c00 = FloatVector.zero(S);
        FloatVector c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S);
        FloatVector c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S);
        FloatVector c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S);
        FloatVector c31 = FloatVector.zero(S);
        int r1 = aRowStride;
        int r2 = 2 * aRowStride;
        int r3 = 3 * aRowStride;
        int ai = aIndex;
        int bi = bIndex;
        for (int p = 0; p < n; p++) {
            FloatVector b0 = FloatVector.fromArray(S, b, bi);
            FloatVector b1 = FloatVector.fromArray(S, b, bi + V);
            FloatVector x = FloatVector.broadcast(S, a[ai]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[ai + r1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[ai + r2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[ai + r3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            ai += aStep;
            bi += bStep;
        }
        c00.intoArray(c, cIndex);
        c01.intoArray(c, cIndex + V);
        c10.intoArray(c, cIndex + ldc);
        c11.intoArray(c, cIndex + ldc + V);
        c20.intoArray(c, cIndex + 2 * ldc);
        c21.intoArray(c, cIndex + 2 * ldc + V);
        c30.intoArray(c, cIndex + 3 * ldc);
        c31.intoArray(c, cIndex + 3 * ldc + V);
    }

    /** {@code C = C + A·B}. */
    static void accumulate(int n, float[] a, int aIndex, int aRowStride, int aStep, float[] b, int bIndex, int bStep,
                           float[] c, int cIndex, int ldc) {
        FloatVector c00 = FloatVector.fromArray(S, c, cIndex);
        FloatVector c01 = FloatVector.fromArray(S, c, cIndex + V);
        FloatVector c10 = FloatVector.fromArray(S, c, cIndex + ldc);
        FloatVector c11 = FloatVector.fromArray(S, c, cIndex + ldc + V);
        FloatVector c20 = FloatVector.fromArray(S, c, cIndex + 2 * ldc);
        FloatVector c21 = FloatVector.fromArray(S, c, cIndex + 2 * ldc + V);
        FloatVector c30 = FloatVector.fromArray(S, c, cIndex + 3 * ldc);
        FloatVector c31 = FloatVector.fromArray(S, c, cIndex + 3 * ldc + V);
        int r1 = aRowStride;
        int r2 = 2 * aRowStride;
        int r3 = 3 * aRowStride;
        int ai = aIndex;
        int bi = bIndex;
        for (int p = 0; p < n; p++) {
            FloatVector b0 = FloatVector.fromArray(S, b, bi);
            FloatVector b1 = FloatVector.fromArray(S, b, bi + V);
            FloatVector x = FloatVector.broadcast(S, a[ai]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[ai + r1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[ai + r2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[ai + r3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            ai += aStep;
            bi += bStep;
        }
        c00.intoArray(c, cIndex);
        c01.intoArray(c, cIndex + V);
        c10.intoArray(c, cIndex + ldc);
        c11.intoArray(c, cIndex + ldc + V);
        c20.intoArray(c, cIndex + 2 * ldc);
        c21.intoArray(c, cIndex + 2 * ldc + V);
        c30.intoArray(c, cIndex + 3 * ldc);
        c31.intoArray(c, cIndex + 3 * ldc + V);
    }

    /** {@code C(r, ·) = C(r, ·)·rowScale[scaleIndex + r] + A·B}: the online softmax's rescale of O, fused. */
    static void rescaleAccumulate(int n, float[] a, int aIndex, int aRowStride, int aStep, float[] b, int bIndex,
                                  int bStep, float[] c, int cIndex, int ldc, float[] rowScale, int scaleIndex) {
        FloatVector s0 = FloatVector.broadcast(S, rowScale[scaleIndex]);
        FloatVector s1 = FloatVector.broadcast(S, rowScale[scaleIndex + 1]);
        FloatVector s2 = FloatVector.broadcast(S, rowScale[scaleIndex + 2]);
        FloatVector s3 = FloatVector.broadcast(S, rowScale[scaleIndex + 3]);
        FloatVector c00 = FloatVector.fromArray(S, c, cIndex).mul(s0);
        FloatVector c01 = FloatVector.fromArray(S, c, cIndex + V).mul(s0);
        FloatVector c10 = FloatVector.fromArray(S, c, cIndex + ldc).mul(s1);
        FloatVector c11 = FloatVector.fromArray(S, c, cIndex + ldc + V).mul(s1);
        FloatVector c20 = FloatVector.fromArray(S, c, cIndex + 2 * ldc).mul(s2);
        FloatVector c21 = FloatVector.fromArray(S, c, cIndex + 2 * ldc + V).mul(s2);
        FloatVector c30 = FloatVector.fromArray(S, c, cIndex + 3 * ldc).mul(s3);
        FloatVector c31 = FloatVector.fromArray(S, c, cIndex + 3 * ldc + V).mul(s3);
        int r1 = aRowStride;
        int r2 = 2 * aRowStride;
        int r3 = 3 * aRowStride;
        int ai = aIndex;
        int bi = bIndex;
        for (int p = 0; p < n; p++) {
            FloatVector b0 = FloatVector.fromArray(S, b, bi);
            FloatVector b1 = FloatVector.fromArray(S, b, bi + V);
            FloatVector x = FloatVector.broadcast(S, a[ai]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[ai + r1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[ai + r2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[ai + r3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            ai += aStep;
            bi += bStep;
        }
        c00.intoArray(c, cIndex);
        c01.intoArray(c, cIndex + V);
        c10.intoArray(c, cIndex + ldc);
        c11.intoArray(c, cIndex + ldc + V);
        c20.intoArray(c, cIndex + 2 * ldc);
        c21.intoArray(c, cIndex + 2 * ldc + V);
        c30.intoArray(c, cIndex + 3 * ldc);
        c31.intoArray(c, cIndex + 3 * ldc + V);
    }
}
