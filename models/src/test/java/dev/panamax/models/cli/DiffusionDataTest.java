package dev.panamax.models.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panamax.models.diffusion.data.GlyphDataset;
import dev.panamax.models.diffusion.data.ImageDataset;
import dev.panamax.models.diffusion.data.ImageFolderDataset;
import dev.panamax.models.diffusion.data.ShapesDataset;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code diffusion train --data glyphs|shapes|DIR}: each source opens the dataset a user expects, bad ones fail clearly. */
class DiffusionDataTest {

    @TempDir
    Path dir;

    private static final ImageFolderDataset.Color GRAY = ImageFolderDataset.Color.GRAY;

    @Test
    void glyphsAreTheRecipesDigitsAndShapesStayAvailable() {
        ImageDataset glyphs = DiffusionData.open("glyphs", null, 30, 1, GRAY);
        assertTrue(glyphs instanceof GlyphDataset, glyphs.toString());
        assertEquals(List.of(30, 1, 28, 28, 10), List.of(glyphs.size(), glyphs.channels(), glyphs.height(),
                glyphs.width(), glyphs.classes()));
        ImageDataset small = DiffusionData.open("GLYPHS", 12, 20, 1, GRAY);
        assertEquals(List.of(20, 12), List.of(small.size(), small.height()));
        ImageDataset shapes = DiffusionData.open("shapes", null, null, 1, GRAY);
        assertTrue(shapes instanceof ShapesDataset, shapes.toString());
        assertEquals(List.of(10_000, 16, 4), List.of(shapes.size(), shapes.height(), shapes.classes()));
        DiffusionTrainCommand train = new DiffusionTrainCommand();
        new picocli.CommandLine(train).parseArgs();
        assertEquals("glyphs", train.data, "the default of diffusion train is the recipe's dataset");
    }

    @Test
    void aFolderIsReadLabelledBySubFolderInGrayOrRgb() throws IOException {
        Path folder = dir.resolve("pictures");
        for (String name : List.of("cats", "dogs")) {
            Files.createDirectories(folder.resolve(name));
            for (int i = 0; i < 3; i++) {
                BufferedImage image = new BufferedImage(40, 40, BufferedImage.TYPE_INT_RGB);
                image.setRGB(i, i, Color.RED.getRGB());
                ImageIO.write(image, "png", folder.resolve(name).resolve(i + ".png").toFile());
            }
        }
        ImageDataset gray = DiffusionData.open(folder.toString(), null, null, 1, GRAY);
        assertEquals(List.of(6, 1, 28, 28, 2), List.of(gray.size(), gray.channels(), gray.height(), gray.width(),
                gray.classes()));
        ImageDataset rgb = DiffusionData.open(folder.toString(), 16, null, 1, ImageFolderDataset.Color.RGB);
        assertEquals(List.of(3, 16), List.of(rgb.channels(), rgb.height()));
    }

    @Test
    void unknownNamesAndBadFoldersSayWhatIsWrong() throws IOException {
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> DiffusionData.open("mnist", null, null, 1, GRAY));
        assertTrue(unknown.getMessage().contains("unknown dataset 'mnist'; available: glyphs (")
                && unknown.getMessage().contains("shapes (") && unknown.getMessage().endsWith("a folder of PNG/JPEG "
                + "images"), unknown.getMessage());
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> DiffusionData.open(dir.resolve("nowhere").toString(), null, null, 1, GRAY));
        assertTrue(missing.getMessage().contains("does not exist"), missing.getMessage());
        IllegalArgumentException count = assertThrows(IllegalArgumentException.class,
                () -> DiffusionData.open("glyphs", null, 0, 1, GRAY));
        assertTrue(count.getMessage().contains("--data-count must be >= 1, got 0"), count.getMessage());

        Path broken = Files.createDirectories(dir.resolve("broken"));
        Files.writeString(broken.resolve("photo.png"), "not a png");
        Cli cli = Cli.run("diffusion", "train", "--out", dir.toString(), "--data", broken.toString(), "--steps", "1");
        assertEquals(2, cli.exit(), cli.err() + cli.out());
        assertTrue(cli.err().contains("photo.png"), cli.err());
        assertEquals(1, cli.err().strip().lines().count(), cli.err());
        Cli empty = Cli.run("diffusion", "train", "--out", dir.toString(), "--data",
                Files.createDirectories(dir.resolve("empty")).toString(), "--steps", "1");
        assertEquals(2, empty.exit(), empty.err() + empty.out());
        assertEquals(1, empty.err().strip().lines().count(), empty.err());
    }
}
