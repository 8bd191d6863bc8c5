package dev.panamax.models.gpt.tokenizer;

import java.nio.file.Path;

/**
 * Text ↔ token ids. Every tokenizer is saved next to a checkpoint ({@link #save}) and read back by
 * {@link Tokenizers#load}, so a checkpoint always decodes with the vocabulary it was trained on.
 */
public interface Tokenizer {

    /** Number of distinct ids: every id is in [0, vocabSize). */
    int vocabSize();

    /** The ids of {@code text}; a character the vocabulary cannot express throws, naming it and its position. */
    int[] encode(String text);

    /** The text of {@code ids}; an id outside [0, vocabSize) throws. */
    String decode(int[] ids);

    /**
     * The UTF-8 bytes of {@code ids}. A streaming decoder concatenates these per token: for byte-level
     * tokenizers one token may hold part of a multi-byte character, which only the joined bytes complete.
     */
    default byte[] decodeBytes(int[] ids) {
        return decode(ids).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** The id that ends a text (GPT-2's {@code <|endoftext|>}), or -1 when the vocabulary has none. */
    default int endOfText() {
        return -1;
    }

    /** A short kind name written with the checkpoint: "char", "bpe", "gpt2". */
    String kind();

    /** Writes this tokenizer's files into {@code directory} (created if needed). */
    void save(Path directory);
}
