package dev.panamax.models.training;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A one-line progress bar for long work (training, sampling): steps done, a bar, the caller's figures (loss,
 * tokens/s, images/s) and the ETA.
 *
 * <pre>
 * step  120/2000 [##......................]   6%  loss 2.3140  21.3k tok/s  ETA 1m 28s
 * </pre>
 *
 * On a terminal the line is redrawn in place ({@code \r}); otherwise (a log file, CI) a full line is printed at
 * most every {@code logIntervalSeconds}, plus the last one, so logs stay short but show that the work moves.
 * Messages printed through {@link #println} (validation losses, checkpoints) appear on their own line above it.
 */
public final class ProgressBar {

    private static final int BAR_WIDTH = 24;

    private final PrintStream out;
    private final String unit;
    private final long total;
    private final boolean interactive;
    private final long logIntervalNanos;
    private final long startNanos = System.nanoTime();
    private long lastPrintNanos = Long.MIN_VALUE;
    private int lastLineLength;
    private long done;
    private String figures = "";

    /**
     * @param unit  what is counted ("step", "image")
     * @param total how many there will be (≥ 1)
     */
    public ProgressBar(PrintStream out, String unit, long total) {
        this(out, unit, total, System.console() != null, 10);
    }

    public ProgressBar(PrintStream out, String unit, long total, boolean interactive, double logIntervalSeconds) {
        if (total < 1) {
            throw new IllegalArgumentException("ProgressBar: total must be >= 1, got " + total);
        }
        this.out = out;
        this.unit = unit;
        this.total = total;
        this.interactive = interactive;
        this.logIntervalNanos = (long) (logIntervalSeconds * 1e9);
    }

    /**
     * Records that {@code done} units are finished, with the figures to show after the percentage (for example
     * {@code "loss 2.314  21.3k tok/s"}), and redraws when due.
     */
    public void update(long done, String figures) {
        this.done = Math.min(Math.max(done, 0), total);
        this.figures = figures == null ? "" : figures;
        long now = System.nanoTime();
        boolean last = this.done == total;
        long interval = interactive ? 100_000_000L : logIntervalNanos;
        if (last || lastPrintNanos == Long.MIN_VALUE || now - lastPrintNanos >= interval) {
            lastPrintNanos = now;
            draw(last);
        }
    }

    /** Prints a message on its own line (the bar is redrawn below it on a terminal). */
    public void println(String message) {
        if (interactive && lastLineLength > 0) {
            out.print("\r" + " ".repeat(lastLineLength) + "\r");
            lastLineLength = 0;
        }
        out.println(message);
        if (interactive && done > 0 && done < total) {
            draw(false);
        }
        out.flush();
    }

    /** Seconds since the bar was created. */
    public double elapsedSeconds() {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    /** The line that would be drawn now (without carriage return), for tests and logs. */
    public String line() {
        double fraction = (double) done / total;
        int filled = (int) Math.round(fraction * BAR_WIDTH);
        String width = Integer.toString(String.valueOf(total).length());
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "%s %" + width + "d/%d [", unit, done, total));
        s.append("#".repeat(filled)).append(".".repeat(BAR_WIDTH - filled)).append(']');
        s.append(String.format(Locale.ROOT, " %3.0f%%", 100 * fraction));
        if (!figures.isEmpty()) {
            s.append("  ").append(figures);
        }
        double elapsed = elapsedSeconds();
        if (done == total) {
            s.append("  done in ").append(duration(elapsed));
        } else if (done > 0) {
            s.append("  ETA ").append(duration(elapsed / done * (total - done)));
        }
        return s.toString();
    }

    private void draw(boolean last) {
        String line = line();
        if (interactive) {
            String pad = lastLineLength > line.length() ? " ".repeat(lastLineLength - line.length()) : "";
            out.print("\r" + line + pad);
            lastLineLength = line.length();
            if (last) {
                out.println();
                lastLineLength = 0;
            }
        } else {
            out.println(line);
        }
        out.flush();
    }

    /** 1h 02m, 3m 05s, 42s, 0.8s. */
    public static String duration(double seconds) {
        if (!Double.isFinite(seconds) || seconds < 0) {
            return "?";
        }
        if (seconds < 10) {
            return String.format(Locale.ROOT, "%.1fs", seconds);
        }
        long s = Math.round(seconds);
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return String.format(Locale.ROOT, "%dm %02ds", s / 60, s % 60);
        }
        return String.format(Locale.ROOT, "%dh %02dm", s / 3600, (s % 3600) / 60);
    }

    /** A rate with a k/M suffix: 950, 21.3k, 1.20M. */
    public static String rate(double perSecond) {
        if (perSecond >= 1e6) {
            return String.format(Locale.ROOT, "%.2fM", perSecond / 1e6);
        }
        if (perSecond >= 1e4) {
            return String.format(Locale.ROOT, "%.1fk", perSecond / 1e3);
        }
        return String.format(Locale.ROOT, perSecond >= 100 ? "%.0f" : "%.2f", perSecond);
    }
}
