package dev.panamax.models.regression;

import java.util.ArrayList;
import java.util.Arrays;
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

    /**
     * An estimate of {@code ‖A⁻¹‖₁} on the kept columns by Hager's method (as LAPACK's {@code xPOCON}): a few
     * solves that climb towards the column of A⁻¹ with the largest sum, then Higham's alternating-sign check. It
     * never exceeds the true norm and is rarely below a third of it; costs a few d² solves.
     */
    double inverseOneNormEstimate() {
        int kept = n - droppedColumns().size();
        if (kept == 0) {
            return 0;
        }
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = dropped[i] ? 0 : 1.0 / kept;
        }
        double estimate = 0;
        for (int iteration = 0; iteration < 5; iteration++) {
            double[] y = solve(x);
            double norm = oneNorm(y);
            if (iteration > 0 && norm <= estimate) {
                break;
            }
            estimate = norm;
            double[] signs = new double[n];
            for (int i = 0; i < n; i++) {
                signs[i] = dropped[i] ? 0 : (y[i] >= 0 ? 1 : -1);
            }
            double[] z = solve(signs);                // A⁻¹ is symmetric: its transpose's product is the same
            int best = 0;
            double zx = 0;
            for (int i = 0; i < n; i++) {
                zx += z[i] * x[i];
                if (Math.abs(z[i]) > Math.abs(z[best])) {
                    best = i;
                }
            }
            if (iteration > 0 && Math.abs(z[best]) <= zx) {
                break;
            }
            Arrays.fill(x, 0);
            x[best] = 1;
        }
        // Higham's check catches matrices where the climb stalls: a vector of growing, alternating entries.
        double[] alternating = new double[n];
        int index = 0;
        for (int i = 0; i < n; i++) {
            if (!dropped[i]) {
                alternating[i] = (index % 2 == 0 ? 1 : -1) * (1 + (kept > 1 ? (double) index / (kept - 1) : 0));
                index++;
            }
        }
        return Math.max(estimate, 2 * oneNorm(solve(alternating)) / (3.0 * kept));
    }

    private static double oneNorm(double[] v) {
        double s = 0;
        for (double e : v) {
            s += Math.abs(e);
        }
        return s;
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
