package dev.panamax.models.plot;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * An x–y chart written as PNG: several named series, each a line (loss curves, fitted curves) or a set of points
 * (data), with axes, tick labels, a title and a legend. Optional log scale on y, for losses.
 *
 * <pre>{@code
 * new LineChart("Training loss").xLabel("iteration").yLabel("loss").logY(true)
 *         .line("train", losses)
 *         .write(Path.of("runs/x/loss.png"));
 * }</pre>
 *
 * Non-finite values (and non-positive ones on a log axis) are skipped, so one NaN cannot blank a chart.
 */
public final class LineChart {

    private record Series(String name, double[] x, double[] y, boolean line, boolean markers, Color color) {
    }

    private final String title;
    private String xLabel;
    private String yLabel;
    private boolean logY;
    private int width = 800;
    private int height = 500;
    private final List<Series> series = new ArrayList<>();

    public LineChart(String title) {
        this.title = title;
    }

    public LineChart xLabel(String label) {
        this.xLabel = label;
        return this;
    }

    public LineChart yLabel(String label) {
        this.yLabel = label;
        return this;
    }

    public LineChart logY(boolean log) {
        this.logY = log;
        return this;
    }

    /** Image size in pixels (default 800 × 500). */
    public LineChart size(int width, int height) {
        if (width < 200 || height < 150) {
            throw new IllegalArgumentException("LineChart: size must be at least 200 x 150, got " + width + " x "
                    + height);
        }
        this.width = width;
        this.height = height;
        return this;
    }

    /** A line through (x[i], y[i]) in order. */
    public LineChart line(String name, double[] x, double[] y) {
        return add(name, x, y, true, false);
    }

    /** A line through (x[i], y[i]) with a marker at each point (few points: a sweep over a parameter). */
    public LineChart lineWithPoints(String name, double[] x, double[] y) {
        return add(name, x, y, true, true);
    }

    /** A line through (i, y[i]): the x axis counts iterations from 0. */
    public LineChart line(String name, double[] y) {
        double[] x = new double[y.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = i;
        }
        return add(name, x, y, true, false);
    }

    /** Points at (x[i], y[i]). */
    public LineChart points(String name, double[] x, double[] y) {
        return add(name, x, y, false, true);
    }

    private LineChart add(String name, double[] x, double[] y, boolean line, boolean markers) {
        if (x.length != y.length) {
            throw new IllegalArgumentException("LineChart: series '" + name + "' has " + x.length + " x values and "
                    + y.length + " y values");
        }
        series.add(new Series(name, x.clone(), y.clone(), line, markers, Palette.color(series.size())));
        return this;
    }

    /** Draws the chart. */
    public BufferedImage render() {
        double xMin = Double.POSITIVE_INFINITY;
        double xMax = Double.NEGATIVE_INFINITY;
        double yMin = Double.POSITIVE_INFINITY;
        double yMax = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            for (int i = 0; i < s.x.length; i++) {
                if (usable(s.x[i], s.y[i])) {
                    xMin = Math.min(xMin, s.x[i]);
                    xMax = Math.max(xMax, s.x[i]);
                    yMin = Math.min(yMin, s.y[i]);
                    yMax = Math.max(yMax, s.y[i]);
                }
            }
        }
        PlotFrame frame = new PlotFrame(width, height, xMin, xMax, yMin, yMax, logY);
        frame.drawGrid();
        frame.clipToPlot();
        List<PlotFrame.LegendEntry> legend = new ArrayList<>();
        List<double[]> marks = new ArrayList<>();
        for (Series s : series) {
            for (int i = 0; i < s.x.length; i++) {
                if (usable(s.x[i], s.y[i])) {
                    marks.add(new double[] {frame.px(s.x[i]), frame.py(s.y[i])});
                    if (s.line && i + 1 < s.x.length && usable(s.x[i + 1], s.y[i + 1])) {
                        for (int k = 1; k < 8; k++) {       // points along the segment, for the legend's placement
                            double f = k / 8.0;
                            marks.add(new double[] {frame.px(s.x[i]) * (1 - f) + frame.px(s.x[i + 1]) * f,
                                frame.py(s.y[i]) * (1 - f) + frame.py(s.y[i + 1]) * f});
                        }
                    }
                }
            }
            frame.g.setColor(s.color);
            if (s.line) {
                frame.g.setStroke(new BasicStroke(2.2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
                Path2D.Double path = new Path2D.Double();
                boolean open = false;
                for (int i = 0; i < s.x.length; i++) {
                    if (!usable(s.x[i], s.y[i])) {
                        open = false;
                        continue;
                    }
                    if (open) {
                        path.lineTo(frame.px(s.x[i]), frame.py(s.y[i]));
                    } else {
                        path.moveTo(frame.px(s.x[i]), frame.py(s.y[i]));
                        open = true;
                    }
                }
                frame.g.draw(path);
            }
            if (s.markers) {
                Color fill = new Color(s.color.getRed(), s.color.getGreen(), s.color.getBlue(), 190);
                for (int i = 0; i < s.x.length; i++) {
                    if (usable(s.x[i], s.y[i])) {
                        Ellipse2D.Double dot = new Ellipse2D.Double(frame.px(s.x[i]) - 4, frame.py(s.y[i]) - 4, 8, 8);
                        frame.g.setColor(fill);
                        frame.g.fill(dot);
                        frame.g.setColor(s.color.darker());
                        frame.g.setStroke(new BasicStroke(0.8f));
                        frame.g.draw(dot);
                    }
                }
            }
            if (s.name != null && !s.name.isEmpty()) {
                legend.add(new PlotFrame.LegendEntry(s.name, s.color, s.line));
            }
        }
        frame.drawAxes(title, xLabel, yLabel);
        frame.drawLegend(legend, marks);
        return frame.image;
    }

    /** Draws the chart and writes it as PNG (creating the directory); returns the path. */
    public Path write(Path png) {
        return PngFiles.write(render(), png);
    }

    private boolean usable(double x, double y) {
        return Double.isFinite(x) && Double.isFinite(y) && (!logY || y > 0);
    }
}
