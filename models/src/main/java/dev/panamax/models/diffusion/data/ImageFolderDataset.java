package dev.panamax.models.diffusion.data;

import dev.panamax.engine.parallel.WorkerPool;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * A user's folder of PNG/JPEG images, resized to {@code size × size} and held in memory as bytes. Two layouts:
 * <ul>
 *   <li>images directly in the folder: an unlabelled (unconditional) dataset;</li>
 *   <li>one sub-folder per class with the images inside: a labelled dataset whose class names are the sub-folder
 *       names in sorted order.</li>
 * </ul>
 * Other files (a README, hidden files) are skipped. Each image is centre-cropped to a square, then resized: area
 * averaging when it shrinks, bilinear interpolation when it grows. Grayscale is the Rec. 601 luma of RGB;
 * transparent pixels are composited over black. Images are read in parallel but kept in sorted file-name order.
 */
public final class ImageFolderDataset implements ImageDataset {

    static {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    /** Grayscale (1 channel) or RGB (3 channels). */
    public enum Color {
        GRAY(1), RGB(3);

        private final int channels;

        Color(int channels) {
            this.channels = channels;
        }

        public int channels() {
            return channels;
        }
    }

    private static final List<String> EXTENSIONS = List.of(".png", ".jpg", ".jpeg");

    private final Path folder;
    private final int size;
    private final int channels;
    private final List<String> classNames;
    private final List<Path> files;
    private final byte[] pixels;    // image i at i·C·size², channel-major, 0 ... 255
    private final int[] labels;     // -1 when unlabelled

    private ImageFolderDataset(Path folder, int size, int channels, List<String> classNames, List<Path> files,
                               byte[] pixels, int[] labels) {
        this.folder = folder;
        this.size = size;
        this.channels = channels;
        this.classNames = classNames;
        this.files = files;
        this.pixels = pixels;
        this.labels = labels;
    }

    /**
     * Reads every image in {@code folder} (either layout), resized to {@code size × size} in {@code color}.
     *
     * @throws IllegalArgumentException the folder is missing or not a folder, holds no images, mixes loose images
     *                                  with class sub-folders, has an empty class sub-folder, or an image file
     *                                  cannot be decoded (the message names the file)
     */
    public static ImageFolderDataset load(Path folder, int size, Color color) {
        if (folder == null || color == null) {
            throw new IllegalArgumentException("ImageFolderDataset: folder and color must not be null");
        }
        if (size < 1 || size > 4096) {
            throw new IllegalArgumentException("ImageFolderDataset: size must be in [1, 4096], got " + size);
        }
        if (!Files.exists(folder)) {
            throw new IllegalArgumentException("ImageFolderDataset: folder " + folder + " does not exist");
        }
        if (!Files.isDirectory(folder)) {
            throw new IllegalArgumentException("ImageFolderDataset: " + folder + " is a file, not a folder of images");
        }
        List<Path> looseImages = list(folder, ImageFolderDataset::isImage);
        List<Path> classFolders = list(folder, p -> Files.isDirectory(p) && !hidden(p));
        List<Path> files = new ArrayList<>();
        List<Integer> labelList = new ArrayList<>();
        List<String> classNames = new ArrayList<>();
        boolean labelled = looseImages.isEmpty() && !classFolders.isEmpty();
        if (labelled) {
            for (Path classFolder : classFolders) {
                List<Path> images = list(classFolder, ImageFolderDataset::isImage);
                if (images.isEmpty()) {
                    throw new IllegalArgumentException("ImageFolderDataset: class folder " + classFolder
                            + " holds no PNG/JPEG images; remove it or add images");
                }
                for (Path image : images) {
                    files.add(image);
                    labelList.add(classNames.size());
                }
                classNames.add(classFolder.getFileName().toString());
            }
        } else {
            if (looseImages.isEmpty()) {
                throw new IllegalArgumentException("ImageFolderDataset: " + folder + " holds no PNG/JPEG images "
                        + "(looked for *.png, *.jpg, *.jpeg, or one sub-folder of them per class)");
            }
            List<Path> classFoldersWithImages = classFolders.stream()
                    .filter(p -> !list(p, ImageFolderDataset::isImage).isEmpty()).toList();
            if (!classFoldersWithImages.isEmpty()) {
                throw new IllegalArgumentException("ImageFolderDataset: " + folder + " mixes layouts: "
                        + looseImages.size() + " images directly inside and images in sub-folders ("
                        + classFoldersWithImages.get(0).getFileName() + (classFoldersWithImages.size() > 1 ? ", ..." : "")
                        + "); put every image in a class sub-folder (labelled) or all directly in the folder "
                        + "(unlabelled)");
            }
            files.addAll(looseImages);
            for (int i = 0; i < looseImages.size(); i++) {
                labelList.add(-1);
            }
        }
        int channels = color.channels();
        int imageBytes = channels * size * size;
        if ((long) files.size() * imageBytes > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("ImageFolderDataset: " + files.size() + " images of " + channels + "x"
                    + size + "x" + size + " do not fit in memory as one dataset; choose a smaller size");
        }
        byte[] pixels = new byte[files.size() * imageBytes];
        WorkerPool.shared().runRange(files.size(), 8, (from, to) -> {
            for (int i = (int) from; i < to; i++) {
                BufferedImage image = read(files.get(i));
                resize(image, size, color, pixels, i * imageBytes);
            }
        });
        int[] labels = labelList.stream().mapToInt(Integer::intValue).toArray();
        return new ImageFolderDataset(folder, size, channels, List.copyOf(classNames), List.copyOf(files), pixels,
                labels);
    }

    private static boolean isImage(Path p) {
        String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return Files.isRegularFile(p) && !hidden(p) && EXTENSIONS.stream().anyMatch(name::endsWith);
    }

    private static boolean hidden(Path p) {
        return p.getFileName().toString().startsWith(".");
    }

    /** The entries of {@code dir} that pass {@code filter}, sorted by name. */
    private static List<Path> list(Path dir, java.util.function.Predicate<Path> filter) {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.filter(filter).sorted().toList();
        } catch (IOException e) {
            throw new IllegalArgumentException("ImageFolderDataset: cannot list " + dir + ": " + e.getMessage(), e);
        }
    }

