package dev.panamax.models.regression;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The factorization's solves and its condition estimate, against explicit inverses. */
class CholeskyTest {

    /**
     * Hager's estimate of ‖A⁻¹‖₁ decides whether a fit is refined: it must never exceed the true norm (up to
     * rounding) and, on these matrices, stay within a factor 3 below it, over condition numbers from 1 to 1e12.
     */
    @Test
    void inverseNormEstimateIsCloseToTheExactNorm() {
        SplittableRandom random = new SplittableRandom(11);
        for (int trial = 0; trial < 60; trial++) {
            int n = 1 + random.nextInt(40);
            double[][] a = randomSpd(random, n, Math.pow(10, random.nextInt(13)));
            Cholesky cholesky = Cholesky.factor(a, 0);
            double exact = 0;
            for (int j = 0; j < n; j++) {
                double[] e = new double[n];
                e[j] = 1;
                double[] column = cholesky.solve(e);
                double sum = 0;
                for (double v : column) {
                    sum += Math.abs(v);
                }
                exact = Math.max(exact, sum);
            }
            double estimate = cholesky.inverseOneNormEstimate();
            String what = "n=" + n + " trial " + trial + ": estimate " + estimate + ", exact " + exact;
            assertTrue(estimate <= exact * (1 + 1e-9), what);
            assertTrue(estimate >= exact / 3, what);
        }
    }

    @Test
    void droppedColumnsAreLeftOutOfTheEstimate() {
        // Column 2 repeats column 0: it is dropped, and the estimate is that of the 2 × 2 system kept.
        double[][] a = {{4, 1, 4}, {1, 2, 1}, {4, 1, 4}};
        Cholesky cholesky = Cholesky.factor(a, 1e-9);
        assertEquals(java.util.List.of(2), cholesky.droppedColumns());
        // inverse of [[4, 1], [1, 2]] is [[2, -1], [-1, 4]] / 7: column sums 3/7 and 5/7
        assertEquals(5.0 / 7, cholesky.inverseOneNormEstimate(), 1e-12);
    }

    /** Q·diag(σ)·Qᵀ with singular values spread log-uniformly from 1 to 1/condition, Q from random reflections. */
    private static double[][] randomSpd(SplittableRandom random, int n, double condition) {
        double[][] a = new double[n][n];
        for (int i = 0; i < n; i++) {
            a[i][i] = n == 1 ? 1 : Math.pow(condition, -(double) i / (n - 1));
        }
        for (int reflection = 0; reflection < 3; reflection++) {
            double[] v = new double[n];
            double norm = 0;
            for (int i = 0; i < n; i++) {
                v[i] = random.nextGaussian();
                norm += v[i] * v[i];
            }
            // a = H·a·H with H = I − 2vvᵀ/‖v‖²
            double[] av = new double[n];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    av[i] += a[i][j] * v[j];
                }
            }
            double vav = 0;
            for (int i = 0; i < n; i++) {
                vav += v[i] * av[i];
            }
            double c = 2 / norm;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    a[i][j] += -c * (v[i] * av[j] + av[i] * v[j]) + c * c * vav * v[i] * v[j];
                }
            }
        }
        return a;
    }
}
