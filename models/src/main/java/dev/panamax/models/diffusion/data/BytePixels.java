package dev.panamax.models.diffusion.data;

/**
 * How the datasets keep their images: one byte per pixel value (0 black ... 255 white), image after image, which
 * is a quarter of the memory of floats (60,000 glyphs of 28×28 take 47 MB); {@link #copyScaled} expands one image
 * to the [-1, 1] floats the diffusion model trains on.
 */
final class BytePixels {

    private BytePixels() {
    }

    /**
     * Writes image {@code index} (each image {@code imageSize} values) of {@code pixels} into {@code dst} at
     * {@code offset}, as {@code v / 127.5 − 1}; {@code owner} names the dataset in the error messages.
     */
    static void copyScaled(String owner, byte[] pixels, int count, int imageSize, int index, float[] dst,
                           int offset) {
        checkIndex(owner, index, count);
        if (offset < 0 || offset > dst.length - imageSize) {
            throw new IllegalArgumentException(owner + ".image: " + imageSize + " floats do not fit in dst of length "
                    + dst.length + " at offset " + offset);
        }
        int base = index * imageSize;
        for (int p = 0; p < imageSize; p++) {
            dst[offset + p] = (pixels[base + p] & 0xFF) / 127.5f - 1f;
        }
    }

    static void checkIndex(String owner, int index, int count) {
        if (index < 0 || index >= count) {
            throw new IndexOutOfBoundsException(owner + ": image " + index + " of " + count);
        }
    }
}