    private static BufferedImage read(Path file) {
        BufferedImage image;
        try {
            image = ImageIO.read(file.toFile());
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("ImageFolderDataset: cannot read image " + file + ": "
                    + e.getMessage(), e);
        }
        if (image == null) {
            throw new IllegalArgumentException("ImageFolderDataset: cannot read image " + file
                    + ": not a PNG or JPEG this JDK can decode");
        }
        return image;
    }

    /**
     * Centre-crops {@code image} to a square and resizes it to {@code size × size}, writing {@code color}'s
     * channels (channel-major bytes) to {@code dst} at {@code offset}.
     */
    static void resize(BufferedImage image, int size, Color color, byte[] dst, int offset) {
        int side = Math.min(image.getWidth(), image.getHeight());
        int x0 = (image.getWidth() - side) / 2;
        int y0 = (image.getHeight() - side) / 2;
        float[][] planes = rgbPlanes(image, x0, y0, side);   // 3 planes side×side, values 0..255
        int plane = size * size;
        if (color == Color.GRAY) {
            float[] gray = new float[side * side];
            for (int p = 0; p < gray.length; p++) {
                gray[p] = 0.299f * planes[0][p] + 0.587f * planes[1][p] + 0.114f * planes[2][p];
            }
            planes = new float[][] {gray};
        }
        for (int c = 0; c < planes.length; c++) {
            float[] resized = side >= size ? areaResize(planes[c], side, size) : bilinearResize(planes[c], side, size);
            for (int p = 0; p < plane; p++) {
                dst[offset + c * plane + p] = (byte) Math.clamp(Math.round(resized[p]), 0, 255);
            }
        }
    }

    /**
     * The square {@code (x0, y0, side)} of {@code image} as red, green and blue planes (0..255), alpha composited
     * over black. Grayscale images are read from their raster: {@code getRGB} would pass them through a colour
     * conversion that brightens mid-grays.
     */
    private static float[][] rgbPlanes(BufferedImage image, int x0, int y0, int side) {
        float[] r = new float[side * side];
        float[] g = new float[side * side];
        float[] b = new float[side * side];
        ColorModel model = image.getColorModel();
        Raster raster = image.getRaster();
        boolean gray = model.getColorSpace().getType() == java.awt.color.ColorSpace.TYPE_GRAY
                && raster.getNumBands() <= 2;
        if (gray) {
            double max = (1 << model.getComponentSize(0)) - 1;
            boolean alpha = raster.getNumBands() == 2;
            double alphaMax = alpha ? (1 << model.getComponentSize(1)) - 1 : 1;
            for (int y = 0; y < side; y++) {
                for (int x = 0; x < side; x++) {
                    double v = raster.getSample(x0 + x, y0 + y, 0) / max * 255;
                    if (alpha) {
                        v *= raster.getSample(x0 + x, y0 + y, 1) / alphaMax;
                    }
                    int p = y * side + x;
                    r[p] = g[p] = b[p] = (float) v;
                }
            }
        } else {
            int[] argb = image.getRGB(x0, y0, side, side, null, 0, side);
            for (int p = 0; p < argb.length; p++) {
                float a = (argb[p] >>> 24) / 255f;
                r[p] = ((argb[p] >> 16) & 0xFF) * a;
                g[p] = ((argb[p] >> 8) & 0xFF) * a;
                b[p] = (argb[p] & 0xFF) * a;
            }
        }
        return new float[][] {r, g, b};
    }

