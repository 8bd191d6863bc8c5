package dev.panamax.models.gpt.tokenizer;

import dev.panamax.engine.io.AtomicFiles;
import dev.panamax.engine.io.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Byte-level BPE trained on your own corpus, GPT-2 style: the 256 byte values are the first 256 tokens (id =
 * byte value), so any UTF-8 text encodes and decodes back exactly; then come the learned merges, token
 * {@code 256 + r} for rule {@code r} (see {@link BpeTrainer}); then, optionally, {@code <|endoftext|>} as the
 * last id. Text is cut with GPT-2's pre-tokenization regex first, so tokens never span two words.
 *
 * <p>Saved as {@value #FILE}: JSON with the merge rules as id pairs (what encoding needs) and, for people and as a
 * consistency check, each token spelled the way GPT-2's {@code vocab.json} spells it (space = {@code Ġ}).
 */
public final class BpeTokenizer implements Tokenizer {

    public static final String FILE = "tokenizer-bpe.json";
    /** Upper bound on the vocabulary a corpus may be trained to (GPT-2 has 50,257; GPT-4 about 100k). */
    public static final int MAX_VOCAB_SIZE = 1 << 20;
    private static final String FORMAT_VERSION = "1";

    private final ByteLevelBpe codec;

    private BpeTokenizer(int[] lefts, int[] rights, boolean endOfText, String source) {
        int merges = lefts.length;
        int vocabSize = 256 + merges + (endOfText ? 1 : 0);
        byte[][] tokenBytes = new byte[vocabSize][];
        int[] byteToken = new int[256];
        for (int b = 0; b < 256; b++) {
            tokenBytes[b] = new byte[] {(byte) b};
            byteToken[b] = b;
        }
        int[] merged = new int[merges];
        PairMap seen = new PairMap(merges);
        for (int r = 0; r < merges; r++) {
            int id = 256 + r;
            for (int part : new int[] {lefts[r], rights[r]}) {
                if (part < 0 || part >= id) {
                    throw new IllegalArgumentException(source + ": merge " + r + " is [" + lefts[r] + ", "
                            + rights[r] + "], but token " + part + " does not exist yet (merge " + r
                            + " may only join ids below " + id + ")");
                }
            }
            if (seen.get(lefts[r], rights[r], -1) >= 0) {
                throw new IllegalArgumentException(source + ": merge " + r + " [" + lefts[r] + ", " + rights[r]
                        + "] repeats merge " + seen.get(lefts[r], rights[r], -1));
            }
            seen.put(lefts[r], rights[r], r);
            byte[] left = tokenBytes[lefts[r]];
            byte[] right = tokenBytes[rights[r]];
            byte[] joined = java.util.Arrays.copyOf(left, left.length + right.length);
            System.arraycopy(right, 0, joined, left.length, right.length);
            tokenBytes[id] = joined;
            merged[r] = id;
        }
        int specialId = -1;
        if (endOfText) {
            specialId = vocabSize - 1;
            tokenBytes[specialId] = ByteLevelBpe.END_OF_TEXT.getBytes(StandardCharsets.UTF_8);
        }
        this.codec = new ByteLevelBpe("BpeTokenizer", byteToken, tokenBytes, new MergeTable(lefts, rights, merged),
                specialId);
    }

    /**
     * Learns a vocabulary of (at most) {@code vocabSize} tokens from {@code corpus}: 256 bytes, then
     * {@code vocabSize - 256} merges (one fewer with {@code endOfText}, whose token takes the last id). Occurrences
     * of {@code <|endoftext|>} in the corpus separate documents and are not learned from. Fewer merges are made
     * when the corpus runs out of pairs that occur at least twice; {@link #vocabSize()} says how many.
     */
    public static BpeTokenizer train(String corpus, int vocabSize, boolean endOfText) {
        if (corpus == null || corpus.isEmpty()) {
            throw new IllegalArgumentException("BpeTokenizer.train: the corpus is empty; BPE learns merges from text");
        }
        int minimum = 256 + (endOfText ? 1 : 0);
        if (vocabSize < minimum || vocabSize > MAX_VOCAB_SIZE) {
            throw new IllegalArgumentException("BpeTokenizer.train: vocabSize " + vocabSize + " is outside ["
                    + minimum + ", " + MAX_VOCAB_SIZE + "]: the 256 byte tokens" + (endOfText ? " and <|endoftext|>" : "")
                    + " come first, merges fill the rest");
        }
        List<String> documents = new ArrayList<>();
        if (endOfText) {
            int from = 0;
            for (int at; (at = corpus.indexOf(ByteLevelBpe.END_OF_TEXT, from)) >= 0; from = at + ByteLevelBpe.END_OF_TEXT.length()) {
                documents.add(corpus.substring(from, at));
            }
            documents.add(corpus.substring(from));
        } else {
            documents.add(corpus);
        }
        int[][] rules = BpeTrainer.train(documents, vocabSize - minimum);
        return new BpeTokenizer(rules[0], rules[1], endOfText, "BpeTokenizer.train");
    }

    /** Reads the tokenizer saved by {@link #save} in {@code directory}. */
    public static BpeTokenizer load(Path directory) {
        Path file = directory.resolve(FILE);
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("BpeTokenizer: " + file + " does not exist", e);
        } catch (IOException e) {
            throw new UncheckedIOException("BpeTokenizer: cannot read " + file + ": " + e.getMessage(), e);
        }
        String where = "BpeTokenizer: " + file;
        Object root;
        try {
            root = Json.parse(text);
        } catch (Json.JsonException e) {
            throw new IllegalArgumentException(where + " is not valid JSON: " + e.getMessage(), e);
        }
        if (!(root instanceof Map<?, ?> json)) {
            throw new IllegalArgumentException(where + ": expected a JSON object at the top");
        }
        if (!"bpe".equals(json.get("kind"))) {
            throw new IllegalArgumentException(where + ": \"kind\" is " + json.get("kind") + ", expected \"bpe\"");
        }
        if (!FORMAT_VERSION.equals(json.get("version"))) {
            throw new IllegalArgumentException(where + ": \"version\" is " + json.get("version") + ", this reader "
                    + "knows version " + FORMAT_VERSION);
        }
        if (!(json.get("merges") instanceof List<?> mergeList)) {
            throw new IllegalArgumentException(where + ": \"merges\" is missing or not a list");
        }
        int[] lefts = new int[mergeList.size()];
        int[] rights = new int[mergeList.size()];
        for (int r = 0; r < lefts.length; r++) {
            if (!(mergeList.get(r) instanceof List<?> pair) || pair.size() != 2
                    || !(pair.get(0) instanceof Long left) || !(pair.get(1) instanceof Long right)
                    || left > Integer.MAX_VALUE || right > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(where + ": merges[" + r + "] is " + mergeList.get(r)
                        + ", expected a pair of token ids such as [116, 104]");
            }
            lefts[r] = left.intValue();
            rights[r] = right.intValue();
        }
        Object eot = json.get("end_of_text");
        if (eot != null && !(eot instanceof Long)) {
            throw new IllegalArgumentException(where + ": \"end_of_text\" is " + eot + ", expected an id or null");
        }
        BpeTokenizer tokenizer;
        try {
            tokenizer = new BpeTokenizer(lefts, rights, eot != null, where);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage() + " (the file was edited or is corrupted)", e);
        }
        if (eot != null && (Long) eot != tokenizer.endOfText()) {
            throw new IllegalArgumentException(where + ": \"end_of_text\" is " + eot + ", but with "
                    + lefts.length + " merges it must be the last id, " + tokenizer.endOfText());
        }
        Object vocabSize = json.get("vocab_size");
        if (!(vocabSize instanceof Long size) || size != tokenizer.vocabSize()) {
            throw new IllegalArgumentException(where + ": \"vocab_size\" is " + vocabSize + ", but the merges"
                    + (eot != null ? " and <|endoftext|>" : "") + " make " + tokenizer.vocabSize() + " tokens");
        }
        if (!(json.get("vocab") instanceof List<?> vocab) || vocab.size() != tokenizer.vocabSize()) {
            throw new IllegalArgumentException(where + ": \"vocab\" must list the spelling of all "
                    + tokenizer.vocabSize() + " tokens the merges define");
        }
        for (int id = 0; id < vocab.size(); id++) {
            String expected = tokenizer.spelling(id);
            if (!expected.equals(vocab.get(id))) {
                throw new IllegalArgumentException(where + ": vocab[" + id + "] is " + vocab.get(id)
                        + " but the merges make it " + Json.quote(expected) + " (the file was edited or is corrupted)");
            }
        }
        return tokenizer;
    }

    @Override
    public int vocabSize() {
        return codec.vocabSize();
    }

    /** How many merge rules were learned. */
    public int mergeCount() {
        return codec.merges().size();
    }

    @Override
    public int[] encode(String text) {
        return codec.encode(text);
    }

    @Override
    public String decode(int[] ids) {
        return codec.decode(ids);
    }

    @Override
    public byte[] decodeBytes(int[] ids) {
        return codec.decodeBytes(ids);
    }

    @Override
    public int endOfText() {
        return codec.specialId();
    }

    /** The bytes token {@code id} stands for. */
    public byte[] tokenBytes(int id) {
        return codec.bytesOf(id);
    }

    /** Token {@code id} as GPT-2's {@code vocab.json} would spell it ("Ġthe" for " the"). */
    public String spelling(int id) {
        return id == endOfText() ? ByteLevelBpe.END_OF_TEXT : ByteUnicode.spell(codec.bytesOf(id));
    }

    @Override
    public String kind() {
        return "bpe";
    }

    @Override
    public void save(Path directory) {
        MergeTable merges = codec.merges();
        List<Object> mergeList = new ArrayList<>(merges.size());
        for (int r = 0; r < merges.size(); r++) {
            mergeList.add(List.of(merges.left(r), merges.right(r)));
        }
        List<Object> vocab = new ArrayList<>(vocabSize());
        for (int id = 0; id < vocabSize(); id++) {
            vocab.add(spelling(id));
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("kind", "bpe");
        json.put("version", FORMAT_VERSION);
        json.put("pre_tokenizer", "gpt2");
        json.put("vocab_size", vocabSize());
        json.put("end_of_text", endOfText() >= 0 ? endOfText() : null);
        json.put("merges", mergeList);
        json.put("vocab", vocab);
        Path file = directory.resolve(FILE);
        try {
            AtomicFiles.writeString(file, Json.writePretty(json));
        } catch (IOException e) {
            throw new UncheckedIOException("BpeTokenizer: cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
