package dev.panamax.models.diffusion.data;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A synthetic labelled dataset of simple white shapes on black, drawn on the fly (nothing is stored or
 * downloaded): a horizontal bar, a vertical bar, a cross, a hollow box. Each image's position, length and
 * thickness come from a generator seeded by (seed, index), so image i is the same on every call and every run.
 * Small and fast to learn, it is what the tests, the demo and a first {@code panamax diffusion train} use; a
 * model that has learned it draws recognisably the requested shape.
 */
public final class ShapesDataset implements ImageDataset {

    private static final List<String> NAMES = List.of("horizontal bar", "vertical bar", "cross", "box");

    private final int size;
    private final int side;
    private final long seed;

    /**
     * @param size number of images (labels cycle 0, 1, 2, 3, 0, ...)
     * @param side image height and width in pixels, at least 8
     */
    public ShapesDataset(int size, int side, long seed) {
        if (size < 1 || side < 8) {
            throw new IllegalArgumentException("ShapesDataset: size must be >= 1 and side >= 8, got " + size + " and "
                    + side);
        }
        this.size = size;
        this.side = side;
        this.seed = seed;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public int channels() {
        return 1;
    }

    @Override
    public int height() {
        return side;
    }

    @Override
    public int width() {
        return side;
    }

    @Override
    public int classes() {
        return NAMES.size();
    }

    @Override
    public List<String> classNames() {
        return NAMES;
    }

    @Override
    public int label(int index) {
        checkIndex(index);
        return index % NAMES.size();
    }

    @Override
    public void image(int index, float[] dst, int offset) {
        checkIndex(index);
        if (offset < 0 || offset + side * side > dst.length) {
            throw new IllegalArgumentException("ShapesDataset.image: " + side * side + " floats at offset " + offset
                    + " do not fit an array of " + dst.length);
        }
        Arrays.fill(dst, offset, offset + side * side, -1f);
        SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + index);
        int thickness = Math.max(1, side / 8 + random.nextInt(Math.max(1, side / 16 + 1)));
        int half = side / 4 + random.nextInt(Math.max(1, side / 8));           // half the shape's extent
        int centerY = side / 2 + random.nextInt(-side / 8, side / 8 + 1);
        int centerX = side / 2 + random.nextInt(-side / 8, side / 8 + 1);
        int top = centerY - half;
        int left = centerX - half;
        int bottom = centerY + half;
        int right = centerX + half;
        int barTop = centerY - thickness / 2;
        int barLeft = centerX - thickness / 2;
        switch (label(index)) {
            case 0 -> fill(dst, offset, barTop, left, barTop + thickness, right);
            case 1 -> fill(dst, offset, top, barLeft, bottom, barLeft + thickness);
            case 2 -> {
                fill(dst, offset, barTop, left, barTop + thickness, right);
                fill(dst, offset, top, barLeft, bottom, barLeft + thickness);
            }
            default -> {
                fill(dst, offset, top, left, top + thickness, right);
                fill(dst, offset, bottom - thickness, left, bottom, right);
                fill(dst, offset, top, left, bottom, left + thickness);
                fill(dst, offset, top, right - thickness, bottom, right);
            }
        }
    }

    /** Sets rows [y0, y1) × columns [x0, x1), clipped to the image, to white. */
    private void fill(float[] dst, int offset, int y0, int x0, int y1, int x1) {
        for (int y = Math.max(0, y0); y < Math.min(side, y1); y++) {
            for (int x = Math.max(0, x0); x < Math.min(side, x1); x++) {
                dst[offset + y * side + x] = 1f;
            }
        }
    }

    private void checkIndex(int index) {
        if (index < 0 || index >= size) {
            throw new IllegalArgumentException("ShapesDataset: index " + index + " is outside [0, " + size + ")");
        }
    }
}
