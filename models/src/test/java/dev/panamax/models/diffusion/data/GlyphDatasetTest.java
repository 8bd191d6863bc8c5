package dev.panamax.models.diffusion.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panamax.engine.parallel.WorkerPool;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class GlyphDatasetTest {

    private static float[] all(ImageDataset data) {
        return ImageBatches.range(data, 0, data.size());
    }

    @Test
    void aSeedGivesTheSameImagesAndLabelsWhateverTheThreadCount() {
        int threads = WorkerPool.shared().threads();
        GlyphDataset one;
        GlyphDataset three;
        try {
            WorkerPool.setSharedThreads(1);
            one = GlyphDataset.generate(300, 28, 42);
            WorkerPool.setSharedThreads(3);
            three = GlyphDataset.generate(300, 28, 42);
        } finally {
            WorkerPool.setSharedThreads(threads);
        }
        assertArrayEquals(all(one), all(three));
        for (int i = 0; i < one.size(); i++) {
            assertEquals(one.label(i), three.label(i));
        }
        GlyphDataset other = GlyphDataset.generate(300, 28, 43);
        assertFalse(java.util.Arrays.equals(all(one), all(other)), "another seed draws other images");
    }

    @Test
    void labelsAreBalancedAndShuffled() {
        GlyphDataset digits = GlyphDataset.generate(1003, 16, 1);
        int[] counts = new int[10];
        int runs = 0;
        for (int i = 0; i < digits.size(); i++) {
            counts[digits.label(i)]++;
            runs += i > 0 && digits.label(i) == (digits.label(i - 1) + 1) % 10 ? 1 : 0;
        }
        for (int c : counts) {
            assertTrue(c == 100 || c == 101, java.util.Arrays.toString(counts));
        }
        assertTrue(runs < 300, "labels are in a random order, not 0, 1, 2, ...: " + runs + " ascending steps");

        GlyphDataset letters = GlyphDataset.generate(360, 16, 1, GlyphDataset.Glyphs.DIGITS_AND_LETTERS);
        assertEquals(36, letters.classes());
        assertEquals("A", letters.classNames().get(10));
        assertEquals("Z", letters.classNames().get(35));
        int[] letterCounts = new int[36];
        for (int i = 0; i < letters.size(); i++) {
            letterCounts[letters.label(i)]++;
        }
        for (int c : letterCounts) {
            assertEquals(10, c);
        }
    }

    @Test
    void imagesAreDistinctWhiteGlyphsOnBlackInsideTheFrame() {
        int size = 28;
        GlyphDataset data = GlyphDataset.generate(500, size, 3);
        assertEquals(1, data.channels());
        assertEquals(size, data.height());
        assertEquals(size, data.width());
        assertEquals(size * size, data.imageSize());
        assertEquals(List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"), data.classNames());
        float[] pixels = all(data);
        Set<Integer> distinct = new HashSet<>();
        double meanInk = 0;
        for (int i = 0; i < data.size(); i++) {
            float[] image = java.util.Arrays.copyOfRange(pixels, i * size * size, (i + 1) * size * size);
            distinct.add(java.util.Arrays.hashCode(image));
            int ink = 0;
            float max = -1;
            double cx = 0;
            double cy = 0;
            int borderInk = 0;
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    float v = image[y * size + x];
                    assertTrue(v >= -1f && v <= 1f, "pixel " + v + " outside [-1, 1]");
                    max = Math.max(max, v);
                    if (v > 0) {
                        ink++;
                        cx += x;
                        cy += y;
                        borderInk += x == 0 || y == 0 || x == size - 1 || y == size - 1 ? 1 : 0;
                    }
                }
            }
            double fraction = (double) ink / (size * size);
            meanInk += fraction / data.size();
            assertTrue(fraction > 0.03 && fraction < 0.6, "image " + i + " has " + fraction + " ink");
            assertTrue(max > 0.99f, "the glyph is drawn white");
            assertTrue(Math.abs(cx / ink - size / 2.0) < size * 0.3 && Math.abs(cy / ink - size / 2.0) < size * 0.3,
                    "image " + i + ": the glyph is roughly centred");
            assertTrue(borderInk <= 4, "image " + i + ": the glyph stays inside the frame (" + borderInk + ")");
        }
        assertEquals(data.size(), distinct.size(), "every image differs");
        assertTrue(meanInk > 0.08 && meanInk < 0.35, "mean ink fraction " + meanInk);
        // The background is black: the corners are -1 in nearly every image.
        int darkCorners = 0;
        for (int i = 0; i < data.size(); i++) {
            darkCorners += pixels[i * size * size] == -1f ? 1 : 0;
        }
        assertTrue(darkCorners > 0.95 * data.size(), darkCorners + " dark corners");
    }

    @Test
    void differentGlyphsLookDifferentOnAverage() {
        // The mean image of the 1s is narrower than the mean image of the 0s: the label matches what is drawn.
        int size = 28;
        GlyphDataset data = GlyphDataset.generate(400, size, 5);
        double[] widthInk = new double[10];
        int[] counts = new int[10];
        float[] image = new float[size * size];
        for (int i = 0; i < data.size(); i++) {
            data.image(i, image, 0);
            int ink = 0;
            for (float v : image) {
                ink += v > 0 ? 1 : 0;
            }
            widthInk[data.label(i)] += ink;
            counts[data.label(i)]++;
        }
        double ones = widthInk[1] / counts[1];
        double zeros = widthInk[0] / counts[0];
        double eights = widthInk[8] / counts[8];
        assertTrue(ones < 0.8 * zeros && ones < 0.8 * eights, "ink of 1s " + ones + ", 0s " + zeros + ", 8s " + eights);
    }

    @Test
    void thirtyTwoPixelImagesAndBadInput() {
        GlyphDataset data = GlyphDataset.generate(10, 32, 1);
        assertEquals(32 * 32, data.imageSize());
        float[] dst = new float[32 * 32 + 5];
        data.image(9, dst, 5);
        assertThrows(IllegalArgumentException.class, () -> data.image(0, new float[100], 0));
        assertThrows(IllegalArgumentException.class, () -> data.image(0, dst, 6));
        assertThrows(IndexOutOfBoundsException.class, () -> data.image(10, dst, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> data.label(-1));
        var e = assertThrows(IllegalArgumentException.class, () -> GlyphDataset.generate(0, 28, 1));
        assertTrue(e.getMessage().contains("count"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> GlyphDataset.generate(10, 4, 1));
        assertTrue(e.getMessage().contains("imageSize") && e.getMessage().contains("4"), e.getMessage());
    }

    @Test
    void theLogicalFontsGiveTwentyFacesAndInstalledFontsAddMore() {
        assertEquals(20, GlyphDataset.faceCount(GlyphDataset.Glyphs.DIGITS, GlyphDataset.Fonts.LOGICAL));
        assertTrue(GlyphDataset.faceCount(GlyphDataset.Glyphs.DIGITS, GlyphDataset.Fonts.INSTALLED) >= 20);
        GlyphDataset installed = GlyphDataset.generate(50, 28, 1, GlyphDataset.Glyphs.DIGITS,
                GlyphDataset.Fonts.INSTALLED);
        assertEquals(50, installed.size());
    }
}
