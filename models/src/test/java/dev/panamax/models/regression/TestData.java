package dev.panamax.models.regression;

import java.util.SplittableRandom;

/** Seeded synthetic data with a known answer. */
final class TestData {

    private TestData() {
    }

    /** Rows of independent N(mean_j, scale_j²) features, means and scales drawn per column. */
    static double[][] features(long seed, int rows, int cols) {
        SplittableRandom random = new SplittableRandom(seed);
        double[] means = new double[cols];
        double[] scales = new double[cols];
        for (int j = 0; j < cols; j++) {
            means[j] = random.nextDouble(-50, 50);
            scales[j] = random.nextDouble(0.5, 20);
        }
        double[][] x = new double[rows][cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                x[i][j] = means[j] + scales[j] * random.nextGaussian();
            }
        }
        return x;
    }

    static double[] weights(long seed, int cols) {
        SplittableRandom random = new SplittableRandom(seed);
        double[] w = new double[cols];
        for (int j = 0; j < cols; j++) {
            w[j] = random.nextDouble(-3, 3);
        }
        return w;
    }

    /** y = b + x·w + N(0, noise²). */
    static double[] linear(double[][] x, double[] w, double b, double noise, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double s = b;
            for (int j = 0; j < w.length; j++) {
                s += w[j] * x[i][j];
            }
            y[i] = s + noise * random.nextGaussian();
        }
        return y;
    }

    /** max |a − b| / max |b|. */
    static double relativeError(double[] a, double[] b) {
        double diff = 0;
        double scale = 0;
        for (int i = 0; i < a.length; i++) {
            diff = Math.max(diff, Math.abs(a[i] - b[i]));
            scale = Math.max(scale, Math.abs(b[i]));
        }
        return diff / scale;
    }
}
