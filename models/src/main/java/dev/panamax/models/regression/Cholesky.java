package dev.panamax.models.regression;

import java.util.ArrayList;
import java.util.List;

/**
 * Cholesky factorization {@code A = L·Lᵀ} of a small symmetric positive semi-definite matrix, in doubles, that
 * detects linearly dependent columns instead of failing on them.
 *
 * <p>Column j is <em>dependent</em> when its pivot, {@code A[j][j]} minus what the earlier columns explain, falls
 * below {@code tolerance · A[j][j]}: in least squares it is (numerically) a combination of the earlier features.
 * Such a column is dropped: its row of L is zero and {@link #solve} gives it a zero coefficient. That is the basic
 * least-squares solution (as a column-dropping QR gives), and the caller can name the dropped features. Working in
 * the given order keeps the earlier, usually simpler, features and drops the later ones.
 */
final class Cholesky {

    private final int n;
    private final double[][] l;
    private final boolean[] dropped;

    private Cholesky(int n, double[][] l, boolean[] dropped) {
        this.n = n;
        this.l = l;
        this.dropped = dropped;
    }

    /** Factors {@code a} (only its lower triangle is read). */
    static Cholesky factor(double[][] a, double tolerance) {
        int n = a.length;
        double[][] l = new double[n][n];
        boolean[] dropped = new boolean[n];
        for (int j = 0; j < n; j++) {
            double pivot = a[j][j];
            for (int k = 0; k < j; k++) {
                pivot -= l[j][k] * l[j][k];
            }
            if (!(a[j][j] > 0) || !(pivot > tolerance * a[j][j])) {
                dropped[j] = true;          // row j of l stays zero
                continue;
            }
            double d = Math.sqrt(pivot);
            l[j][j] = d;
            for (int i = j + 1; i < n; i++) {
                double s = a[i][j];
                for (int k = 0; k < j; k++) {
                    s -= l[i][k] * l[j][k];
                }
                l[i][j] = s / d;
            }
        }
        return new Cholesky(n, l, dropped);
    }

    /** Indices of the dependent columns, in order. */
    List<Integer> droppedColumns() {
        List<Integer> out = new ArrayList<>();
        for (int j = 0; j < n; j++) {
            if (dropped[j]) {
                out.add(j);
            }
        }
        return out;
    }

    boolean isDropped(int j) {
        return dropped[j];
    }

    /** Solves {@code A·x = b} on the kept columns; dropped columns get 0. */
    double[] solve(double[] b) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {                 // L·z = b
            if (dropped[i]) {
                continue;
            }
            double s = b[i];
            for (int k = 0; k < i; k++) {
                s -= l[i][k] * x[k];
            }
            x[i] = s / l[i][i];
        }
        for (int i = n - 1; i >= 0; i--) {            // Lᵀ·x = z
            if (dropped[i]) {
                continue;
            }
            double s = x[i];
            for (int k = i + 1; k < n; k++) {
                s -= l[k][i] * x[k];
            }
            x[i] = s / l[i][i];
        }
        return x;
    }

    /** log det A over the kept columns (the Gaussian classifiers' normalizing constant). */
    double logDeterminant() {
        double s = 0;
        for (int i = 0; i < n; i++) {
            if (!dropped[i]) {
                s += 2 * Math.log(l[i][i]);
            }
        }
        return s;
    }

    /** Solves {@code L·z = b} (kept columns only): ‖z‖² is the Mahalanobis form bᵀA⁻¹b. */
    double[] forwardSolve(double[] b) {
        double[] z = new double[n];
        for (int i = 0; i < n; i++) {
            if (dropped[i]) {
                continue;
            }
            double s = b[i];
            for (int k = 0; k < i; k++) {
                s -= l[i][k] * z[k];
            }
            z[i] = s / l[i][i];
        }
        return z;
    }
}
