package dev.panamax.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The least-squares passes in double ({@link Backend#centerRows}, {@link Backend#residualGradient}): the SIMD
 * kernels against the scalar reference over random shapes, including widths that are not whole vectors and row
 * ranges that leave a remainder of the kernels' four-row sweeps, plus the argument checks.
 */
class LeastSquaresPassTest {

    private static final int[] WIDTHS = {1, 2, 3, 4, 7, 8, 15, 16, 17, 31, 33, 64, 65};
    private static final int[] ROWS = {1, 2, 3, 4, 5, 7, 8, 17, 100};
    private static final Backend SCALAR = new ScalarBackend();
    private static final Backend SIMD = new SimdBackend();

    record Case(int d, int rows, int from, long seed) {
        @Override
        public String toString() {
            return "d=" + d + " rows=" + rows + " from=" + from;
        }
    }

    static Stream<Case> cases() {
        SplittableRandom random = new SplittableRandom(20261129);
        List<Case> cases = new ArrayList<>();
        for (int d : WIDTHS) {
            for (int rows : ROWS) {
                if (random.nextInt(3) == 0 || d == 64 || rows == 5) {
                    cases.add(new Case(d, rows, random.nextInt(3), random.nextLong()));
                }
            }
        }
        return cases.stream();
    }

    /** Rows around a large common offset, as real features often are (the center removes it). */
    private static double[][] rows(SplittableRandom random, int n, int d) {
        double[][] x = new double[n][d];
        for (double[] row : x) {
            for (int j = 0; j < d; j++) {
                row[j] = 1000 + j + random.nextGaussian() * (1 + j % 5);
            }
        }
        return x;
    }

    private static double[] values(SplittableRandom random, int n, double offset) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = offset + random.nextGaussian();
        }
        return v;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void centerRowsMatchesScalar(Case c) {
        SplittableRandom random = new SplittableRandom(c.seed());
        int n = c.from() + c.rows();
        double[][] x = rows(random, n, c.d());
        double[] y = values(random, n, 50);
        double[] center = values(random, c.d() + 1, 1000);
        double[] scale = values(random, c.d(), 2);
        double[][] expected = new double[3][c.d()];
        double[][] actual = new double[3][c.d()];
        try (Arena arena = Arena.ofShared()) {
            Tensor expectedBlock = Tensor.zeros(arena, c.rows(), c.d());
            Tensor actualBlock = Tensor.zeros(arena, c.rows(), c.d());
            double expectedTarget = SCALAR.centerRows(x, y, c.from(), n, center, scale, expectedBlock,
                    expected[0], expected[1], expected[2]);
            double actualTarget = SIMD.centerRows(x, y, c.from(), n, center, scale, actualBlock,
                    actual[0], actual[1], actual[2]);
            // The block is v·scale rounded to float, computed the same way by both: identical.
            assertArrayEquals(expectedBlock.toArray(), actualBlock.toArray(), "block");
            // The sums differ only in the order of their additions (and the SIMD kernel's fused multiply-adds):
            // each is within the classic bound n·u·Σ|terms| of the exact sum, so they are within twice that.
            double[][] magnitudes = new double[3][c.d()];
            double targetMagnitude = 0;
            for (int i = c.from(); i < n; i++) {
                double t = y[i] - center[c.d()];
                targetMagnitude += Math.abs(t);
                for (int j = 0; j < c.d(); j++) {
                    double v = x[i][j] - center[j];
                    magnitudes[0][j] += Math.abs(v);
                    magnitudes[1][j] += v * v;
                    magnitudes[2][j] += Math.abs(v * t);
                }
            }
            assertClose(expectedTarget, actualTarget, c.rows(), targetMagnitude, "Σt");
            for (int s = 0; s < 3; s++) {
                for (int j = 0; j < c.d(); j++) {
                    assertClose(expected[s][j], actual[s][j], c.rows() + 1, magnitudes[s][j],
                            "sum " + s + " column " + j);
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void residualGradientMatchesScalar(Case c) {
        SplittableRandom random = new SplittableRandom(c.seed());
        int n = c.from() + c.rows();
        double[][] x = rows(random, n, c.d());
        double[] y = values(random, n, 50);
        double[] coefficients = values(random, c.d(), 0);
        double[] means = values(random, c.d(), 1000);
        double intercept = random.nextGaussian();
        double[] expected = values(random, c.d(), 0);        // both add to the same starting gradient
        double[] actual = expected.clone();
        SCALAR.residualGradient(x, y, c.from(), n, intercept, coefficients, means, expected);
        SIMD.residualGradient(x, y, c.from(), n, intercept, coefficients, means, actual);
        // Each residual carries the rounding of a d-term dot product (relative to |y| + |b| + Σ|xc|), and the
        // gradient that of an n-term sum: the bound is (d + n + 2)·u times the sum of the terms' magnitudes.
        for (int j = 0; j < c.d(); j++) {
            double magnitude = 0;
            for (int i = c.from(); i < n; i++) {
                double residualMagnitude = Math.abs(y[i]) + Math.abs(intercept);
                for (int k = 0; k < c.d(); k++) {
                    residualMagnitude += Math.abs(x[i][k] * coefficients[k]);
                }
                magnitude += Math.abs(x[i][j] - means[j]) * residualMagnitude;
            }
            assertClose(expected[j], actual[j], c.d() + c.rows() + 2, magnitude + Math.abs(expected[j]),
                    "gradient " + j);
        }
    }

    @Test
    void centerRowsOfAnEmptyRangeChangesNothing() {
        double[][] x = {{1, 2}};
        double[] sum = new double[2];
        try (Arena arena = Arena.ofShared()) {
            double t = SIMD.centerRows(x, new double[] {3}, 1, 1, new double[3], new double[] {1, 1},
                    Tensor.zeros(arena, 1, 2), sum, new double[2], new double[2]);
            assertEquals(0, t);
            assertArrayEquals(new double[2], sum);
        }
    }

    @Test
    void badArgumentsAreNamed() {
        double[][] x = {{1, 2}, {3, 4, 5}};
        double[] y = {1, 2};
        try (Arena arena = Arena.ofShared()) {
            Tensor block = Tensor.zeros(arena, 2, 2);
            IllegalArgumentException ragged = assertThrows(IllegalArgumentException.class,
                    () -> SIMD.centerRows(x, y, 0, 2, new double[3], new double[2], block, new double[2],
                            new double[2], new double[2]));
            assertTrue(ragged.getMessage().contains("row 1 of x has 3 values, expected d = 2"), ragged.getMessage());
            IllegalArgumentException range = assertThrows(IllegalArgumentException.class,
                    () -> SIMD.residualGradient(x, y, 1, 3, 0, new double[2], new double[2], new double[2]));
            assertTrue(range.getMessage().contains("rows [1, 3)"), range.getMessage());
            IllegalArgumentException center = assertThrows(IllegalArgumentException.class,
                    () -> SCALAR.centerRows(x, y, 0, 1, new double[2], new double[2], block, new double[2],
                            new double[2], new double[2]));
            assertTrue(center.getMessage().contains("center has 2 entries, expected d + 1"), center.getMessage());
            IllegalArgumentException small = assertThrows(IllegalArgumentException.class,
                    () -> SIMD.centerRows(new double[][] {{1, 2}, {3, 4}, {5, 6}}, new double[3], 0, 3,
                            new double[3], new double[2], block, new double[2], new double[2], new double[2]));
            assertTrue(small.getMessage().contains("fewer than 3 rows × 2"), small.getMessage());
        }
    }

    /** Within twice the rounding bound {@code terms·u·magnitude} (u = 2⁻⁵³) of a sum of that many terms. */
    private static void assertClose(double expected, double actual, int terms, double magnitude, String what) {
        double tolerance = 2 * terms * 0x1p-53 * magnitude;
        assertEquals(expected, actual, tolerance, what);
    }
}
