package dev.panamax.models.diffusion.data;

/** Copies images out of an {@link ImageDataset} into one flat batch array (image i at i·C·H·W). */
public final class ImageBatches {

    private ImageBatches() {
    }

    /** Images {@code from .. from + count − 1}. */
    public static float[] range(ImageDataset data, int from, int count) {
        if (from < 0 || count < 0 || (long) from + count > data.size()) {
            throw new IllegalArgumentException("ImageBatches.range: images " + from + " .. " + ((long) from + count - 1)
                    + " are outside the dataset's " + data.size());
        }
        int[] indices = new int[count];
        for (int i = 0; i < count; i++) {
            indices[i] = from + i;
        }
        return gather(data, indices);
    }

    /** The images at {@code indices}, in that order. */
    public static float[] gather(ImageDataset data, int[] indices) {
        int n = data.imageSize();
        if ((long) indices.length * n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("ImageBatches.gather: " + indices.length + " images of " + n
                    + " floats exceed one Java array; gather fewer at a time");
        }
        float[] batch = new float[indices.length * n];
        for (int i = 0; i < indices.length; i++) {
            data.image(indices[i], batch, i * n);
        }
        return batch;
    }

    /** The labels at {@code indices}, in that order (-1 for an unlabelled dataset). */
    public static int[] labels(ImageDataset data, int[] indices) {
        int[] labels = new int[indices.length];
        for (int i = 0; i < indices.length; i++) {
            labels[i] = data.label(indices[i]);
        }
        return labels;
    }
}
