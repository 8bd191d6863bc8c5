package dev.panamax.models.regression;

import java.util.List;

/**
 * Input validation shared by the estimators: bad input fails at the API boundary with the operation, the row and
 * the column (by name when the caller gave names), instead of turning into NaN coefficients later.
 */
final class Checks {

    private Checks() {
    }

    /** Checks that {@code x} is a non-empty rectangular matrix of finite numbers; returns its column count. */
    static int matrix(String op, double[][] x, List<String> featureNames) {
        int cols = rectangular(op, x);
        for (int i = 0; i < x.length; i++) {
            double[] row = x[i];
            for (int j = 0; j < cols; j++) {
                if (!Double.isFinite(row[j])) {
                    throw new IllegalArgumentException(op + ": x row " + i + ", " + column(featureNames, j) + " is "
                            + row[j] + "; every value must be a finite number");
                }
            }
        }
        return cols;
    }

    /**
     * The shape half of {@link #matrix}: rows present and of equal length, values not looked at (a caller that
     * streams the values anyway checks them on the way and calls {@link #matrix} only to name a bad one).
     */
    static int rectangular(String op, double[][] x) {
        if (x == null || x.length == 0) {
            throw new IllegalArgumentException(op + ": x has no rows");
        }
        if (x[0] == null || x[0].length == 0) {
            throw new IllegalArgumentException(op + ": x has no columns (no features)");
        }
        int cols = x[0].length;
        for (int i = 0; i < x.length; i++) {
            double[] row = x[i];
            if (row == null || row.length != cols) {
                throw new IllegalArgumentException(op + ": row " + i + " of x has "
                        + (row == null ? "no values" : row.length + " values") + ", row 0 has " + cols);
            }
        }
        return cols;
    }

    /** Checks that x has {@code expected} columns (predicting with a fitted model). */
    static void columns(String op, double[][] x, int expected, List<String> featureNames) {
        int cols = matrix(op, x, featureNames);
        if (cols != expected) {
            throw new IllegalArgumentException(op + ": x has " + cols + " columns, but the model was fitted on "
                    + expected);
        }
    }

    /** Checks regression targets: one finite value per row of x. */
    static void targets(String op, double[] y, int rows) {
        if (y == null || y.length != rows) {
            throw new IllegalArgumentException(op + ": y has " + (y == null ? "no" : y.length) + " values, x has "
                    + rows + " rows");
        }
        for (int i = 0; i < y.length; i++) {
            if (!Double.isFinite(y[i])) {
                throw new IllegalArgumentException(op + ": y row " + i + " is " + y[i]
                        + "; every target must be a finite number");
            }
        }
    }

    /** Checks class labels 0..K-1 (one per row); returns K, the largest label plus one. */
    static int labels(String op, int[] y, int rows) {
        if (y == null || y.length != rows) {
            throw new IllegalArgumentException(op + ": y has " + (y == null ? "no" : y.length) + " labels, x has "
                    + rows + " rows");
        }
        int max = 0;
        for (int i = 0; i < y.length; i++) {
            if (y[i] < 0) {
                throw new IllegalArgumentException(op + ": label of row " + i + " is " + y[i]
                        + "; labels are class indices 0, 1, ..., K-1");
            }
            max = Math.max(max, y[i]);
        }
        int[] counts = new int[max + 1];
        for (int label : y) {
            counts[label]++;
        }
        for (int k = 0; k < counts.length; k++) {
            if (counts[k] == 0) {
                throw new IllegalArgumentException(op + ": class " + k + " has no rows; labels must be 0.."
                        + max + " with every class present");
            }
        }
        if (counts.length < 2) {
            throw new IllegalArgumentException(op + ": every row has label 0; classification needs at least 2 "
                    + "classes");
        }
        return counts.length;
    }

    /** At least two rows: one row cannot determine both an intercept and a slope. */
    static void atLeastTwoRows(String op, int rows) {
        if (rows < 2) {
            throw new IllegalArgumentException(op + ": x has " + rows + " row; fitting needs at least 2 rows");
        }
    }

    static void positive(String op, String parameter, double value) {
        if (!(value > 0) || !Double.isFinite(value)) {
            throw new IllegalArgumentException(op + ": " + parameter + " must be a finite number > 0, got " + value);
        }
    }

    static void nonNegative(String op, String parameter, double value) {
        if (!(value >= 0) || !Double.isFinite(value)) {
            throw new IllegalArgumentException(op + ": " + parameter + " must be a finite number >= 0, got "
                    + value);
        }
    }

    /** "column 'hp'" when names are known, else "column 3". */
    static String column(List<String> names, int j) {
        return names != null && j < names.size() ? "column '" + names.get(j) + "'" : "column " + j;
    }

    /** "feature 'hp'" when names are known, else "feature 3". */
    static String feature(List<String> names, int j) {
        return names != null && j < names.size() ? "feature '" + names.get(j) + "'" : "feature " + j;
    }
}
