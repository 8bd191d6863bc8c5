package dev.panamax.models.regression;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Row indices of a seeded hold-out split: the same seed and size give the same split on every machine. Indices
 * within each part are sorted, so the rows keep their file order.
 */
public record TrainTestSplit(int[] train, int[] test) {

    /**
     * Shuffles {@code rows} indices with {@code seed} and holds out {@code round(rows·testFraction)} of them (at
     * least one when the fraction is positive). A fraction of 0 keeps every row for training.
     */
    public static TrainTestSplit of(int rows, double testFraction, long seed) {
        if (!(testFraction >= 0 && testFraction < 1)) {
            throw new IllegalArgumentException("test fraction must be in [0, 1), got " + testFraction);
        }
        int testRows = testFraction == 0 ? 0 : Math.max(1, (int) Math.round(rows * testFraction));
        if (rows - testRows < 2) {
            throw new IllegalArgumentException("test fraction " + testFraction + " of " + rows + " rows leaves "
                    + (rows - testRows) + " for training; fitting needs at least 2");
        }
        int[] order = shuffled(rows, seed);
        int[] test = Arrays.copyOfRange(order, 0, testRows);
        int[] train = Arrays.copyOfRange(order, testRows, rows);
        Arrays.sort(test);
        Arrays.sort(train);
        return new TrainTestSplit(train, test);
    }

    /** 0..n-1 in a seeded random order (Fisher–Yates). */
    public static int[] shuffled(int n, long seed) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    /** The rows of {@code x} at {@code indices} (shared, not copied). */
    public static double[][] rows(double[][] x, int[] indices) {
        double[][] out = new double[indices.length][];
        for (int i = 0; i < indices.length; i++) {
            out[i] = x[indices[i]];
        }
        return out;
    }

    public static double[] values(double[] y, int[] indices) {
        double[] out = new double[indices.length];
        for (int i = 0; i < indices.length; i++) {
            out[i] = y[indices[i]];
        }
        return out;
    }

    public static int[] values(int[] y, int[] indices) {
        int[] out = new int[indices.length];
        for (int i = 0; i < indices.length; i++) {
            out[i] = y[indices[i]];
        }
        return out;
    }
}
