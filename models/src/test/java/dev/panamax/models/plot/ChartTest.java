package dev.panamax.models.plot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChartTest {

    @TempDir
    Path dir;

    /** Pixels of exactly this color (series are drawn in opaque palette colors). */
    private static int count(BufferedImage image, Color color) {
        int n = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                n += (image.getRGB(x, y) & 0xFFFFFF) == (color.getRGB() & 0xFFFFFF) ? 1 : 0;
            }
        }
        return n;
    }

    /** Pixels within {@code tolerance} (per channel) of a color: antialiased, translucent marks. */
    private static int near(BufferedImage image, Color color, int tolerance) {
        int n = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                Color c = new Color(image.getRGB(x, y));
                n += Math.abs(c.getRed() - color.getRed()) <= tolerance
                        && Math.abs(c.getGreen() - color.getGreen()) <= tolerance
                        && Math.abs(c.getBlue() - color.getBlue()) <= tolerance ? 1 : 0;
            }
        }
        return n;
    }

    @Test
    void aLineChartWritesAReadablePngWithEverySeries() throws Exception {
        double[] loss = new double[100];
        for (int i = 0; i < loss.length; i++) {
            loss[i] = 1000 * Math.exp(-i / 10.0) + 1;
        }
        loss[50] = Double.NaN;                                   // skipped, not fatal
        Path png = new LineChart("Training loss").xLabel("iteration").yLabel("loss").logY(true).size(640, 400)
                .line("gd", loss).points("samples", new double[] {0, 50, 99}, new double[] {1000, 8, 1})
                .write(dir.resolve("sub/loss.png"));
        assertTrue(Files.size(png) > 1000);
        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(640, image.getWidth());
        assertEquals(400, image.getHeight());
        assertTrue(count(image, Palette.color(0)) > 200, "the line is drawn");
        assertTrue(near(image, Palette.color(1), 40) > 60, "the points are drawn");
        assertTrue(Files.list(png.getParent()).allMatch(p -> p.toString().endsWith(".png")), "no temporary file left");
    }

    @Test
    void aDecisionBoundaryShowsBothRegionsAndTheBoundary() {
        double[][] points = {{0, 0}, {1, 1}, {0, 1}, {4, 4}, {5, 5}, {5, 4}};
        int[] classes = {0, 0, 0, 1, 1, 1};
        BufferedImage image = new DecisionBoundaryChart("boundary").classes(List.of("a", "b"))
                .classifier(rows -> {
                    double[][] p = new double[rows.length][];
                    for (int i = 0; i < rows.length; i++) {
                        double q = 1 / (1 + Math.exp(-(rows[i][0] + rows[i][1] - 5)));
                        p[i] = new double[] {1 - q, q};
                    }
                    return p;
                })
                .points(points, classes).render();
        assertTrue(count(image, PlotFrame.INK) > 200, "boundary line");
        int[] tinted = new int[2];
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                Color c = new Color(image.getRGB(x, y));
                if (c.getRed() != c.getBlue() && c.getBlue() > c.getRed() + 15) {
                    tinted[0]++;                                 // blue-ish: class a
                } else if (c.getRed() > c.getBlue() + 15) {
                    tinted[1]++;                                 // orange-ish: class b
                }
            }
        }
        assertTrue(tinted[0] > 10_000 && tinted[1] > 10_000, tinted[0] + " / " + tinted[1]);
    }

    @Test
    void ticksAreRoundNumbersInsideTheRange() {
        assertEquals(List.of(0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0), PlotFrame.ticks(0, 1));
        assertEquals(List.of(1.0, 10.0, 100.0, 1000.0), PlotFrame.logTicks(1, 1000));
        assertEquals("0.25", PlotFrame.format(0.25));
        assertEquals("1500", PlotFrame.format(1500));
        assertEquals("2.5e6", PlotFrame.format(2.5e6));
        assertEquals("1e-4", PlotFrame.format(1e-4));
        assertEquals(8, PlotFrame.ticks(-3.7, 12.2).size());
        for (double t : PlotFrame.ticks(-3.7, 12.2)) {
            assertTrue(t >= -3.7 && t <= 12.2);
            assertEquals(t, Math.rint(t / 2) * 2, 1e-9, "steps of 2 for a range of 16");
        }
        assertFalse(PlotFrame.ticks(1e6, 1e6 + 3).isEmpty());
    }
}
