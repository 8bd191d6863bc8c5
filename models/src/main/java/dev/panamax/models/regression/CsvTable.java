package dev.panamax.models.regression;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A CSV file as text cells: a header row of column names, then data rows, each remembering its line number so
 * that later errors can point at it. Commas separate fields; a field may be quoted ({@code "a, b"}, with
 * {@code ""} for a quote inside). Blank lines are skipped, cells are trimmed, and a UTF-8 byte order mark is
 * ignored. {@link Dataset} turns the cells into numbers.
 */
public final class CsvTable {

    private final String source;
    private final List<String> header;
    private final List<String[]> rows;
    private final int[] lines;

    private CsvTable(String source, List<String> header, List<String[]> rows, int[] lines) {
        this.source = source;
        this.header = header;
        this.rows = rows;
        this.lines = lines;
    }

    /** Reads a UTF-8 file; a file that cannot be read gives an error naming it and the reason. */
    public static CsvTable read(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new IllegalArgumentException("cannot read " + file + ": no such file");
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage());
        }
        return parse(text, file.toString());
    }

    /** Parses CSV text; {@code source} names it in messages (a file name, or "embedded data"). */
    public static CsvTable parse(String text, String source) {
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
        String[] physical = text.split("\r?\n|\r", -1);
        List<String> header = null;
        List<String[]> rows = new ArrayList<>();
        List<Integer> lineNumbers = new ArrayList<>();
        for (int i = 0; i < physical.length; i++) {
            String line = physical[i];
            if (line.isBlank()) {
                continue;
            }
            int lineNumber = i + 1;
            String[] cells = split(line, source, lineNumber);
            if (header == null) {
                header = header(cells, source, lineNumber);
                continue;
            }
            if (cells.length != header.size()) {
                throw new IllegalArgumentException(source + " line " + lineNumber + ": " + cells.length + " field"
                        + (cells.length == 1 ? "" : "s") + ", but the header has " + header.size() + " columns");
            }
            rows.add(cells);
            lineNumbers.add(lineNumber);
        }
        if (header == null) {
            throw new IllegalArgumentException(source + " is empty: expected a header row of column names, then "
                    + "data rows");
        }
        if (rows.isEmpty()) {
            throw new IllegalArgumentException(source + " has a header but no data rows");
        }
        return new CsvTable(source, List.copyOf(header), rows,
                lineNumbers.stream().mapToInt(Integer::intValue).toArray());
    }

    private static List<String> header(String[] cells, String source, int line) {
        Set<String> seen = new HashSet<>();
        for (int j = 0; j < cells.length; j++) {
            if (cells[j].isEmpty()) {
                throw new IllegalArgumentException(source + " line " + line + ": header column " + (j + 1)
                        + " has no name");
            }
            if (!seen.add(cells[j])) {
                throw new IllegalArgumentException(source + " line " + line + ": header column '" + cells[j]
                        + "' appears twice");
            }
        }
        return List.of(cells);
    }

    private static String[] split(String line, String source, int lineNumber) {
        List<String> cells = new ArrayList<>();
        StringBuilder cell = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    cell.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    cell.append(c);
                }
            } else if (c == '"' && cell.toString().isBlank()) {
                quoted = true;
                cell.setLength(0);
            } else if (c == ',') {
                cells.add(cell.toString().trim());
                cell.setLength(0);
            } else {
                cell.append(c);
            }
        }
        if (quoted) {
            throw new IllegalArgumentException(source + " line " + lineNumber + ": a quoted field is not closed");
        }
        cells.add(cell.toString().trim());
        return cells.toArray(String[]::new);
    }

    /** The file or name it came from. */
    public String source() {
        return source;
    }

    public List<String> header() {
        return header;
    }

    public int rowCount() {
        return rows.size();
    }

    /** The trimmed cell of data row {@code row} (0-based) in column {@code column}. */
    public String cell(int row, int column) {
        return rows.get(row)[column];
    }

    /** The line of the file that data row {@code row} came from (1-based, counting the header and blank lines). */
    public int line(int row) {
        return lines[row];
    }

    /** Index of a column by name, or an error listing the columns there are. */
    public int column(String name) {
        int j = header.indexOf(name);
        if (j < 0) {
            throw new IllegalArgumentException("column '" + name + "' not found in " + source + "; its columns are: "
                    + String.join(", ", header));
        }
        return j;
    }
}
