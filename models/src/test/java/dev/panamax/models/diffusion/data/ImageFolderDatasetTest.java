package dev.panamax.models.diffusion.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderDatasetTest {

    @TempDir
    Path dir;

    /** An RGB image filled with {@code rgb}. */
    private static BufferedImage filled(int w, int h, int rgb) {
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                image.setRGB(x, y, rgb);
            }
        }
        return image;
    }

    private static Path write(BufferedImage image, Path file) throws IOException {
        Files.createDirectories(file.getParent());
        ImageIO.write(image, file.toString().endsWith(".png") ? "png" : "jpg", file.toFile());
        return file;
    }

    private static float level(int byteValue) {
        return byteValue / 127.5f - 1f;
    }

    @Test
    void aFlatFolderIsUnlabelledAndResizedWithAreaAveraging() throws IOException {
        // 8x8 of 2-pixel-wide white and black stripes: halved, each output pixel covers exactly one stripe.
        BufferedImage stripes = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 8; x++) {
                stripes.setRGB(x, y, (x / 2) % 2 == 0 ? 0xFFFFFF : 0x000000);
            }
        }
        write(stripes, dir.resolve("b.png"));
        write(filled(6, 6, 0x808080), dir.resolve("a.png"));
        Files.writeString(dir.resolve("README.txt"), "not an image");
        Files.writeString(dir.resolve(".hidden.png"), "skipped");
        ImageFolderDataset data = ImageFolderDataset.load(dir, 4, ImageFolderDataset.Color.GRAY);
        assertEquals(2, data.size());
        assertEquals(0, data.classes());
        assertEquals(List.of(), data.classNames());
        assertEquals(-1, data.label(0));
        assertEquals(dir.resolve("a.png"), data.file(0), "sorted by file name");
        float[] pixels = new float[16];
        data.image(0, pixels, 0);
        for (float v : pixels) {
            assertEquals(level(128), v, 1e-6f, "a mid-gray stays mid-gray");
        }
        data.image(1, pixels, 0);
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 4; x++) {
                assertEquals(x % 2 == 0 ? 1f : -1f, pixels[y * 4 + x], 1e-6f, "stripe (" + x + ", " + y + ")");
            }
        }
    }

    @Test
    void subFoldersAreClassesInSortedOrderAndRgbKeepsChannels() throws IOException {
        write(filled(5, 5, 0xFF0000), dir.resolve("red/1.png"));
        write(filled(7, 7, 0xFF0000), dir.resolve("red/2.PNG"));
        write(filled(5, 5, 0x0000FF), dir.resolve("blue/x.png"));
        ImageFolderDataset data = ImageFolderDataset.load(dir, 3, ImageFolderDataset.Color.RGB);
        assertEquals(List.of("blue", "red"), data.classNames());
        assertEquals(3, data.size());
        assertEquals(3, data.channels());
        assertEquals(27, data.imageSize());
        assertArrayEquals(new int[] {0, 1, 1}, new int[] {data.label(0), data.label(1), data.label(2)});
        float[] image = new float[27];
        data.image(1, image, 0);
        for (int p = 0; p < 9; p++) {
            assertEquals(1f, image[p], 1e-6f, "red channel");
            assertEquals(-1f, image[9 + p], 1e-6f, "green channel");
            assertEquals(-1f, image[18 + p], 1e-6f, "blue channel");
        }
        ImageFolderDataset gray = ImageFolderDataset.load(dir, 3, ImageFolderDataset.Color.GRAY);
        float[] g = new float[9];
        gray.image(0, g, 0);
        assertEquals(level(Math.round(0.114f * 255)), g[0], 0.01f, "luma of pure blue");
    }

    @Test
    void grayPngsKeepTheirValuesAndTransparencyGoesBlack() throws IOException {
        BufferedImage gray = new BufferedImage(4, 4, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 4; x++) {
                gray.getRaster().setSample(x, y, 0, 100);
            }
        }
        write(gray, dir.resolve("g.png"));
        BufferedImage transparent = new BufferedImage(4, 4, BufferedImage.TYPE_INT_ARGB);
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 4; x++) {
                transparent.setRGB(x, y, x < 2 ? 0x00FFFFFF : 0xFFFFFFFF);   // left half fully transparent white
            }
        }
        write(transparent, dir.resolve("t.png"));
        ImageFolderDataset data = ImageFolderDataset.load(dir, 4, ImageFolderDataset.Color.GRAY);
        float[] image = new float[16];
        data.image(0, image, 0);
        for (float v : image) {
            assertEquals(level(100), v, 1e-6f, "the raw gray level, not a gamma-converted one");
        }
        data.image(1, image, 0);
        assertEquals(-1f, image[0], 1e-6f);
        assertEquals(1f, image[3], 1e-6f);
    }

    @Test
    void jpegsAreReadAndNonSquareImagesAreCentreCropped() throws IOException {
        // 12x6: the 3 columns at each side are white, the centre 6x6 square black. The crop keeps only black.
        BufferedImage wide = filled(12, 6, 0x000000);
        for (int y = 0; y < 6; y++) {
            for (int x = 0; x < 12; x++) {
                if (x < 3 || x >= 9) {
                    wide.setRGB(x, y, 0xFFFFFF);
                }
            }
        }
        write(wide, dir.resolve("wide.png"));
        write(filled(16, 16, 0xC0C0C0), dir.resolve("photo.jpg"));
        ImageFolderDataset data = ImageFolderDataset.load(dir, 3, ImageFolderDataset.Color.GRAY);
        float[] image = new float[9];
        data.image(0, image, 0);
        for (float v : image) {
            assertEquals(level(0xC0), v, 0.03f, "JPEG decoded (lossy, so approximately)");
        }
        data.image(1, image, 0);
        for (float v : image) {
            assertEquals(-1f, v, 1e-6f, "the white side columns are cropped away");
        }
    }

    @Test
    void resizingKeepsTheMeanAndUpscalingIsSmooth() {
        java.util.SplittableRandom random = new java.util.SplittableRandom(1);
        float[] src = new float[7 * 7];
        double mean = 0;
        for (int i = 0; i < src.length; i++) {
            src[i] = (float) random.nextDouble(255);
            mean += src[i] / src.length;
        }
        float[] small = ImageFolderDataset.areaResize(src, 7, 3);   // a non-integer ratio
        double smallMean = 0;
        for (float v : small) {
            smallMean += v / small.length;
        }
        assertEquals(mean, smallMean, 1e-3, "area averaging preserves the mean");

        float[] ramp = {0, 100, 0, 100};                            // 2x2: left 0, right 100
        float[] big = ImageFolderDataset.bilinearResize(ramp, 2, 4);
        assertArrayEquals(new float[] {0, 25, 75, 100}, java.util.Arrays.copyOfRange(big, 0, 4), 1e-4f);
        assertArrayEquals(java.util.Arrays.copyOfRange(big, 0, 4), java.util.Arrays.copyOfRange(big, 12, 16));
    }

    @Test
    void badFoldersAndFilesGiveClearErrors() throws IOException {
        var missing = assertThrows(IllegalArgumentException.class,
                () -> ImageFolderDataset.load(dir.resolve("nope"), 8, ImageFolderDataset.Color.GRAY));
        assertTrue(missing.getMessage().contains("does not exist"), missing.getMessage());

        Path empty = Files.createDirectories(dir.resolve("empty"));
        Files.writeString(empty.resolve("notes.txt"), "no images here");
        var none = assertThrows(IllegalArgumentException.class,
                () -> ImageFolderDataset.load(empty, 8, ImageFolderDataset.Color.GRAY));
        assertTrue(none.getMessage().contains("no PNG/JPEG images"), none.getMessage());

        var file = assertThrows(IllegalArgumentException.class,
                () -> ImageFolderDataset.load(empty.resolve("notes.txt"), 8, ImageFolderDataset.Color.GRAY));
        assertTrue(file.getMessage().contains("not a folder"), file.getMessage());

        Path broken = dir.resolve("broken");
        write(filled(4, 4, 0), broken.resolve("good.png"));
        Files.write(broken.resolve("bad.png"), new byte[] {1, 2, 3, 4, 5});
        var unreadable = assertThrows(IllegalArgumentException.class,
                () -> ImageFolderDataset.load(broken, 8, ImageFolderDataset.Color.GRAY));
        assertTrue(unreadable.getMessage().contains("bad.png"), unreadable.getMessage());

        Path mixed = dir.resolve("mixed");
        write(filled(4, 4, 0), mixed.resolve("loose.png"));
        write(filled(4, 4, 0), mixed.resolve("cats/c.png"));
        var mixedLayout = assertThrows(IllegalArgumentException.class,
                () -> ImageFolderDataset.load(mixed, 8, ImageFolderDataset.Color.GRAY));
        assertTrue(mixedLayout.getMessage().contains("mixes layouts") && mixedLayout.getMessage().contains("cats"),
                mixedLayout.getMessage());

        Path emptyClass = dir.resolve("emptyclass");
        write(filled(4, 4, 0), emptyClass.resolve("dogs/d.png"));
        Files.createDirectories(emptyClass.resolve("cats"));
        var noImages = assertThrows(IllegalArgumentException.class,
                () -> ImageFolderDataset.load(emptyClass, 8, ImageFolderDataset.Color.GRAY));
        assertTrue(noImages.getMessage().contains("cats"), noImages.getMessage());

        assertThrows(IllegalArgumentException.class,
                () -> ImageFolderDataset.load(dir.resolve("broken"), 0, ImageFolderDataset.Color.GRAY));
    }
}