    /**
     * Shrinks a {@code from × from} plane to {@code to × to}: each output pixel is the average of the input area
     * it covers, partial pixels weighted by their covered fraction (no aliasing, exact for integer ratios).
     */
    static float[] areaResize(float[] src, int from, int to) {
        double ratio = (double) from / to;
        float[] rows = new float[to * from];          // first along x: to columns, from rows
        for (int y = 0; y < from; y++) {
            for (int x = 0; x < to; x++) {
                rows[y * to + x] = (float) coverage(src, y * from, 1, ratio, x);
            }
        }
        float[] out = new float[to * to];
        for (int x = 0; x < to; x++) {
            for (int y = 0; y < to; y++) {
                out[y * to + x] = (float) coverage(rows, x, to, ratio, y);
            }
        }
        return out;
    }

    /** The mean of {@code line} (start, stride) over the input interval [i·ratio, (i+1)·ratio). */
    private static double coverage(float[] line, int start, int stride, double ratio, int i) {
        double lo = i * ratio;
        double hi = (i + 1) * ratio;
        double sum = 0;
        for (int k = (int) Math.floor(lo); k < hi; k++) {
            double weight = Math.min(hi, k + 1) - Math.max(lo, k);
            if (weight > 0) {
                sum += weight * line[start + k * stride];
            }
        }
        return sum / ratio;
    }

    /** Grows a {@code from × from} plane to {@code to × to} by bilinear interpolation (pixel centres aligned). */
    static float[] bilinearResize(float[] src, int from, int to) {
        float[] out = new float[to * to];
        double ratio = (double) from / to;
        for (int y = 0; y < to; y++) {
            double sy = Math.clamp((y + 0.5) * ratio - 0.5, 0, from - 1);
            int y1 = (int) sy;
            int y2 = Math.min(y1 + 1, from - 1);
            double fy = sy - y1;
            for (int x = 0; x < to; x++) {
                double sx = Math.clamp((x + 0.5) * ratio - 0.5, 0, from - 1);
                int x1 = (int) sx;
                int x2 = Math.min(x1 + 1, from - 1);
                double fx = sx - x1;
                double top = src[y1 * from + x1] * (1 - fx) + src[y1 * from + x2] * fx;
                double bottom = src[y2 * from + x1] * (1 - fx) + src[y2 * from + x2] * fx;
                out[y * to + x] = (float) (top * (1 - fy) + bottom * fy);
            }
        }
        return out;
    }

    /** The folder the images came from. */
    public Path folder() {
        return folder;
    }

    /** The file image {@code index} was read from. */
    public Path file(int index) {
        checkIndex(index);
        return files.get(index);
    }

    @Override
    public int size() {
        return labels.length;
    }

    @Override
    public int channels() {
        return channels;
    }

    @Override
    public int height() {
        return size;
    }

    @Override
    public int width() {
        return size;
    }

    @Override
    public int classes() {
        return classNames.size();
    }

    @Override
    public List<String> classNames() {
        return classNames;
    }

    @Override
    public void image(int index, float[] dst, int offset) {
        BytePixels.copyScaled("ImageFolderDataset", pixels, labels.length, imageSize(), index, dst, offset);
    }

    @Override
    public int label(int index) {
        checkIndex(index);
        return labels[index];
    }

    private void checkIndex(int index) {
        BytePixels.checkIndex("ImageFolderDataset", index, labels.length);
    }

    @Override
    public String toString() {
        return "ImageFolderDataset[" + folder + ": " + labels.length + " images " + channels + "x" + size + "x" + size
                + (classNames.isEmpty() ? ", unlabelled" : ", classes " + classNames) + "]";
    }
}
