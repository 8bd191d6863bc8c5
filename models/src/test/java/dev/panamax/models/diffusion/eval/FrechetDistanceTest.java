package dev.panamax.models.diffusion.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FrechetDistanceTest {

    @TempDir
    Path dir;

    /** n correlated feature vectors of dimension d: x = A·z + shift, z ~ N(0, I). */
    private static double[][] features(int n, int d, long seed, double shift) {
        SplittableRandom random = new SplittableRandom(seed);
        double[][] mix = new double[d][d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                mix[i][j] = random.nextGaussian() / Math.sqrt(d) + (i == j ? 1 : 0);
            }
        }
        double[][] x = new double[n][d];
        for (int r = 0; r < n; r++) {
            double[] z = new double[d];
            for (int j = 0; j < d; j++) {
                z[j] = random.nextGaussian();
            }
            for (int i = 0; i < d; i++) {
                double sum = shift;
                for (int j = 0; j < d; j++) {
                    sum += mix[i][j] * z[j];
                }
                x[r][i] = sum;
            }
        }
        return x;
    }

    @Test
    void jacobiDiagonalisesASymmetricMatrix() {
        int n = 23;
        double[][] b = features(n, n, 5, 0);
        double[][] a = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                a[i][j] = b[i][j] + b[j][i];
            }
        }
        SymmetricEigen eigen = SymmetricEigen.of(a);
        double[] values = eigen.values();
        double[][] v = eigen.vectors();
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double av = 0;
                double vtv = 0;
                for (int k = 0; k < n; k++) {
                    av += a[i][k] * v[k][j];
                    vtv += v[k][i] * v[k][j];
                }
                assertEquals(values[j] * v[i][j], av, 1e-10, "A·v = λ·v at (" + i + ", " + j + ")");
                assertEquals(i == j ? 1 : 0, vtv, 1e-12, "orthonormal eigenvectors");
            }
        }
        // The square root of A·Aᵀ (positive definite) squares back to it.
        double[][] spd = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                for (int k = 0; k < n; k++) {
                    spd[i][j] += a[i][k] * a[j][k];
                }
            }
        }
        double[][] root = SymmetricEigen.of(spd).sqrtPsd();
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double sq = 0;
                for (int k = 0; k < n; k++) {
                    sq += root[i][k] * root[k][j];
                }
                assertEquals(spd[i][j], sq, 1e-9 * Math.abs(spd[i][i]) + 1e-9);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> SymmetricEigen.of(new double[][] {{1, 2}, {3, 4}}));
    }

    @Test
    void identicalSetsAreAtDistanceZero() {
        double[][] x = features(300, 16, 1, 0);
        assertEquals(0, FrechetDistance.between(x, x), 1e-9);
    }

    @Test
    void shiftingTheMeanAddsItsSquaredLength() {
        double[][] x = features(400, 12, 2, 0);
        double[][] y = new double[x.length][x[0].length];
        double expected = 0;
        for (int j = 0; j < x[0].length; j++) {
            double delta = 0.1 * (j - 5);
            expected += delta * delta;
            for (int r = 0; r < x.length; r++) {
                y[r][j] = x[r][j] + delta;
            }
        }
        assertEquals(expected, FrechetDistance.between(x, y), 1e-9);
    }

    @Test
    void diagonalCovariancesHaveTheClosedForm() {
        double[] a = {1, 4, 0.25, 9, 2};
        double[] b = {4, 1, 1, 9, 0.5};
        double[][] covA = new double[5][5];
        double[][] covB = new double[5][5];
        double expected = 0;
        for (int i = 0; i < 5; i++) {
            covA[i][i] = a[i];
            covB[i][i] = b[i];
            expected += Math.pow(Math.sqrt(a[i]) - Math.sqrt(b[i]), 2);
        }
        double[] meanA = {0, 0, 0, 0, 0};
        double[] meanB = {1, 0, 0, 0, 2};
        expected += 1 + 4;
        double d = FrechetDistance.between(new FrechetDistance.Gaussian(meanA, covA, 10),
                new FrechetDistance.Gaussian(meanB, covB, 10));
        assertEquals(expected, d, 1e-12);
    }

    @Test
    void singularCovariancesAreHandled() {
        // Features with a constant (zero-variance) dimension, as a dead unit gives.
        double[][] x = features(200, 6, 3, 0);
        double[][] y = features(200, 6, 4, 0.5);
        for (int r = 0; r < 200; r++) {
            x[r][2] = 1;
            y[r][2] = 1;
        }
        double d = FrechetDistance.between(x, y);
        assertTrue(Double.isFinite(d) && d > 0, "distance " + d);
    }

    @Test
    void badInputIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> FrechetDistance.between(new double[][] {{1, 2}},
                new double[][] {{1, 2}, {3, 4}}));
        assertThrows(IllegalArgumentException.class, () -> FrechetDistance.between(features(5, 3, 1, 0),
                features(5, 4, 1, 0)));
        double[][] nan = features(5, 3, 1, 0);
        nan[2][1] = Double.NaN;
        var e = assertThrows(IllegalArgumentException.class, () -> FrechetDistance.between(nan, nan));
        assertTrue(e.getMessage().contains("NaN"), e.getMessage());
    }

    @Test
    void agreesWithScipy() throws Exception {
        Assumptions.assumeTrue(pythonHasScipy(), "python3 with numpy and scipy is not installed; the comparison "
                + "with scipy.linalg.sqrtm is skipped");
        double[][] x = features(300, 64, 7, 0);
        double[][] y = features(250, 64, 8, 0.2);
        Path a = csv(x, "a.csv");
        Path b = csv(y, "b.csv");
        String script = String.join("\n",
                "import sys, numpy as np, scipy.linalg",
                "a = np.loadtxt(sys.argv[1], delimiter=','); b = np.loadtxt(sys.argv[2], delimiter=',')",
                "m1, m2 = a.mean(0), b.mean(0); s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)",
                "covmean = scipy.linalg.sqrtm(s1 @ s2).real",
                "print(repr(float(((m1 - m2) ** 2).sum() + np.trace(s1 + s2 - 2 * covmean))))");
        Path py = dir.resolve("fid.py");
        Files.writeString(py, script);
        String out = run("python3", py.toString(), a.toString(), b.toString());
        double expected = Double.parseDouble(out.trim());
        double actual = FrechetDistance.between(x, y);
        assertEquals(expected, actual, 1e-8 * expected, "scipy " + expected + ", ours " + actual);
    }

    private Path csv(double[][] rows, String name) throws IOException {
        StringBuilder s = new StringBuilder();
        for (double[] row : rows) {
            for (int j = 0; j < row.length; j++) {
                s.append(j > 0 ? "," : "").append(String.format(Locale.ROOT, "%.17g", row[j]));
            }
            s.append('\n');
        }
        return Files.writeString(dir.resolve(name), s.toString());
    }

    private static boolean pythonHasScipy() {
        try {
            run("python3", "-c", "import numpy, scipy.linalg");
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    private static String run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + out);
        }
        return out;
    }
}
