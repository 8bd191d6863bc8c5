package dev.panamax.models.plot;

import java.awt.image.BufferedImage;
import java.nio.file.Path;

/**
 * Lays out a batch of images as one PNG grid (samples, a dataset preview) or one strip (a denoising trajectory).
 * Images are channel-major (C, H, W) floats with values in [-1, 1]; 1 channel is drawn as gray, 3 as RGB.
 * Values outside [-1, 1] are clipped, NaN is drawn black.
 */
public final class ImageGrid {

    private static final int GAP = 2;

    private ImageGrid() {
    }

    /**
     * Renders {@code count} images of {@code channels × height × width} from {@code pixels} (image i at
     * {@code i·C·H·W}) in rows of {@code columns}, each pixel drawn {@code scale × scale}.
     */
    public static BufferedImage render(float[] pixels, int count, int channels, int height, int width, int columns,
                                       int scale) {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("ImageGrid: channels must be 1 or 3, got " + channels);
        }
        if (count < 1 || height < 1 || width < 1 || columns < 1 || scale < 1) {
            throw new IllegalArgumentException("ImageGrid: count, height, width, columns and scale must be >= 1, got "
                    + count + ", " + height + ", " + width + ", " + columns + ", " + scale);
        }
        long needed = (long) count * channels * height * width;
        if (pixels.length < needed) {
            throw new IllegalArgumentException("ImageGrid: " + count + " images of " + channels + "x" + height + "x"
                    + width + " need " + needed + " floats, got " + pixels.length);
        }
        int cols = Math.min(columns, count);
        int rows = (count + cols - 1) / cols;
        int cellW = width * scale + GAP;
        int cellH = height * scale + GAP;
        BufferedImage image = new BufferedImage(cols * cellW + GAP, rows * cellH + GAP, BufferedImage.TYPE_INT_RGB);
        int background = 0x404040;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                image.setRGB(x, y, background);
            }
        }
        int plane = height * width;
        for (int i = 0; i < count; i++) {
            int x0 = GAP + (i % cols) * cellW;
            int y0 = GAP + (i / cols) * cellH;
            int base = i * channels * plane;
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    int p = base + y * width + x;
                    int rgb;
                    if (channels == 1) {
                        int g = level(pixels[p]);
                        rgb = g << 16 | g << 8 | g;
                    } else {
                        rgb = level(pixels[p]) << 16 | level(pixels[p + plane]) << 8 | level(pixels[p + 2 * plane]);
                    }
                    for (int dy = 0; dy < scale; dy++) {
                        for (int dx = 0; dx < scale; dx++) {
                            image.setRGB(x0 + x * scale + dx, y0 + y * scale + dy, rgb);
                        }
                    }
                }
            }
        }
        return image;
    }

    /** {@link #render} written to {@code file} as PNG (atomically); returns the file. */
    public static Path write(float[] pixels, int count, int channels, int height, int width, int columns, int scale,
                             Path file) {
        return PngFiles.write(render(pixels, count, channels, height, width, columns, scale), file);
    }

    /** [-1, 1] → 0..255. */
    private static int level(float v) {
        if (!(v > -1f)) {
            return 0;                     // also NaN
        }
        return v >= 1f ? 255 : Math.round((v + 1f) * 127.5f);
    }
}
