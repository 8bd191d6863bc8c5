package dev.panamax.models.diffusion.data;

/**
 * A set of same-size images, optionally labelled, as the diffusion trainer and the evaluation read them:
 * channel-major (C, H, W) floats with pixel values scaled to [-1, 1] (−1 black, +1 white), the range DDPM's
 * forward process assumes.
 */
public interface ImageDataset {

    /** Number of images. */
    int size();

    /** 1 for grayscale, 3 for RGB. */
    int channels();

    int height();

    int width();

    /** Number of classes; 0 for an unlabelled (unconditional) dataset. */
    int classes();

    /** Human-readable class names, index = label (empty for an unlabelled dataset). */
    java.util.List<String> classNames();

    /** Copies image {@code index} (channels·height·width floats in [-1, 1]) into {@code dst} at {@code offset}. */
    void image(int index, float[] dst, int offset);

    /** The label of image {@code index}, in [0, classes), or -1 for an unlabelled dataset. */
    int label(int index);

    /** Floats per image: channels·height·width. */
    default int imageSize() {
        return channels() * height() * width();
    }
}
