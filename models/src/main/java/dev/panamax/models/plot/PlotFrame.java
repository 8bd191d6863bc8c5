package dev.panamax.models.plot;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What every chart shares: the canvas, the plot area, the mapping from data to pixels (linear or log), "nice"
 * ticks (1, 2, 5 × 10ᵏ), axes with labels, a title and a legend. Charts only draw their marks.
 */
final class PlotFrame {

    static {
        // Charts are drawn off-screen; without this, AWT may look for a display on a server.
        System.setProperty("java.awt.headless", "true");
    }

    static final Color INK = new Color(0x33, 0x33, 0x33);
    static final Color GRID = new Color(0xE4, 0xE4, 0xE4);
    static final Font TITLE_FONT = new Font(Font.SANS_SERIF, Font.BOLD, 15);
    static final Font LABEL_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 13);
    static final Font TICK_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 11);

    private static final int LEFT = 78;
    private static final int RIGHT = 24;
    private static final int TOP = 42;
    private static final int BOTTOM = 58;

    final int width;
    final int height;
    final BufferedImage image;
    final Graphics2D g;
    final double xMin;
    final double xMax;
    final double yMin;
    final double yMax;
    final boolean logY;

    /** A white canvas with a plot area for the data range [xMin, xMax] × [yMin, yMax]. */
    PlotFrame(int width, int height, double xMin, double xMax, double yMin, double yMax, boolean logY) {
        this.width = width;
        this.height = height;
        this.image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        this.g = image.createGraphics();
        this.logY = logY;
        double[] xr = padded(xMin, xMax, false);
        double[] yr = padded(yMin, yMax, logY);
        this.xMin = xr[0];
        this.xMax = xr[1];
        this.yMin = yr[0];
        this.yMax = yr[1];
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
    }

    /** A degenerate range gets some width; a log range must stay positive. */
    private static double[] padded(double lo, double hi, boolean log) {
        if (!(lo <= hi) || !Double.isFinite(lo) || !Double.isFinite(hi)) {
            return log ? new double[] {1, 10} : new double[] {0, 1};
        }
        if (log) {
            if (lo <= 0) {
                lo = hi > 0 ? hi / 10 : 1;
            }
            if (hi <= lo) {
                return new double[] {lo / 2, lo * 2};
            }
            return new double[] {lo / Math.pow(hi / lo, 0.04), hi * Math.pow(hi / lo, 0.04)};
        }
        if (hi == lo) {
            double pad = lo == 0 ? 1 : Math.abs(lo) * 0.1;
            return new double[] {lo - pad, hi + pad};
        }
        double pad = (hi - lo) * 0.04;
        return new double[] {lo - pad, hi + pad};
    }

    int left() {
        return LEFT;
    }

    int top() {
        return TOP;
    }

    int plotWidth() {
        return width - LEFT - RIGHT;
    }

    int plotHeight() {
        return height - TOP - BOTTOM;
    }

    double px(double x) {
        return LEFT + (x - xMin) / (xMax - xMin) * plotWidth();
    }

    double py(double y) {
        double f = logY ? (Math.log(y) - Math.log(yMin)) / (Math.log(yMax) - Math.log(yMin))
                : (y - yMin) / (yMax - yMin);
        return TOP + (1 - f) * plotHeight();
    }

    /** Data x of pixel column {@code px} (for sampling a function across the plot). */
    double dataX(double px) {
        return xMin + (px - LEFT) / plotWidth() * (xMax - xMin);
    }

    double dataY(double py) {
        double f = 1 - (py - TOP) / plotHeight();
        return logY ? Math.exp(Math.log(yMin) + f * (Math.log(yMax) - Math.log(yMin))) : yMin + f * (yMax - yMin);
    }

    /** Grid lines and tick labels, under the marks. */
    void drawGrid() {
        g.setFont(TICK_FONT);
        FontMetrics fm = g.getFontMetrics();
        g.setStroke(new BasicStroke(1f));
        for (double t : ticks(xMin, xMax)) {
            int x = (int) Math.round(px(t));
            g.setColor(GRID);
            g.drawLine(x, TOP, x, TOP + plotHeight());
            g.setColor(INK);
            String s = format(t);
            g.drawString(s, x - fm.stringWidth(s) / 2, TOP + plotHeight() + fm.getAscent() + 6);
        }
        List<Double> yTicks = logY ? logTicks(yMin, yMax) : ticks(yMin, yMax);
        if (logY && yTicks.size() < 3) {         // less than a decade: round linear values, placed on the log axis
            yTicks = ticks(yMin, yMax).stream().filter(t -> t > 0).toList();
        }
        for (double t : yTicks) {
            int y = (int) Math.round(py(t));
            g.setColor(GRID);
            g.drawLine(LEFT, y, LEFT + plotWidth(), y);
            g.setColor(INK);
            String s = format(t);
            g.drawString(s, LEFT - fm.stringWidth(s) - 6, y + fm.getAscent() / 2 - 1);
        }
    }

    /** The frame around the plot area, the title and the axis labels, over the marks. */
    void drawAxes(String title, String xLabel, String yLabel) {
        g.setClip(null);
        g.setColor(INK);
        g.setStroke(new BasicStroke(1.2f));
        g.drawRect(LEFT, TOP, plotWidth(), plotHeight());
        g.setFont(TITLE_FONT);
        FontMetrics fm = g.getFontMetrics();
        if (title != null) {
            g.drawString(title, LEFT + (plotWidth() - fm.stringWidth(title)) / 2, TOP - 14);
        }
        g.setFont(LABEL_FONT);
        fm = g.getFontMetrics();
        if (xLabel != null) {
            g.drawString(xLabel, LEFT + (plotWidth() - fm.stringWidth(xLabel)) / 2, height - 14);
        }
        if (yLabel != null) {
            AffineTransform saved = g.getTransform();
            g.rotate(-Math.PI / 2);
            g.drawString(yLabel, -(TOP + (plotHeight() + fm.stringWidth(yLabel)) / 2), 18);
            g.setTransform(saved);
        }
    }

    /** Restricts drawing to the plot area (marks outside the range are cut at its edge). */
    void clipToPlot() {
        g.setClip(LEFT, TOP, plotWidth() + 1, plotHeight() + 1);
    }

    /** One legend row: a swatch drawer and a name. */
    record LegendEntry(String name, Color color, boolean line) {
    }

    /**
     * The legend on a white box, in the corner of the plot area that covers the fewest of {@code marks} (pixel
     * positions of what was drawn), so it hides as little data as possible.
     */
    void drawLegend(List<LegendEntry> entries, List<double[]> marks) {
        if (entries.isEmpty()) {
            return;
        }
        g.setClip(null);
        g.setFont(TICK_FONT);
        FontMetrics fm = g.getFontMetrics();
        int textWidth = 0;
        for (LegendEntry e : entries) {
            textWidth = Math.max(textWidth, fm.stringWidth(e.name()));
        }
        int rowHeight = fm.getHeight() + 2;
        int boxWidth = textWidth + 40;
        int boxHeight = rowHeight * entries.size() + 8;
        int[][] corners = {
            {LEFT + plotWidth() - boxWidth - 8, TOP + 8}, {LEFT + 8, TOP + 8},
            {LEFT + plotWidth() - boxWidth - 8, TOP + plotHeight() - boxHeight - 8},
            {LEFT + 8, TOP + plotHeight() - boxHeight - 8},
        };
        int x0 = corners[0][0];
        int y0 = corners[0][1];
        int fewest = Integer.MAX_VALUE;
        for (int[] c : corners) {
            int covered = 0;
            for (double[] m : marks) {
                if (m[0] >= c[0] - 6 && m[0] <= c[0] + boxWidth + 6 && m[1] >= c[1] - 6 && m[1] <= c[1] + boxHeight + 6) {
                    covered++;
                }
            }
            if (covered < fewest) {
                fewest = covered;
                x0 = c[0];
                y0 = c[1];
            }
        }
        g.setColor(new Color(255, 255, 255, 225));
        g.fillRect(x0, y0, boxWidth, boxHeight);
        g.setColor(GRID.darker());
        g.drawRect(x0, y0, boxWidth, boxHeight);
        for (int i = 0; i < entries.size(); i++) {
            LegendEntry e = entries.get(i);
            int cy = y0 + 4 + rowHeight * i + rowHeight / 2;
            g.setColor(e.color());
            if (e.line()) {
                g.setStroke(new BasicStroke(2.2f));
                g.drawLine(x0 + 8, cy, x0 + 28, cy);
            } else {
                g.fillOval(x0 + 14, cy - 4, 8, 8);
            }
            g.setColor(INK);
            g.drawString(e.name(), x0 + 34, cy + fm.getAscent() / 2 - 1);
        }
    }

    /** About five round tick values inside [lo, hi]. */
    static List<Double> ticks(double lo, double hi) {
        double raw = (hi - lo) / 5;
        double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
        double step = magnitude * (raw / magnitude < 1.5 ? 1 : raw / magnitude < 3.5 ? 2 : raw / magnitude < 7.5 ? 5 : 10);
        List<Double> out = new ArrayList<>();
        for (double t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) {
            out.add(Math.abs(t) < step * 1e-9 ? 0 : t);
        }
        return out;
    }

    /** Powers of ten inside [lo, hi], with 2× and 5× between them when the range spans few decades. */
    static List<Double> logTicks(double lo, double hi) {
        List<Double> out = new ArrayList<>();
        int first = (int) Math.floor(Math.log10(lo));
        int last = (int) Math.ceil(Math.log10(hi));
        double[] mantissas = last - first <= 2 ? new double[] {1, 2, 5} : new double[] {1};
        int stride = Math.max(1, (last - first) / 8);
        for (int e = first; e <= last; e += stride) {
            for (double m : mantissas) {
                double t = m * Math.pow(10, e);
                if (t >= lo && t <= hi) {
                    out.add(t);
                }
            }
        }
        return out;
    }

    /** Compact tick text: 0.25, 1500, 2e+06. */
    static String format(double v) {
        if (v == 0) {
            return "0";
        }
        double a = Math.abs(v);
        if (a >= 1e6 || a < 1e-3) {
            String s = String.format(Locale.ROOT, "%.2e", v);          // 2.50e+06 -> 2.5e6
            int e = s.indexOf('e');
            String mantissa = s.substring(0, e).replaceAll("0+$", "").replaceAll("\\.$", "");
            return mantissa + "e" + Integer.parseInt(s.substring(e + 1));
        }
        String s = String.format(Locale.ROOT, "%.4f", v);
        s = s.replaceAll("0+$", "");
        return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    }
}
