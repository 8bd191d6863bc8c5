package dev.panamax.models.cli;

import dev.panamax.models.diffusion.data.GlyphDataset;
import dev.panamax.models.diffusion.data.ImageDataset;
import dev.panamax.models.diffusion.data.ImageFolderDataset;
import dev.panamax.models.diffusion.data.ShapesDataset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Resolves {@code panamax diffusion train --data NAME|DIR} to a dataset. Each built-in dataset is a {@link Source}
 * registered under its name here; anything else that names an existing path is read as a folder of PNG/JPEG images
 * ({@link ImageFolderDataset}: loose images are unlabelled, one sub-folder per class labels them).
 */
final class DiffusionData {

    /** The recipe's dataset, and so the default of {@code diffusion train}. */
    static final String GLYPHS = "glyphs";
    /** Side of a folder's images when --image-size is not given: the recipe's. */
    static final int FOLDER_DEFAULT_SIDE = 28;

    /** Opens a dataset at an image side (null: the dataset's own default) and image count (null: its default). */
    interface Source {
        ImageDataset open(Integer side, Integer count, long seed);

        /** One line for --help and error messages. */
        String description();
    }

    private static final Map<String, Source> SOURCES = new LinkedHashMap<>();

    static {
        // 60 000 glyphs (about 2 epochs of the recipe's 3 000 steps of 32): renders in a few seconds.
        SOURCES.put(GLYPHS, new Source() {
            @Override
            public ImageDataset open(Integer side, Integer count, long seed) {
                return GlyphDataset.generate(count == null ? 60_000 : count, side == null ? 28 : side, seed);
            }

            @Override
            public String description() {
                return "the digits 0-9 drawn in the JDK's fonts (10 classes, 28x28, 60000 images by default)";
            }
        });
        SOURCES.put("shapes", new Source() {
            @Override
            public ImageDataset open(Integer side, Integer count, long seed) {
                return new ShapesDataset(count == null ? 10_000 : count, side == null ? 16 : side, seed);
            }

            @Override
            public String description() {
                return "synthetic bars, crosses and boxes (4 classes, 16x16 by default)";
            }
        });
    }

    private DiffusionData() {
    }

    /**
     * A built-in dataset by name, or the folder {@code name} of images in {@code color} (the count does not apply).
     *
     * @throws IllegalArgumentException an unknown name that is not a path either, or a folder that cannot be read
     */
    static ImageDataset open(String name, Integer side, Integer count, long seed, ImageFolderDataset.Color color) {
        if (count != null && count < 1) {
            throw new IllegalArgumentException("--data-count must be >= 1, got " + count);
        }
        Source source = name == null ? null : SOURCES.get(name.toLowerCase(Locale.ROOT));
        if (source != null) {
            return source.open(side, count, seed);
        }
        if (name != null && !name.isBlank() && (Files.exists(Path.of(name)) || name.contains("/")
                || name.contains(java.io.File.separator))) {
            // ImageFolderDataset names a missing folder, a file, an empty folder or an undecodable image itself.
            return ImageFolderDataset.load(Path.of(name), side == null ? FOLDER_DEFAULT_SIDE : side, color);
        }
        throw new IllegalArgumentException("--data: unknown dataset '" + name + "'; available: " + names()
                + ", or a folder of PNG/JPEG images");
    }

    /** "glyphs (the digits ...), shapes (synthetic bars, ...)" */
    static String names() {
        StringBuilder s = new StringBuilder();
        SOURCES.forEach((name, source) -> s.append(s.isEmpty() ? "" : ", ").append(name).append(" (")
                .append(source.description()).append(')'));
        return s.toString();
    }
}
