package dev.panamax.models.regression;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The closed form against numpy.linalg.lstsq (double precision, SVD) on the same CSV file: the target is a relative
 * error of 1e-4 on well-conditioned data with up to 100 features. Skipped, with the reason printed, where python3
 * with numpy is not installed.
 */
class NumpyComparisonTest {

    private static final String LSTSQ = """
            import sys, numpy as np
            data = np.loadtxt(sys.argv[1], delimiter=',', skiprows=1)
            x, y = data[:, :-1], data[:, -1]
            a = np.hstack([np.ones((x.shape[0], 1)), x])
            coef = np.linalg.lstsq(a, y, rcond=None)[0]
            print('\\n'.join(repr(float(c)) for c in coef))
            """;

    @TempDir
    Path dir;

    @Test
    void closedFormMatchesNumpyLstsqOn100CorrelatedFeatures() throws Exception {
        compare(3000, 100, 11);
    }

    @Test
    void closedFormMatchesNumpyLstsqOnFewFeaturesWithLargeOffsets() throws Exception {
        compare(200, 3, 12);
    }

    private void compare(int rows, int cols, long seed) throws Exception {
        double[][] x = correlatedFeatures(seed, rows, cols);
        double[] y = TestData.linear(x, TestData.weights(seed + 1, cols), 40.0, 5.0, seed + 2);
        Path csv = dir.resolve("data.csv");
        writeCsv(csv, x, y);
        double[] numpy = numpyLstsq(csv);

        Dataset data = Dataset.forRegression(CsvTable.read(csv), "y", null, null);
        LinearRegression model = new LinearRegression().fit(data.x(), data.y());
        double[] ours = new double[cols + 1];
        ours[0] = model.intercept();
        System.arraycopy(model.coefficients(), 0, ours, 1, cols);

        assertEquals(numpy.length, ours.length);
        double[] numpyWeights = java.util.Arrays.copyOfRange(numpy, 1, numpy.length);
        double weightError = TestData.relativeError(model.coefficients(), numpyWeights);
        double interceptError = Math.abs(ours[0] - numpy[0]) / Math.max(1, Math.abs(numpy[0]));
        System.out.printf(Locale.ROOT, "numpy lstsq vs closed form, %d x %d: max relative error %.2e (weights), "
                + "%.2e (intercept), %d refinement steps%n", rows, cols, weightError, interceptError,
                model.report().iterations());
        assertTrue(weightError < 1e-4, () -> "weights differ from numpy by " + weightError);
        assertTrue(interceptError < 1e-4, () -> "intercept differs from numpy by " + interceptError);
    }

    /** Features with offsets, mixed scales and neighbour correlation, still well-conditioned once centered. */
    static double[][] correlatedFeatures(long seed, int rows, int cols) {
        double[][] x = TestData.features(seed, rows, cols);
        SplittableRandom random = new SplittableRandom(seed ^ 0x5DEECE66DL);
        for (double[] row : x) {
            for (int j = cols - 1; j > 0; j--) {
                row[j] += 0.5 * row[j - 1] + 0.1 * random.nextGaussian();
            }
        }
        return x;
    }

    static void writeCsv(Path file, double[][] x, double[] y) throws IOException {
        StringBuilder s = new StringBuilder();
        for (int j = 0; j < x[0].length; j++) {
            s.append('x').append(j).append(',');
        }
        s.append("y\n");
        for (int i = 0; i < x.length; i++) {
            for (double v : x[i]) {
                s.append(v).append(',');
            }
            s.append(y[i]).append('\n');
        }
        Files.writeString(file, s.toString(), StandardCharsets.UTF_8);
    }

    private static double[] numpyLstsq(Path csv) throws Exception {
        Process process;
        try {
            process = new ProcessBuilder("python3", "-c", LSTSQ, csv.toString()).redirectErrorStream(true).start();
        } catch (IOException e) {
            Assumptions.abort("skipped: python3 is not installed (" + e.getMessage() + ")");
            throw e;
        }
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        if (process.exitValue() != 0) {
            String reason = out.contains("No module named") ? "numpy is not installed for python3" : out;
            System.out.println("NumpyComparisonTest skipped: " + reason);
            Assumptions.abort("skipped: " + reason);
        }
        List<Double> values = new ArrayList<>();
        for (String line : out.strip().split("\\R")) {
            values.add(Double.parseDouble(line));
        }
        return values.stream().mapToDouble(Double::doubleValue).toArray();
    }
}
