package dev.panamax.models.gpt.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The encode/decode machinery shared by {@link BpeTokenizer} and {@link Gpt2Tokenizer}: text → (split off the
 * special token) → {@link PreTokenizer} chunks → UTF-8 bytes → one token per byte → {@link MergeTable} merges;
 * and back, ids → each token's bytes → UTF-8.
 *
 * <p>Any text encodes (every byte has a token), so there is no unknown character. Decoding bytes that are not
 * valid UTF-8 (a partial character, from a sampled id sequence) gives U+FFFD, as GPT-2's
 * {@code decode(errors="replace")} does; {@link #decodeBytes} gives the raw bytes for streaming.
 *
 * <p>Natural text repeats its words, so the ids of each chunk are cached (as GPT-2's encoder does); the cache is
 * emptied when it reaches {@value #CACHE_LIMIT} chunks, so a long stream of distinct chunks cannot grow it without
 * bound. Instances are safe to share between threads.
 */
final class ByteLevelBpe {

    static final String END_OF_TEXT = "<|endoftext|>";
    private static final int CACHE_LIMIT = 1 << 16;
    private static final int[] NO_IDS = new int[0];

    private final String owner;            // the tokenizer's name, for error messages
    private final int[] byteToken;         // byte value (0..255) -> its token id
    private final byte[][] tokenBytes;     // id -> the bytes it stands for (the special token: its UTF-8 text)
    private final MergeTable merges;
    private final String specialText;      // "<|endoftext|>", or null
    private final int specialId;           // its id, or -1
    private final ConcurrentHashMap<String, int[]> cache = new ConcurrentHashMap<>();

    /**
     * @param byteToken  the token of each of the 256 byte values
     * @param tokenBytes the bytes of every id in [0, vocabSize); null for an id the vocabulary skips
     * @param specialId  the id of {@code <|endoftext|>} (its {@code tokenBytes} entry is that text), or -1
     */
    ByteLevelBpe(String owner, int[] byteToken, byte[][] tokenBytes, MergeTable merges, int specialId) {
        this.owner = owner;
        this.byteToken = byteToken.clone();
        this.tokenBytes = tokenBytes;
        this.merges = merges;
        this.specialId = specialId;
        this.specialText = specialId >= 0 ? END_OF_TEXT : null;
    }

    int vocabSize() {
        return tokenBytes.length;
    }

    int specialId() {
        return specialId;
    }

    MergeTable merges() {
        return merges;
    }

    /** The bytes token {@code id} stands for (a copy). */
    byte[] bytesOf(int id) {
        checkId(id);
        return tokenBytes[id].clone();
    }

    int[] encode(String text) {
        if (text == null) {
            throw new IllegalArgumentException(owner + ".encode: text is null");
        }
        checkNoLoneSurrogate(text);
        IntList out = new IntList(Math.max(16, text.length() / 3));
        int from = 0;
        while (from < text.length()) {
            int special = specialText == null ? -1 : text.indexOf(specialText, from);
            int to = special < 0 ? text.length() : special;
            PreTokenizer.split(text, from, to, chunk -> out.addAll(encodeChunk(chunk)));
            if (special < 0) {
                break;
            }
            out.add(specialId);
            from = special + specialText.length();
        }
        return out.toArray();
    }

    /** The ids of one pre-tokenized chunk; shared from the cache, so never modified by callers. */
    private int[] encodeChunk(String chunk) {
        int[] cached = cache.get(chunk);
        if (cached != null) {
            return cached;
        }
        byte[] bytes = chunk.getBytes(StandardCharsets.UTF_8);
        int[] tokens = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            tokens[i] = byteToken[bytes[i] & 0xff];
        }
        int n = merges.apply(tokens, tokens.length);
        int[] ids = n == tokens.length ? tokens : Arrays.copyOf(tokens, n);
        if (cache.size() >= CACHE_LIMIT) {
            cache.clear();
        }
        cache.put(chunk, ids.length == 0 ? NO_IDS : ids);
        return ids;
    }

    byte[] decodeBytes(int[] ids) {
        if (ids == null) {
            throw new IllegalArgumentException(owner + ".decode: ids is null");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(ids.length * 4);
        for (int id : ids) {
            checkId(id);
            out.writeBytes(tokenBytes[id]);
        }
        return out.toByteArray();
    }

    String decode(int[] ids) {
        return new String(decodeBytes(ids), StandardCharsets.UTF_8);
    }

    private void checkId(int id) {
        if (id < 0 || id >= tokenBytes.length) {
            throw new IllegalArgumentException(owner + ": id " + id + " is outside [0, " + tokenBytes.length + ")");
        }
        if (tokenBytes[id] == null) {
            throw new IllegalArgumentException(owner + ": id " + id + " has no token (the vocabulary skips it)");
        }
    }

    /** A lone surrogate has no UTF-8 form (Java would silently write '?'), so it cannot round-trip: reject it. */
    private void checkNoLoneSurrogate(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException(owner + ".encode: the text has an unpaired surrogate "
                        + String.format("U+%04X", (int) c) + " at index " + i + ": it is not a character and has no "
                        + "UTF-8 bytes");
            }
        }
    }
}
