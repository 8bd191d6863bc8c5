package dev.panamax.models.gpt.tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * Character-level tokenizer, as in nanoGPT's shakespeare_char: the vocabulary is the sorted set of distinct
 * characters (Unicode code points) of the training corpus, and each one is a token.
 *
 * <p>Saved as {@code tokenizer-chars.txt}: the vocabulary as UTF-8 text, one code point per id in id order.
 */
public final class CharTokenizer implements Tokenizer {

    public static final String FILE = "tokenizer-chars.txt";

    private final int[] codePoints;               // id -> code point
    private final Map<Integer, Integer> ids;      // code point -> id

    private CharTokenizer(int[] codePoints) {
        if (codePoints.length == 0) {
            throw new IllegalArgumentException("CharTokenizer: the vocabulary is empty (was the corpus empty?)");
        }
        this.codePoints = codePoints;
        this.ids = new HashMap<>();
        for (int i = 0; i < codePoints.length; i++) {
            if (ids.put(codePoints[i], i) != null) {
                throw new IllegalArgumentException("CharTokenizer: the character " + describe(codePoints[i])
                        + " appears twice in the vocabulary");
            }
        }
    }

    /** The vocabulary of every distinct character in {@code corpus}, sorted by code point. */
    public static CharTokenizer fromCorpus(String corpus) {
        if (corpus == null || corpus.isEmpty()) {
            throw new IllegalArgumentException("CharTokenizer: the corpus is empty; a character vocabulary needs text");
        }
        TreeSet<Integer> distinct = new TreeSet<>();
        corpus.codePoints().forEach(distinct::add);
        return new CharTokenizer(distinct.stream().mapToInt(Integer::intValue).toArray());
    }

    /** A vocabulary given in id order (each code point of {@code vocabulary} is one id). */
    public static CharTokenizer ofVocabulary(String vocabulary) {
        return new CharTokenizer(vocabulary.codePoints().toArray());
    }

    /** Reads the vocabulary saved by {@link #save} in {@code directory}. */
    public static CharTokenizer load(Path directory) {
        Path file = directory.resolve(FILE);
        try {
            return ofVocabulary(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("CharTokenizer: cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public int vocabSize() {
        return codePoints.length;
    }

    @Override
    public int[] encode(String text) {
        int[] out = new int[text.codePointCount(0, text.length())];
        int n = 0;
        for (int offset = 0; offset < text.length(); ) {
            int cp = text.codePointAt(offset);
            Integer id = ids.get(cp);
            if (id == null) {
                throw new IllegalArgumentException("CharTokenizer: the character " + describe(cp) + " at index "
                        + offset + " is not in the vocabulary of " + codePoints.length
                        + " characters (it did not occur in the training corpus)");
            }
            out[n++] = id;
            offset += Character.charCount(cp);
        }
        return out;
    }

    @Override
    public String decode(int[] tokenIds) {
        StringBuilder s = new StringBuilder(tokenIds.length);
        for (int id : tokenIds) {
            if (id < 0 || id >= codePoints.length) {
                throw new IllegalArgumentException("CharTokenizer: id " + id + " is outside [0, "
                        + codePoints.length + ")");
            }
            s.appendCodePoint(codePoints[id]);
        }
        return s.toString();
    }

    /** Whether {@code codePoint} has an id. */
    public boolean contains(int codePoint) {
        return ids.containsKey(codePoint);
    }

    @Override
    public String kind() {
        return "char";
    }

    @Override
    public void save(Path directory) {
        try {
            Files.createDirectories(directory);
            StringBuilder s = new StringBuilder();
            Arrays.stream(codePoints).forEach(s::appendCodePoint);
            Files.writeString(directory.resolve(FILE), s, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("CharTokenizer: cannot write into " + directory + ": " + e.getMessage(), e);
        }
    }

    private static String describe(int cp) {
        String printable = Character.isISOControl(cp) || Character.isWhitespace(cp) ? "" : "'" + Character.toString(cp) + "' ";
        return printable + String.format("(U+%04X)", cp);
    }
}
