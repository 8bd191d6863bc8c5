package dev.panamax.models.gpt.tokenizer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Finds and reads the tokenizer saved in a checkpoint directory, whatever its kind, and makes new ones for training. */
public final class Tokenizers {

    /** The training specs {@link #forTraining} accepts, for error messages. */
    private static final String SPECS = "'char' (one token per character of the corpus) or 'bpe:N' (byte-level BPE "
            + "trained to N tokens, e.g. bpe:512)";

    private Tokenizers() {
    }

    /**
     * The tokenizer saved by {@link Tokenizer#save} in {@code directory}: {@value CharTokenizer#FILE} (char),
     * {@value BpeTokenizer#FILE} (bpe) or {@value Gpt2Tokenizer#VOCAB_FILE} + {@value Gpt2Tokenizer#MERGES_FILE}
     * (gpt2). Files of two kinds in one directory are ambiguous and throw; {@link #load(Path, String)} picks one.
     */
    public static Tokenizer load(Path directory) {
        List<String> found = new ArrayList<>();
        if (Files.isRegularFile(directory.resolve(CharTokenizer.FILE))) {
            found.add("char");
        }
        if (Files.isRegularFile(directory.resolve(BpeTokenizer.FILE))) {
            found.add("bpe");
        }
        boolean vocab = Files.isRegularFile(directory.resolve(Gpt2Tokenizer.VOCAB_FILE));
        boolean merges = Files.isRegularFile(directory.resolve(Gpt2Tokenizer.MERGES_FILE));
        if (vocab || merges) {
            if (!(vocab && merges)) {
                throw new IllegalArgumentException("tokenizer in " + directory + ": found "
                        + (vocab ? Gpt2Tokenizer.VOCAB_FILE : Gpt2Tokenizer.MERGES_FILE) + " but not "
                        + (vocab ? Gpt2Tokenizer.MERGES_FILE : Gpt2Tokenizer.VOCAB_FILE)
                        + "; a GPT-2 tokenizer needs both");
            }
            found.add("gpt2");
        }
        if (found.isEmpty()) {
            throw new IllegalArgumentException("no tokenizer in " + directory + ": expected " + CharTokenizer.FILE
                    + " (char), " + BpeTokenizer.FILE + " (bpe), or " + Gpt2Tokenizer.VOCAB_FILE + " and "
                    + Gpt2Tokenizer.MERGES_FILE + " (gpt2)");
        }
        if (found.size() > 1) {
            throw new IllegalArgumentException("tokenizer in " + directory + " is ambiguous: files of the kinds "
                    + found + " are all there; remove the stale ones or load by kind");
        }
        return load(directory, found.getFirst());
    }

    /** The tokenizer of kind {@code kind} ({@link Tokenizer#kind()}: char, bpe, gpt2) saved in {@code directory}. */
    public static Tokenizer load(Path directory, String kind) {
        return switch (kind) {
            case "char" -> CharTokenizer.load(directory);
            case "bpe" -> BpeTokenizer.load(directory);
            case "gpt2" -> Gpt2Tokenizer.load(directory);
            case null, default -> throw new IllegalArgumentException("tokenizer kind " + kind
                    + " is unknown: expected char, bpe or gpt2");
        };
    }

    /**
     * A tokenizer made from the training corpus, as {@code spec} says: {@code char} (the corpus's characters) or
     * {@code bpe:N} (byte-level BPE with N tokens in all, counting the 256 bytes and {@code <|endoftext|>}, which is
     * included so generation can stop on it). This is what {@code panamax gpt train --tokenizer SPEC} calls.
     */
    public static Tokenizer forTraining(String spec, String corpus) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("tokenizer spec is empty: expected " + SPECS);
        }
        String s = spec.trim();
        if (s.equals("char")) {
            return CharTokenizer.fromCorpus(corpus);
        }
        if (s.equals("bpe")) {
            throw new IllegalArgumentException("tokenizer spec 'bpe' needs a vocabulary size: expected " + SPECS);
        }
        if (s.startsWith("bpe:")) {
            String size = s.substring("bpe:".length()).trim();
            int vocabSize;
            try {
                vocabSize = Integer.parseInt(size);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("tokenizer spec '" + spec + "': vocabulary size '" + size
                        + "' is not a whole number; expected " + SPECS, e);
            }
            if (vocabSize < 257 || vocabSize > BpeTokenizer.MAX_VOCAB_SIZE) {
                throw new IllegalArgumentException("tokenizer spec '" + spec + "': the vocabulary size must be in [257, "
                        + BpeTokenizer.MAX_VOCAB_SIZE + "] (256 byte tokens and <|endoftext|> come first), got "
                        + vocabSize);
            }
            return BpeTokenizer.train(corpus, vocabSize, true);
        }
        if (s.equals("gpt2")) {
            throw new IllegalArgumentException("tokenizer spec 'gpt2' cannot be trained: GPT-2's tokenizer is read "
                    + "from vocab.json and merges.txt (Gpt2Tokenizer.load); for training expected " + SPECS);
        }
        throw new IllegalArgumentException("tokenizer spec '" + spec + "' is unknown: expected " + SPECS);
    }
}
