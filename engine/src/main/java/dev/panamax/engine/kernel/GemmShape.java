package dev.panamax.engine.kernel;

import dev.panamax.engine.Tensor;
import dev.panamax.engine.Transpose;

/**
 * Validates a GEMM call at the API boundary, so kernels can trust their arguments: positive dimensions, leading
 * dimensions at least the row width, every addressed element inside its tensor, live tensors, and an output that
 * does not overlap an input. Messages name the operation, the argument and the shapes involved.
 */
public final class GemmShape {

    private GemmShape() {
    }

    /** Checks one (possibly batched) call; {@code batch == 1} with zero strides for a plain GEMM. */
    public static void check(String op, Transpose transA, Transpose transB, int m, int n, int k,
                             Tensor a, long aOffset, int lda, long strideA,
                             Tensor b, long bOffset, int ldb, long strideB,
                             Tensor c, long cOffset, int ldc, long strideC, int batch) {
        if (transA == null || transB == null) {
            throw new IllegalArgumentException(op + ": transA and transB must be N or T, got " + transA + ", " + transB);
        }
        if (a == null || b == null || c == null) {
            throw new IllegalArgumentException(op + ": a, b and c must be tensors, got a=" + a + ", b=" + b + ", c=" + c);
        }
        if (m < 1 || n < 1 || k < 1) {
            throw new IllegalArgumentException(op + ": m, n and k must be >= 1, got m=" + m + ", n=" + n + ", k=" + k);
        }
        if (batch < 1) {
            throw new IllegalArgumentException(op + ": batch must be >= 1, got " + batch);
        }
        a.requireAlive(op + " (a)");
        b.requireAlive(op + " (b)");
        c.requireAlive(op + " (c)");
        long aEnd = operand(op, "a", a, transA, m, k, aOffset, lda, strideA, batch);
        long bEnd = operand(op, "b", b, transB, k, n, bOffset, ldb, strideB, batch);
        long cEnd = operand(op, "c", c, Transpose.N, m, n, cOffset, ldc, strideC, batch);
        requireDisjoint(op, "a", a, aOffset, aEnd, c, cOffset, cEnd);
        requireDisjoint(op, "b", b, bOffset, bEnd, c, cOffset, cEnd);
    }

    /**
     * Checks that op(x) is {@code rows × cols} inside tensor {@code x}; returns one past the last element used.
     */
    private static long operand(String op, String name, Tensor x, Transpose trans, int rows, int cols,
                                long offset, int ld, long stride, int batch) {
        int storedRows = trans == Transpose.N ? rows : cols;
        int storedCols = trans == Transpose.N ? cols : rows;
        String stored = storedRows + "x" + storedCols + (trans == Transpose.T ? " (transposed)" : "");
        if (ld < storedCols) {
            throw new IllegalArgumentException(op + ": ld" + name + "=" + ld + " is smaller than the row width "
                    + storedCols + " of " + name + " stored as " + stored);
        }
        if (offset < 0) {
            throw new IllegalArgumentException(op + ": " + name + " offset must be >= 0, got " + offset);
        }
        if (batch > 1 && stride < 0) {
            throw new IllegalArgumentException(op + ": stride of " + name + " must be >= 0, got " + stride);
        }
        long end = offset + (long) (storedRows - 1) * ld + storedCols + (batch - 1) * stride;
        if (end > x.size()) {
            throw new IllegalArgumentException(op + ": " + name + " " + x.shapeString() + " (" + x.size()
                    + " elements) is too small for a " + stored + " matrix with ld" + name + "=" + ld
                    + ", offset " + offset + (batch > 1 ? ", batch " + batch + " and stride " + stride : "")
                    + ": it needs " + end + " elements");
        }
        return end;
    }

    private static void requireDisjoint(String op, String name, Tensor x, long xStart, long xEnd,
                                        Tensor c, long cStart, long cEnd) {
        long xLo = x.address() + xStart * Float.BYTES;
        long xHi = x.address() + xEnd * Float.BYTES;
        long cLo = c.address() + cStart * Float.BYTES;
        long cHi = c.address() + cEnd * Float.BYTES;
        if (xLo < cHi && cLo < xHi) {
            throw new IllegalArgumentException(op + ": output c " + c.shapeString() + " overlaps input " + name
                    + " " + x.shapeString() + " in memory; write the result to a separate tensor");
        }
    }

    /** Checks a plain 2-D product {@code c = op(a)·op(b)} and returns {m, n, k}. */
    public static int[] matrixDims(String op, Transpose transA, Transpose transB, Tensor a, Tensor b, Tensor c) {
        if (a == null || b == null || c == null) {
            throw new IllegalArgumentException(op + ": a, b and c must be tensors, got a=" + a + ", b=" + b + ", c=" + c);
        }
        if (a.rank() != 2 || b.rank() != 2 || c.rank() != 2) {
            throw new IllegalArgumentException(op + ": expects 2-D tensors, got a " + a.shapeString() + ", b "
                    + b.shapeString() + ", c " + c.shapeString());
        }
        int m = transA == Transpose.N ? a.dim(0) : a.dim(1);
        int ka = transA == Transpose.N ? a.dim(1) : a.dim(0);
        int kb = transB == Transpose.N ? b.dim(0) : b.dim(1);
        int n = transB == Transpose.N ? b.dim(1) : b.dim(0);
        if (ka != kb) {
            throw new IllegalArgumentException(op + ": a is " + a.shapeString() + (transA == Transpose.T ? "ᵀ" : "")
                    + ", b is " + b.shapeString() + (transB == Transpose.T ? "ᵀ" : "")
                    + ": inner dimensions " + ka + " and " + kb + " differ");
        }
        if (c.dim(0) != m || c.dim(1) != n) {
            throw new IllegalArgumentException(op + ": result c is " + c.shapeString() + " but a·b is [" + m + ", "
                    + n + "] (a " + a.shapeString() + ", b " + b.shapeString() + ")");
        }
        return new int[] {m, n, ka};
    }
}
