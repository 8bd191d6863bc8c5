package dev.panamax.bench;

/**
 * The dimensions of one benchmarked product {@code C[m×n] = A[m×k]·B[k×n]}, written the way the benchmark
 * parameters and the report spell them: {@code "512"} for a square 512×512×512 product, or {@code "MxKxN"}
 * (e.g. {@code "768x128x65"}), i.e. in the order the operands are chained, so that a reader sees A's shape
 * first and B's second.
 */
public record GemmSize(int m, int k, int n) {

    public GemmSize {
        if (m < 1 || k < 1 || n < 1) {
            throw new IllegalArgumentException("GEMM dimensions must be >= 1, got M=" + m + ", K=" + k + ", N=" + n);
        }
    }

    /** Parses {@code "n"} (square) or {@code "MxKxN"}. */
    public static GemmSize parse(String spec) {
        String[] parts = spec.trim().toLowerCase(java.util.Locale.ROOT).split("x", -1);
        try {
            if (parts.length == 1) {
                int n = Integer.parseInt(parts[0]);
                return new GemmSize(n, n, n);
            }
            if (parts.length == 3) {
                return new GemmSize(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]), Integer.parseInt(parts[2]));
            }
        } catch (NumberFormatException e) {
            // fall through to the message below
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("GEMM shape '" + spec + "': " + e.getMessage(), e);
        }
        throw new IllegalArgumentException("GEMM shape '" + spec + "': expected a whole number N (for N×N×N) "
                + "or MxKxN, e.g. 512 or 768x128x65");
    }

    /** Floating-point operations of one product: a multiply and an add per (i, j, p). */
    public double flops() {
        return 2.0 * m * n * k;
    }

    @Override
    public String toString() {
        return m + "x" + k + "x" + n;
    }
}
