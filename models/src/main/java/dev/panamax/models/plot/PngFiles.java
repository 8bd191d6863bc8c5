package dev.panamax.models.plot;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import javax.imageio.ImageIO;

/** Writes images as PNG files. */
public final class PngFiles {

    private PngFiles() {
    }

    /**
     * Writes {@code image} to {@code file} through a temporary file in the same directory (created if missing) and
     * a rename, so a reader never sees half a PNG. Returns {@code file}.
     */
    public static Path write(BufferedImage image, Path file) {
        try {
            Path dir = file.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, ".png-", ".tmp");
            try {
                if (!ImageIO.write(image, "png", tmp.toFile())) {
                    throw new IOException("this JDK has no PNG writer");
                }
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
        return file;
    }
}
