package dev.panamax.engine;

/** Whether a GEMM operand is used as stored ({@code N}) or transposed ({@code T}). */
public enum Transpose {
    /** op(X) = X. */
    N,
    /** op(X) = Xᵀ. */
    T;

    public boolean isTransposed() {
        return this == T;
    }
}
