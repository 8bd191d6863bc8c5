package dev.panamax.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * A grouped bar chart written as PNG with Java2D (headless, no dependency): one group per category (a shape and
 * thread count), one bar per series (a backend), and an optional dashed reference line (the machine's peak).
 */
final class BarChart {

    private static final Color[] PALETTE = {new Color(0x4C72B0), new Color(0xDD8452), new Color(0x55A868),
        new Color(0xC44E52), new Color(0x8172B3)};

    private final String title;
    private final String yLabel;
    private final Map<String, Map<String, Double>> values = new LinkedHashMap<>();
    private final List<String> series = new ArrayList<>();
    private final Map<String, Double> referenceLines = new LinkedHashMap<>();

    BarChart(String title, String yLabel) {
        this.title = title;
        this.yLabel = yLabel;
    }

    void add(String category, String seriesName, double value) {
        values.computeIfAbsent(category, c -> new LinkedHashMap<>()).put(seriesName, value);
        if (!series.contains(seriesName)) {
            series.add(seriesName);
        }
    }

    /** A horizontal dashed line across the chart, e.g. the FMA peak. */
    void referenceLine(String label, double value) {
        referenceLines.put(label, value);
    }

    void write(Path png) throws IOException {
        System.setProperty("java.awt.headless", "true");
        int groupWidth = 24 * Math.max(1, series.size()) + 28;
        int left = 70;
        int right = 20;
        int top = 50;
        int bottom = 110;
        int width = Math.max(640, left + right + groupWidth * values.size());
        int height = 480;
        double max = 1;
        for (Map<String, Double> group : values.values()) {
            for (double v : group.values()) {
                max = Math.max(max, v);
            }
        }
        for (double v : referenceLines.values()) {
            max = Math.max(max, v);
        }
        max *= 1.08;
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        int plotHeight = height - top - bottom;
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.setColor(Color.BLACK);
        g.drawString(title, left, 28);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        // Y axis with five ticks.
        for (int i = 0; i <= 5; i++) {
            double v = max * i / 5;
            int y = top + plotHeight - (int) (plotHeight * v / max);
            g.setColor(new Color(0xE0E0E0));
            g.drawLine(left, y, width - right, y);
            g.setColor(Color.DARK_GRAY);
            g.drawString(String.format("%.0f", v), left - 40, y + 4);
        }
        g.drawString(yLabel, 8, top - 10);
        int x = left + 14;
        for (Map.Entry<String, Map<String, Double>> group : values.entrySet()) {
            for (int s = 0; s < series.size(); s++) {
                Double v = group.getValue().get(series.get(s));
                if (v == null) {
                    continue;
                }
                int barHeight = (int) (plotHeight * v / max);
                g.setColor(PALETTE[s % PALETTE.length]);
                g.fillRect(x + 24 * s, top + plotHeight - barHeight, 20, barHeight);
            }
            g.setColor(Color.BLACK);
            Graphics2D rotated = (Graphics2D) g.create();
            rotated.translate(x + 8, top + plotHeight + 8);
            rotated.rotate(Math.PI / 4);
            rotated.drawString(group.getKey(), 0, 0);
            rotated.dispose();
            x += groupWidth;
        }
        g.setStroke(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {6, 4}, 0));
        for (Map.Entry<String, Double> line : referenceLines.entrySet()) {
            int y = top + plotHeight - (int) (plotHeight * line.getValue() / max);
            g.setColor(Color.GRAY);
            g.drawLine(left, y, width - right, y);
            g.drawString(line.getKey(), width - right - 160, y - 4);
        }
        // Legend.
        int lx = width - right - 110 * series.size();
        for (int s = 0; s < series.size(); s++) {
            g.setColor(PALETTE[s % PALETTE.length]);
            g.fillRect(lx + 110 * s, 16, 12, 12);
            g.setColor(Color.BLACK);
            g.drawString(series.get(s), lx + 110 * s + 16, 27);
        }
        g.dispose();
        Files.createDirectories(png.toAbsolutePath().getParent());
        ImageIO.write(image, "png", png.toFile());
    }
}
