package dev.panamax.models.plot;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * An {@link ImageGrid} with a caption under every image (a dataset preview with its labels, samples with the class
 * they were asked for).
 */
public final class LabelledImageGrid {

    static {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    private static final int CAPTION_HEIGHT = 16;

    private LabelledImageGrid() {
    }

    /** Like {@link ImageGrid#render}, with {@code captions.get(i)} written under image i. */
    public static BufferedImage render(float[] pixels, int count, int channels, int height, int width, int columns,
                                       int scale, List<String> captions) {
        if (captions == null || captions.size() != count) {
            throw new IllegalArgumentException("LabelledImageGrid: " + count + " images need " + count
                    + " captions, got " + (captions == null ? "null" : captions.size()));
        }
        if (columns < 1) {
            throw new IllegalArgumentException("LabelledImageGrid: columns must be >= 1, got " + columns);
        }
        // Checks channels, sizes and scale, and gives ImageGrid's cell size (image plus its border).
        BufferedImage first = ImageGrid.render(pixels, 1, channels, height, width, 1, scale);
        int cellW = first.getWidth();
        int cellH = first.getHeight() + CAPTION_HEIGHT;
        long needed = (long) count * channels * height * width;
        if (pixels.length < needed) {
            throw new IllegalArgumentException("LabelledImageGrid: " + count + " images of " + channels + "x" + height
                    + "x" + width + " need " + needed + " floats, got " + pixels.length);
        }
        int cols = Math.min(columns, count);
        int rows = (count + cols - 1) / cols;
        BufferedImage grid = new BufferedImage(cols * cellW, rows * cellH, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = grid.createGraphics();
        try {
            g.setColor(new Color(0x404040));
            g.fillRect(0, 0, grid.getWidth(), grid.getHeight());
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            FontMetrics metrics = g.getFontMetrics();
            int per = channels * height * width;
            for (int i = 0; i < count; i++) {
                int x0 = (i % cols) * cellW;
                int y0 = (i / cols) * cellH;
                float[] one = Arrays.copyOfRange(pixels, i * per, (i + 1) * per);
                g.drawImage(ImageGrid.render(one, 1, channels, height, width, 1, scale), x0, y0, null);
                String caption = captions.get(i) == null ? "" : captions.get(i);
                g.setColor(Color.WHITE);
                g.drawString(caption, x0 + (cellW - metrics.stringWidth(caption)) / 2,
                        y0 + cellH - CAPTION_HEIGHT + metrics.getAscent());
            }
        } finally {
            g.dispose();
        }
        return grid;
    }

    /** {@link #render} written to {@code file} as PNG (atomically); returns the file. */
    public static Path write(float[] pixels, int count, int channels, int height, int width, int columns, int scale,
                             List<String> captions, Path file) {
        return PngFiles.write(render(pixels, count, channels, height, width, columns, scale, captions), file);
    }
}
