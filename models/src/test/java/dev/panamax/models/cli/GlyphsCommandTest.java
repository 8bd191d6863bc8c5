package dev.panamax.models.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GlyphsCommandTest {

    @TempDir
    Path dir;

    @Test
    void previewWritesALabelledGrid() throws Exception {
        Path png = dir.resolve("glyphs/preview.png");
        Cli run = Cli.run("glyphs", "--count", "20", "--size", "28", "--columns", "10", "--seed", "3", "--out",
                png.toString());
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.out().contains("20 glyphs of 28x28") && run.out().contains("20 faces"), run.out());
        BufferedImage image = ImageIO.read(png.toFile());
        // 28 px drawn at scale 2 with a 2 px border each side, and a 16 px caption strip under every image.
        assertEquals(10 * 60, image.getWidth());
        assertEquals(2 * (60 + 16), image.getHeight());
        int white = 0;
        for (int y = 60; y < 76; y++) {                 // the caption strip of the first row
            for (int x = 0; x < image.getWidth(); x++) {
                white += (image.getRGB(x, y) & 0xFF) > 200 ? 1 : 0;
            }
        }
        assertTrue(white > 40, "labels are written under the images: " + white + " white caption pixels");
    }

    @Test
    void badPreviewOptionsGiveOneLine() {
        Cli run = Cli.run("glyphs", "--count", "0", "--out", dir.resolve("p.png").toString());
        assertEquals(2, run.exit());
        assertTrue(run.err().contains("--count"), run.err());
        Cli size = Cli.run("glyphs", "--size", "5", "--out", dir.resolve("p.png").toString());
        assertEquals(2, size.exit());
        assertTrue(size.err().contains("imageSize"), size.err());
    }

    @Test
    void trainClassifierTrainsOnceThenLoadsAndPrintsTheSanityCheck() {
        String[] args = {"glyphs", "--train-classifier", "--size", "16", "--train-images", "256", "--held-out-images",
            "100", "--epochs", "1", "--check-samples", "30", "--cache-dir", dir.toString()};
        Cli first = Cli.run(args);
        assertEquals(0, first.exit(), first.err());
        assertTrue(first.out().contains("trained in") && first.out().contains("held-out accuracy"), first.out());
        assertTrue(first.out().contains("pure noise") && first.out().contains("floor"), first.out());
        assertTrue(first.err().contains("step"), "progress bar on stderr: " + first.err());
        Cli second = Cli.run(args);
        assertEquals(0, second.exit(), second.err());
        assertTrue(second.out().contains("loaded from"), second.out());
    }
}
