package dev.panamax.engine.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A safetensors file that cannot be used: malformed (truncated, bad header, inconsistent offsets), holding a
 * tensor Panamax cannot read, or not matching the parameters it should load into. The message starts with the
 * file, then says what is wrong, so a user knows which file to regenerate or replace.
 */
public final class SafeTensorsException extends IOException {

    private static final long serialVersionUID = 1L;
    private final transient Path file;

    public SafeTensorsException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    public SafeTensorsException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
    }

    /** The file concerned (null after Java deserialization, which no one uses for this exception). */
    public Path file() {
        return file;
    }
}
