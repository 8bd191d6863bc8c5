package dev.panamax.models.plot;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.geom.Ellipse2D;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * A classifier on two features, written as PNG: the background is tinted by the predicted class (stronger where
 * the classifier is more certain), the decision boundary is drawn where the predicted class changes, and the
 * data points are colored by their true class.
 *
 * <pre>{@code
 * new DecisionBoundaryChart("Logistic regression").xLabel("defense").yLabel("sp_defense")
 *         .classes(List.of("normal", "water"))
 *         .classifier(model::predictProba)
 *         .points(x, y)
 *         .write(Path.of("runs/classify/boundary.png"));
 * }</pre>
 */
public final class DecisionBoundaryChart {

    /** The background is sampled on cells of this many pixels. */
    private static final int CELL = 2;

    private final String title;
    private String xLabel;
    private String yLabel;
    private List<String> classes = List.of();
    private Function<double[][], double[][]> classifier;
    private double[][] points = new double[0][];
    private int[] labels = new int[0];
    private int width = 800;
    private int height = 560;

    public DecisionBoundaryChart(String title) {
        this.title = title;
    }

    public DecisionBoundaryChart xLabel(String label) {
        this.xLabel = label;
        return this;
    }

    public DecisionBoundaryChart yLabel(String label) {
        this.yLabel = label;
        return this;
    }

    /** The class names, in class-index order (legend and colors). */
    public DecisionBoundaryChart classes(List<String> names) {
        this.classes = List.copyOf(names);
        return this;
    }

    /** Class probabilities for a batch of (x, y) rows; called once with every background cell. */
    public DecisionBoundaryChart classifier(Function<double[][], double[][]> predictProba) {
        this.classifier = predictProba;
        return this;
    }

    /** Data points {@code xy[i] = {x, y}} with their true classes. */
    public DecisionBoundaryChart points(double[][] xy, int[] classIndices) {
        if (xy.length != classIndices.length) {
            throw new IllegalArgumentException("DecisionBoundaryChart: " + xy.length + " points but "
                    + classIndices.length + " classes");
        }
        for (double[] p : xy) {
            if (p.length != 2) {
                throw new IllegalArgumentException("DecisionBoundaryChart: points need exactly 2 features, got "
                        + p.length);
            }
        }
        this.points = xy.clone();
        this.labels = classIndices.clone();
        return this;
    }

    public DecisionBoundaryChart size(int width, int height) {
        this.width = width;
        this.height = height;
        return this;
    }

    public BufferedImage render() {
        if (points.length == 0) {
            throw new IllegalStateException("DecisionBoundaryChart: no points to draw");
        }
        double xMin = Double.POSITIVE_INFINITY;
        double xMax = Double.NEGATIVE_INFINITY;
        double yMin = Double.POSITIVE_INFINITY;
        double yMax = Double.NEGATIVE_INFINITY;
        for (double[] p : points) {
            xMin = Math.min(xMin, p[0]);
            xMax = Math.max(xMax, p[0]);
            yMin = Math.min(yMin, p[1]);
            yMax = Math.max(yMax, p[1]);
        }
        PlotFrame frame = new PlotFrame(width, height, xMin, xMax, yMin, yMax, false);
        if (classifier != null) {
            drawRegions(frame);
        }
        frame.drawGrid();
        frame.clipToPlot();
        for (int i = 0; i < points.length; i++) {
            Color c = Palette.color(labels[i]);
            Ellipse2D.Double dot = new Ellipse2D.Double(frame.px(points[i][0]) - 4, frame.py(points[i][1]) - 4, 8, 8);
            frame.g.setColor(c);
            frame.g.fill(dot);
            frame.g.setColor(Color.WHITE);
            frame.g.setStroke(new BasicStroke(1f));
            frame.g.draw(dot);
        }
        frame.drawAxes(title, xLabel, yLabel);
        List<PlotFrame.LegendEntry> legend = new ArrayList<>();
        int classCount = classes.isEmpty() ? 1 + java.util.Arrays.stream(labels).max().orElse(0) : classes.size();
        for (int k = 0; k < classCount; k++) {
            legend.add(new PlotFrame.LegendEntry(k < classes.size() ? classes.get(k) : "class " + k,
                    Palette.color(k), false));
        }
        if (classifier != null) {
            legend.add(new PlotFrame.LegendEntry("decision boundary", PlotFrame.INK, true));
        }
        List<double[]> marks = new ArrayList<>();
        for (double[] p : points) {
            marks.add(new double[] {frame.px(p[0]), frame.py(p[1])});
        }
        frame.drawLegend(legend, marks);
        return frame.image;
    }

    /** Tinted cells by predicted class; a dark cell where the prediction differs from a neighbour's. */
    private void drawRegions(PlotFrame frame) {
        int cols = (frame.plotWidth() + CELL - 1) / CELL;
        int rows = (frame.plotHeight() + CELL - 1) / CELL;
        double[][] grid = new double[cols * rows][];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                grid[r * cols + c] = new double[] {frame.dataX(frame.left() + (c + 0.5) * CELL),
                        frame.dataY(frame.top() + (r + 0.5) * CELL)};
            }
        }
        double[][] proba = classifier.apply(grid);
        int[] predicted = new int[grid.length];
        double[] confidence = new double[grid.length];
        for (int i = 0; i < grid.length; i++) {
            int best = 0;
            for (int k = 1; k < proba[i].length; k++) {
                if (proba[i][k] > proba[i][best]) {
                    best = k;
                }
            }
            predicted[i] = best;
            double chance = 1.0 / proba[i].length;
            confidence[i] = Math.max(0, (proba[i][best] - chance) / (1 - chance));
        }
        frame.clipToPlot();
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                int i = r * cols + c;
                boolean edge = (c + 1 < cols && predicted[i + 1] != predicted[i])
                        || (r + 1 < rows && predicted[i + cols] != predicted[i]);
                frame.g.setColor(edge ? PlotFrame.INK : tint(Palette.color(predicted[i]), 0.12 + 0.28 * confidence[i]));
                frame.g.fillRect(frame.left() + c * CELL, frame.top() + r * CELL, CELL, CELL);
            }
        }
        frame.g.setClip(null);
    }

    private static Color tint(Color c, double strength) {
        return new Color((int) Math.round(255 + (c.getRed() - 255) * strength),
                (int) Math.round(255 + (c.getGreen() - 255) * strength),
                (int) Math.round(255 + (c.getBlue() - 255) * strength));
    }

    public Path write(Path png) {
        return PngFiles.write(render(), png);
    }
}
