package dev.panamax.models.diffusion.eval;

/**
 * The eigen-decomposition A = V·diag(λ)·Vᵀ of a real symmetric matrix, by the cyclic Jacobi method in double:
 * each rotation zeroes one off-diagonal pair, and sweeps over all pairs repeat until the off-diagonal part is
 * negligible. Slow for large matrices (O(n³) per sweep) but simple, unconditionally stable and accurate to a few
 * ulps, which is what a 64×64 feature covariance needs.
 */
public final class SymmetricEigen {

    private static final int MAX_SWEEPS = 100;

    private final double[] values;
    private final double[][] vectors;   // column j is the eigenvector of values[j]

    private SymmetricEigen(double[] values, double[][] vectors) {
        this.values = values;
        this.vectors = vectors;
    }

    /** Decomposes {@code a} (square and symmetric to within rounding; it is not modified). */
    public static SymmetricEigen of(double[][] a) {
        int n = a.length;
        double scale = 0;
        for (int i = 0; i < n; i++) {
            if (a[i].length != n) {
                throw new IllegalArgumentException("SymmetricEigen: the matrix must be square, row " + i + " has "
                        + a[i].length + " columns, not " + n);
            }
            for (int j = 0; j < n; j++) {
                if (!Double.isFinite(a[i][j])) {
                    throw new IllegalArgumentException("SymmetricEigen: element (" + i + ", " + j + ") is " + a[i][j]);
                }
                scale = Math.max(scale, Math.abs(a[i][j]));
            }
        }
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < i; j++) {
                if (Math.abs(a[i][j] - a[j][i]) > 1e-9 * Math.max(scale, Double.MIN_NORMAL)) {
                    throw new IllegalArgumentException("SymmetricEigen: the matrix is not symmetric: (" + i + ", " + j
                            + ") is " + a[i][j] + " but (" + j + ", " + i + ") is " + a[j][i]);
                }
            }
        }
        double[][] m = new double[n][n];
        double[][] v = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                m[i][j] = 0.5 * (a[i][j] + a[j][i]);
            }
            v[i][i] = 1;
        }
        for (int sweep = 0; sweep < MAX_SWEEPS && offDiagonal(m) > 1e-30 * diagonal(m) + Double.MIN_NORMAL; sweep++) {
            for (int p = 0; p < n - 1; p++) {
                for (int q = p + 1; q < n; q++) {
                    rotate(m, v, p, q);
                }
            }
        }
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
            values[i] = m[i][i];
        }
        return new SymmetricEigen(values, v);
    }

    /**
     * The Jacobi rotation in the (p, q) plane that zeroes m[p][q]: m ← Pᵀ·m·P and v ← v·P, with P the identity
     * except P[p][p] = P[q][q] = c, P[p][q] = s, P[q][p] = −s (Numerical Recipes' formulas for t = tan θ).
     */
    private static void rotate(double[][] m, double[][] v, int p, int q) {
        double apq = m[p][q];
        if (apq == 0) {
            return;
        }
        double theta = (m[q][q] - m[p][p]) / (2 * apq);
        double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        if (theta == 0) {
            t = 1;
        }
        double c = 1 / Math.sqrt(t * t + 1);
        double s = t * c;
        int n = m.length;
        for (int k = 0; k < n; k++) {          // columns p and q: m·P
            double kp = m[k][p];
            double kq = m[k][q];
            m[k][p] = c * kp - s * kq;
            m[k][q] = s * kp + c * kq;
        }
        for (int k = 0; k < n; k++) {          // rows p and q: Pᵀ·(m·P)
            double pk = m[p][k];
            double qk = m[q][k];
            m[p][k] = c * pk - s * qk;
            m[q][k] = s * pk + c * qk;
        }
        m[p][q] = 0;                           // exactly, rather than rounding noise
        m[q][p] = 0;
        for (int k = 0; k < n; k++) {
            double kp = v[k][p];
            double kq = v[k][q];
            v[k][p] = c * kp - s * kq;
            v[k][q] = s * kp + c * kq;
        }
    }

    private static double offDiagonal(double[][] m) {
        double sum = 0;
        for (int i = 0; i < m.length; i++) {
            for (int j = 0; j < m.length; j++) {
                if (i != j) {
                    sum += m[i][j] * m[i][j];
                }
            }
        }
        return sum;
    }

    private static double diagonal(double[][] m) {
        double sum = 0;
        for (int i = 0; i < m.length; i++) {
            sum += m[i][i] * m[i][i];
        }
        return sum;
    }

    /** The eigenvalues, in no particular order (a copy). */
    public double[] values() {
        return values.clone();
    }

    /** The eigenvectors as columns: column j belongs to {@code values()[j]} (a copy). */
    public double[][] vectors() {
        double[][] copy = new double[vectors.length][];
        for (int i = 0; i < vectors.length; i++) {
            copy[i] = vectors[i].clone();
        }
        return copy;
    }

    /**
     * V·diag(√max(λ, 0))·Vᵀ: the symmetric positive semi-definite square root, treating eigenvalues below zero
     * (rounding noise of a semi-definite matrix) as zero.
     */
    public double[][] sqrtPsd() {
        int n = values.length;
        double[] root = new double[n];
        for (int j = 0; j < n; j++) {
            root[j] = Math.sqrt(Math.max(values[j], 0));
        }
        double[][] out = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int k = i; k < n; k++) {
                double sum = 0;
                for (int j = 0; j < n; j++) {
                    sum += vectors[i][j] * root[j] * vectors[k][j];
                }
                out[i][k] = sum;
                out[k][i] = sum;
            }
        }
        return out;
    }
}
