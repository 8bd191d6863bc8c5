package dev.panamax.models.cli;

import dev.panamax.models.diffusion.data.ImageDataset;
import dev.panamax.models.diffusion.data.ShapesDataset;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Resolves {@code panamax diffusion train --data NAME} to a dataset. Each built-in dataset is a {@link Source}
 * registered under its name here; a new one (the rendered glyphs, a folder of images) is one more entry.
 */
final class DiffusionData {

    /** Opens a dataset at an image side (null: the dataset's own default), from a seed. */
    interface Source {
        ImageDataset open(Integer side, long seed);

        /** One line for --help and error messages. */
        String description();
    }

    private static final Map<String, Source> SOURCES = new LinkedHashMap<>();

    static {
        SOURCES.put("shapes", new Source() {
            @Override
            public ImageDataset open(Integer side, long seed) {
                return new ShapesDataset(10_000, side == null ? 16 : side, seed);
            }

            @Override
            public String description() {
                return "synthetic bars, crosses and boxes (4 classes, 16x16 by default)";
            }
        });
    }

    private DiffusionData() {
    }

    static ImageDataset open(String name, Integer side, long seed) {
        Source source = name == null ? null : SOURCES.get(name.toLowerCase(Locale.ROOT));
        if (source == null) {
            throw new IllegalArgumentException("--data: unknown dataset '" + name + "'; available: " + names());
        }
        return source.open(side, seed);
    }

    /** "shapes (synthetic bars, ...), ..." */
    static String names() {
        StringBuilder s = new StringBuilder();
        SOURCES.forEach((name, source) -> s.append(s.isEmpty() ? "" : ", ").append(name).append(" (")
                .append(source.description()).append(')'));
        return s.toString();
    }
}
