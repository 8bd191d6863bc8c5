package dev.panamax.models.regression;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Features and a named target taken from a {@link CsvTable}: numeric columns as they are, categorical columns one-hot
 * encoded on request, the target as numbers (regression) or as class labels (classification).
 *
 * <p>One-hot encoding makes one 0/1 column {@code name=value} per category except the first in sorted order,
 * which the intercept absorbs (with all of them, the columns would sum to the intercept's column of ones and
 * XᵀX would be singular).
 *
 * <p>A cell that is not a plain decimal number (empty, text, NaN, Infinity) is an error naming the file, the line
 * and the column.
 */
public final class Dataset {

    private static final Pattern NUMBER = Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");
    private static final Set<String> NON_FINITE = Set.of("nan", "+nan", "-nan", "inf", "+inf", "-inf", "infinity",
            "+infinity", "-infinity");

    private final List<String> featureNames;
    private final double[][] x;
    private final String targetName;
    private final double[] y;
    private final List<String> classLabels;
    private final int[] classes;

    private Dataset(List<String> featureNames, double[][] x, String targetName, double[] y, List<String> classLabels,
                    int[] classes) {
        this.featureNames = featureNames;
        this.x = x;
        this.targetName = targetName;
        this.y = y;
        this.classLabels = classLabels;
        this.classes = classes;
    }

    /**
     * A numeric target. {@code features} lists the feature columns in order (null or empty: every column except
     * the target); {@code oneHot} names the columns among them to encode as categories.
     */
    public static Dataset forRegression(CsvTable table, String target, List<String> features,
                                        Collection<String> oneHot) {
        int t = table.column(target);
        double[] y = new double[table.rowCount()];
        for (int i = 0; i < y.length; i++) {
            y[i] = number(table, i, t);
        }
        FeatureColumns f = features(table, target, features, oneHot);
        return new Dataset(f.names, f.values, target, y, null, null);
    }

    /**
     * A class label target: its distinct values, sorted (by value when they are all numbers), become classes
     * 0..K-1. Features as in {@link #forRegression}.
     */
    public static Dataset forClassification(CsvTable table, String target, List<String> features,
                                            Collection<String> oneHot) {
        int t = table.column(target);
        String[] raw = new String[table.rowCount()];
        for (int i = 0; i < raw.length; i++) {
            raw[i] = table.cell(i, t);
            if (raw[i].isEmpty()) {
                throw new IllegalArgumentException(where(table, i, t) + ": empty class label");
            }
        }
        List<String> labels = sortedCategories(Arrays.asList(raw));
        if (labels.size() < 2) {
            throw new IllegalArgumentException("target column '" + target + "' in " + table.source()
                    + " has only one class (" + labels.getFirst() + "); classification needs at least 2");
        }
        int[] classes = new int[raw.length];
        for (int i = 0; i < raw.length; i++) {
            classes[i] = labels.indexOf(raw[i]);
        }
        FeatureColumns f = features(table, target, features, oneHot);
        return new Dataset(f.names, f.values, target, null, List.copyOf(labels), classes);
    }

    private record FeatureColumns(List<String> names, double[][] values) {
    }

