package dev.panamax.models.gpt.tokenizer;

import java.nio.file.Files;
import java.nio.file.Path;

/** Finds and reads the tokenizer saved in a checkpoint directory, whatever its kind. */
public final class Tokenizers {

    private Tokenizers() {
    }

    /** The tokenizer saved by {@link Tokenizer#save} in {@code directory}. */
    public static Tokenizer load(Path directory) {
        if (Files.isRegularFile(directory.resolve(CharTokenizer.FILE))) {
            return CharTokenizer.load(directory);
        }
        throw new IllegalArgumentException("no tokenizer in " + directory + ": expected " + CharTokenizer.FILE
                + " (a char tokenizer)");
    }
}
