package dev.panamax.models.training;

import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A training run's {@code metrics.csv}: a header row of column names, then one row per step. A missing value
 * (a step without validation) is an empty cell. Each row is flushed, so a crashed or interrupted run keeps
 * every finished step, and a resumed run appends ({@link #openForResume}) after dropping rows past the resume
 * step.
 */
public final class MetricsCsv implements Closeable {

    private final Path file;
    private final List<String> columns;
    private final BufferedWriter writer;

    private MetricsCsv(Path file, List<String> columns, BufferedWriter writer) {
        this.file = file;
        this.columns = columns;
        this.writer = writer;
    }

    /** Creates (or truncates) {@code file} and writes the header. The first column is the step. */
    public static MetricsCsv create(Path file, String... columns) {
        validate(file, columns);
        try {
            createParent(file);
            BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
            w.write(String.join(",", columns));
            w.newLine();
            w.flush();
            return new MetricsCsv(file, List.of(columns), w);
        } catch (IOException e) {
            throw new UncheckedIOException("metrics: cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Opens an existing file to continue a run after {@code lastStep}: rows whose first cell is a step greater
     * than {@code lastStep} (written after the checkpoint being resumed) are dropped. Without the file, or with
     * a different header, a new file is created.
     */
    public static MetricsCsv openForResume(Path file, long lastStep, String... columns) {
        validate(file, columns);
        String header = String.join(",", columns);
        try {
            if (!Files.isRegularFile(file)) {
                return create(file, columns);
            }
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            if (lines.isEmpty() || !lines.get(0).equals(header)) {
                return create(file, columns);
            }
            List<String> kept = new ArrayList<>();
            kept.add(header);
            for (String line : lines.subList(1, lines.size())) {
                String first = line.split(",", 2)[0];
                try {
                    if (Long.parseLong(first.trim()) <= lastStep) {
                        kept.add(line);
                    }
                } catch (NumberFormatException e) {
                    // a torn last line of a crashed run: drop it
                }
            }
            Files.write(file, kept, StandardCharsets.UTF_8);
            BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
            return new MetricsCsv(file, List.of(columns), w);
        } catch (IOException e) {
            throw new UncheckedIOException("metrics: cannot update " + file + ": " + e.getMessage(), e);
        }
    }

    public Path file() {
        return file;
    }

    public List<String> columns() {
        return columns;
    }

    /**
     * Appends one row, one value per column: numbers (integers as such, others with up to 6 significant
     * digits), strings, or null for an empty cell.
     */
    public void row(Object... values) {
        if (values.length != columns.size()) {
            throw new IllegalArgumentException("metrics: " + values.length + " values for " + columns.size()
                    + " columns " + columns);
        }
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < values.length; i++) {
            if (i > 0) {
                s.append(',');
            }
            s.append(cell(values[i]));
        }
        try {
            writer.write(s.toString());
            writer.newLine();
            writer.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("metrics: cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    private static String cell(Object v) {
        if (v == null) {
            return "";
        }
        if (v instanceof Double d && !Double.isFinite(d) || v instanceof Float f && !Float.isFinite(f)) {
            return v.toString();
        }
        if (v instanceof Double || v instanceof Float) {
            return String.format(Locale.ROOT, "%.6g", ((Number) v).doubleValue()).replaceAll("(\\.\\d*?)0+(e|$)", "$1$2")
                    .replace(".e", "e").replaceAll("\\.$", "");
        }
        String s = v.toString();
        if (s.contains(",") || s.contains("\"") || s.contains("\n")) {
            return '"' + s.replace("\"", "\"\"") + '"';
        }
        return s;
    }

    @Override
    public void close() {
        try {
            writer.close();
        } catch (IOException e) {
            throw new UncheckedIOException("metrics: cannot close " + file + ": " + e.getMessage(), e);
        }
    }

    private static void validate(Path file, String[] columns) {
        if (file == null || columns.length == 0) {
            throw new IllegalArgumentException("metrics: a file and at least one column are needed, got " + file
                    + " and " + Arrays.toString(columns));
        }
    }

    private static void createParent(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
    }
}