    private static FeatureColumns features(CsvTable table, String target, List<String> requested,
                                           Collection<String> oneHot) {
        List<String> columns = new ArrayList<>();
        if (requested == null || requested.isEmpty()) {
            for (String name : table.header()) {
                if (!name.equals(target)) {
                    columns.add(name);
                }
            }
        } else {
            for (String name : new LinkedHashSet<>(requested)) {
                table.column(name);
                if (name.equals(target)) {
                    throw new IllegalArgumentException("column '" + name + "' is the target; it cannot also be a "
                            + "feature");
                }
                columns.add(name);
            }
        }
        Set<String> categorical = oneHot == null ? Set.of() : Set.copyOf(oneHot);
        for (String name : categorical) {
            table.column(name);
            if (!columns.contains(name)) {
                throw new IllegalArgumentException("one-hot column '" + name + "' is not among the features "
                        + columns);
            }
        }
        int rows = table.rowCount();
        List<String> names = new ArrayList<>();
        List<double[]> valuesByColumn = new ArrayList<>();
        for (String name : columns) {
            int j = table.column(name);
            if (categorical.contains(name)) {
                List<String> cells = new ArrayList<>(rows);
                for (int i = 0; i < rows; i++) {
                    if (table.cell(i, j).isEmpty()) {
                        throw new IllegalArgumentException(where(table, i, j) + ": empty category");
                    }
                    cells.add(table.cell(i, j));
                }
                List<String> categories = sortedCategories(cells);
                for (String category : categories.subList(1, categories.size())) {
                    double[] indicator = new double[rows];
                    for (int i = 0; i < rows; i++) {
                        indicator[i] = cells.get(i).equals(category) ? 1 : 0;
                    }
                    names.add(name + "=" + category);
                    valuesByColumn.add(indicator);
                }
            } else {
                double[] column = new double[rows];
                for (int i = 0; i < rows; i++) {
                    column[i] = number(table, i, j);
                }
                names.add(name);
                valuesByColumn.add(column);
            }
        }
        if (names.isEmpty()) {
            throw new IllegalArgumentException(table.source() + ": no feature columns (a one-hot column with a "
                    + "single category gives none)");
        }
        double[][] x = new double[rows][names.size()];
        for (int c = 0; c < names.size(); c++) {
            double[] column = valuesByColumn.get(c);
            for (int i = 0; i < rows; i++) {
                x[i][c] = column[i];
            }
        }
        return new FeatureColumns(List.copyOf(names), x);
    }

    private static double number(CsvTable table, int row, int column) {
        String cell = table.cell(row, column);
        if (cell.isEmpty()) {
            throw new IllegalArgumentException(where(table, row, column) + ": empty value (missing data is not "
                    + "supported: fill or remove the row)");
        }
        if (NON_FINITE.contains(cell.toLowerCase(Locale.ROOT))) {
            throw new IllegalArgumentException(where(table, row, column) + ": '" + cell + "' is not a finite number");
        }
        if (!NUMBER.matcher(cell).matches()) {
            throw new IllegalArgumentException(where(table, row, column) + ": '" + cell + "' is not a number"
                    + " (for a categorical column, ask for one-hot encoding)");
        }
        double v = Double.parseDouble(cell);
        if (!Double.isFinite(v)) {
            throw new IllegalArgumentException(where(table, row, column) + ": '" + cell + "' is out of range");
        }
        return v;
    }

    private static String where(CsvTable table, int row, int column) {
        return table.source() + " line " + table.line(row) + ", column '" + table.header().get(column) + "'";
    }

    /** Distinct values, sorted numerically when all are numbers, else alphabetically. */
    private static List<String> sortedCategories(List<String> values) {
        Set<String> distinct = new TreeSet<>(values);
        boolean numeric = distinct.stream().allMatch(v -> NUMBER.matcher(v).matches());
        List<String> out = new ArrayList<>(distinct);
        if (numeric) {
            out.sort((a, b) -> Double.compare(Double.parseDouble(a), Double.parseDouble(b)));
        }
        return out;
    }

    public List<String> featureNames() {
        return featureNames;
    }

    /** The feature rows (the arrays themselves, not copies). */
    public double[][] x() {
        return x;
    }

    public String targetName() {
        return targetName;
    }

    public int rows() {
        return x.length;
    }

    /** The numeric target; only for a dataset made by {@link #forRegression}. */
    public double[] y() {
        if (y == null) {
            throw new IllegalStateException("dataset: the target '" + targetName + "' holds class labels");
        }
        return y;
    }

    /** Class indices 0..K-1; only for a dataset made by {@link #forClassification}. */
    public int[] classes() {
        if (classes == null) {
            throw new IllegalStateException("dataset: the target '" + targetName + "' is numeric");
        }
        return classes;
    }

    /** The label of each class index. */
    public List<String> classLabels() {
        if (classLabels == null) {
            throw new IllegalStateException("dataset: the target '" + targetName + "' is numeric");
        }
        return classLabels;
    }
}
