package dev.panamax.engine;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * The error bound two float GEMMs may differ by. Each one computes a dot product of length k plus the alpha and
 * beta updates, so by the standard bound (Higham, "Accuracy and Stability of Numerical Algorithms", §3.1) each
 * differs from the exact value by at most γ(k+2)·(|alpha|·Σ_p |a_ip||b_pj| + |beta|·|c_ij|), with
 * γ(n) = n·u / (1 − n·u) and u = 2⁻²⁴. Two such results differ by at most twice that. The bound is computed per
 * element in double precision; nothing here is tuned to make a test pass.
 */
final class GemmAccuracy {

    private static final double UNIT_ROUNDOFF = Math.scalb(1.0, -24);

    private GemmAccuracy() {
    }

    static double gamma(int n) {
        return n * UNIT_ROUNDOFF / (1 - n * UNIT_ROUNDOFF);
    }

    /** Compares {@code actual} with {@code expected} C (row-major with ldc) against the bound above. */
    static void assertWithinBound(String what, boolean transA, boolean transB, int m, int n, int k, float alpha,
                                  float[] a, int lda, float[] b, int ldb, float beta, float[] cBefore,
                                  float[] expected, float[] actual, int ldc) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double magnitude = 0;
                for (int p = 0; p < k; p++) {
                    double aip = transA ? a[p * lda + i] : a[i * lda + p];
                    double bpj = transB ? b[j * ldb + p] : b[p * ldb + j];
                    magnitude += Math.abs(aip * bpj);
                }
                int at = i * ldc + j;
                double bound = 2 * gamma(k + 2) * (Math.abs(alpha) * magnitude
                        + (beta == 0f ? 0 : Math.abs(beta) * Math.abs(cBefore[at])));
                double diff = Math.abs((double) expected[at] - actual[at]);
                if (!(diff <= bound)) {
                    fail(what + ": C[" + i + "," + j + "] = " + actual[at] + ", reference " + expected[at]
                            + ", difference " + diff + " exceeds the bound " + bound + " (k=" + k + ")");
                }
            }
        }
        // Elements between the rows' valid width and ldc must be untouched.
        for (int i = 0; i < m; i++) {
            for (int j = n; j < ldc && i * ldc + j < actual.length; j++) {
                int at = i * ldc + j;
                if (Float.floatToRawIntBits(actual[at]) != Float.floatToRawIntBits(cBefore[at])) {
                    fail(what + ": wrote outside the matrix, at row " + i + ", column " + j + " (ldc " + ldc + ")");
                }
            }
        }
    }
}
