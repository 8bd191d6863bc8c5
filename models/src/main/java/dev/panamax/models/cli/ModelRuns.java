package dev.panamax.models.cli;

import dev.panamax.models.regression.ProgressListener;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/** What the regress and classify commands share besides their options: progress lines, output files, numbers. */
final class ModelRuns {

    /** Progress lines of a long fit are at least this far apart. */
    static final long PROGRESS_INTERVAL_NANOS = 2_000_000_000L;

    private ModelRuns() {
    }

    /** Prints "iteration i/n  loss L" to {@code err}, at most every two seconds, so long fits show they move. */
    static ProgressListener progress(PrintStream err, String what) {
        long start = System.nanoTime();
        long[] last = {start};
        return (iteration, max, loss) -> {
            long now = System.nanoTime();
            if (now - last[0] >= PROGRESS_INTERVAL_NANOS) {
                last[0] = now;
                err.printf(Locale.ROOT, "%s: iteration %d/%d, loss %s (%.0f s)%n", what, iteration, max,
                        number(loss), (now - start) / 1e9);
            }
        };
    }

    /** Writes the embedded data as a CSV file, creating its directory. */
    static void writeDemoCsv(Path file, String csv, String description, PrintStream out) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            Files.writeString(file, csv, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException("--write-demo-csv: cannot write " + file + ": " + e.getMessage(), e);
        }
        long rows = csv.lines().count() - 1;
        out.println("wrote " + file + ": " + rows + " rows of " + description + " (synthetic; columns "
                + csv.lines().findFirst().orElse("") + ")");
    }

    /** Runs a step that writes files, turning an I/O failure into one clear line. */
    static <T> T writing(Supplier<T> step) {
        try {
            return step.get();
        } catch (UncheckedIOException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /** An insertion-ordered map from alternating keys and values, so JSON fields keep a stable order. */
    static Map<String, Object> map(Object... keysAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return m;
    }

    /** A value with 4 significant digits, without a trailing ".0": 2.083, 1.52e+05, 12. */
    static String number(double v) {
        if (v == 0) {
            return "0";
        }
        double a = Math.abs(v);
        if (a >= 1e6 || a < 1e-4) {
            return String.format(Locale.ROOT, "%.3e", v);
        }
        int decimals = Math.max(0, 3 - (int) Math.floor(Math.log10(a)));
        String s = String.format(Locale.ROOT, "%." + decimals + "f", v);
        if (s.contains(".")) {
            s = s.replaceAll("0+$", "").replaceAll("\\.$", "");
        }
        return s;
    }
}
