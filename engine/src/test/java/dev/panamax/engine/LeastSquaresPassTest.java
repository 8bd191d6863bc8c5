package dev.panamax.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The least-squares passes in double ({@link Backend#crossProducts}, {@link Backend#residualGradient}): the SIMD
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
    void crossProductsMatchScalar(Case c) {
        SplittableRandom random = new SplittableRandom(c.seed());
        int d = c.d();
        int n = c.from() + c.rows();
        double[][] x = rows(random, n, d);
        double[] y = values(random, n, 50);
        double[] center = values(random, d + 1, 1000);
        // Both add to the same starting sums, and the entries above the diagonal must stay as they were.
        double[] sum = values(random, d, 0);
        double[] cross = values(random, d, 0);
        double[] gram = values(random, d * d, 0);
        double[] expectedSum = sum.clone();
        double[] expectedCross = cross.clone();
        double[] expectedGram = gram.clone();
        double expectedTarget = SCALAR.crossProducts(x, y, c.from(), n, center, expectedGram, expectedSum,
                expectedCross);
        double actualTarget = SIMD.crossProducts(x, y, c.from(), n, center, gram, sum, cross);
        // The sums differ only in the order of their additions (and the SIMD kernel's fused multiply-adds): each
        // is within the classic bound n·u·Σ|terms| of the exact sum, so they are within twice that.
        double[] sumMagnitude = new double[d];
        double[] crossMagnitude = new double[d];
        double[] gramMagnitude = new double[d * d];
        double targetMagnitude = 0;
        for (int i = c.from(); i < n; i++) {
            double t = y[i] - center[d];
            targetMagnitude += Math.abs(t);
            for (int j = 0; j < d; j++) {
                double v = x[i][j] - center[j];
                sumMagnitude[j] += Math.abs(v);
                crossMagnitude[j] += Math.abs(v * t);
                for (int k = 0; k <= j; k++) {
                    gramMagnitude[j * d + k] += Math.abs(v * (x[i][k] - center[k]));
                }
            }
        }
        assertClose(expectedTarget, actualTarget, c.rows(), targetMagnitude, "Σt");
        for (int j = 0; j < d; j++) {
            assertClose(expectedSum[j], sum[j], c.rows() + 1, sumMagnitude[j] + Math.abs(expectedSum[j]),
                    "sum column " + j);
            assertClose(expectedCross[j], cross[j], c.rows() + 1, crossMagnitude[j] + Math.abs(expectedCross[j]),
                    "crossTarget column " + j);
            for (int k = 0; k < d; k++) {
                int at = j * d + k;
                if (k <= j) {
                    assertClose(expectedGram[at], gram[at], c.rows() + 2,
                            gramMagnitude[at] + Math.abs(expectedGram[at]), "gram[" + j + "][" + k + "]");
                } else {
                    assertEquals(expectedGram[at], gram[at], "gram[" + j + "][" + k + "] is above the diagonal");
                }
            }
        }
    }

    /**
     * Many rows (several of the SIMD kernel's chunks, which hold the running Gram in an accumulator between them)
     * and then a second call with another width on the same thread: its reused buffers must not leak values.
     */
    @Test
    void crossProductsOverManyChunksAndChangingWidths() {
        SplittableRandom random = new SplittableRandom(7);
        for (int d : new int[] {19, 64, 5, 33}) {
            int n = 1_003;
            double[][] x = rows(random, n, d);
            double[] y = values(random, n, 50);
            double[] center = values(random, d + 1, 1000);
            double[] expectedGram = new double[d * d];
            double[] actualGram = new double[d * d];
            double[] expectedSum = new double[d];
            double[] actualSum = new double[d];
            SCALAR.crossProducts(x, y, 0, n, center, expectedGram, expectedSum, new double[d]);
            SIMD.crossProducts(x, y, 0, n, center, actualGram, actualSum, new double[d]);
            for (int j = 0; j < d; j++) {
                for (int k = 0; k <= j; k++) {
                    double magnitude = 0;
                    for (double[] row : x) {
                        magnitude += Math.abs((row[j] - center[j]) * (row[k] - center[k]));
                    }
                    assertClose(expectedGram[j * d + k], actualGram[j * d + k], n, magnitude,
                            "d=" + d + " gram[" + j + "][" + k + "]");
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
    void crossProductsOfAnEmptyRangeChangeNothing() {
        double[][] x = {{1, 2}};
        double[] sum = new double[2];
        double[] gram = new double[4];
        double t = SIMD.crossProducts(x, new double[] {3}, 1, 1, new double[3], gram, sum, new double[2]);
        assertEquals(0, t);
        assertArrayEquals(new double[2], sum);
        assertArrayEquals(new double[4], gram);
    }

    @Test
    void badArgumentsAreNamed() {
        double[][] x = {{1, 2}, {3, 4, 5}};
        double[] y = {1, 2};
        IllegalArgumentException ragged = assertThrows(IllegalArgumentException.class,
                () -> SIMD.crossProducts(x, y, 0, 2, new double[3], new double[4], new double[2], new double[2]));
        assertTrue(ragged.getMessage().contains("row 1 of x has 3 values, expected d = 2"), ragged.getMessage());
        IllegalArgumentException range = assertThrows(IllegalArgumentException.class,
                () -> SIMD.residualGradient(x, y, 1, 3, 0, new double[2], new double[2], new double[2]));
        assertTrue(range.getMessage().contains("rows [1, 3)"), range.getMessage());
        IllegalArgumentException center = assertThrows(IllegalArgumentException.class,
                () -> SCALAR.crossProducts(x, y, 0, 1, new double[2], new double[4], new double[2], new double[2]));
        assertTrue(center.getMessage().contains("center has 2 entries, expected d + 1"), center.getMessage());
        IllegalArgumentException gram = assertThrows(IllegalArgumentException.class,
                () -> SIMD.crossProducts(x, y, 0, 1, new double[3], new double[3], new double[2], new double[2]));
        assertTrue(gram.getMessage().contains("gram has 3 entries, expected d × d = 4"), gram.getMessage());
    }

    /** Within twice the rounding bound {@code terms·u·magnitude} (u = 2⁻⁵³) of a sum of that many terms. */
    private static void assertClose(double expected, double actual, int terms, double magnitude, String what) {
        double tolerance = 2 * terms * 0x1p-53 * magnitude;
        assertEquals(expected, actual, tolerance, what);
    }
}
