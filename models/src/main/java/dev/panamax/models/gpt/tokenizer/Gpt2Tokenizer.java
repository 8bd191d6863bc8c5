package dev.panamax.models.gpt.tokenizer;

import dev.panamax.engine.io.AtomicFiles;
import dev.panamax.engine.io.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * OpenAI's GPT-2 tokenizer, read from the two files Hugging Face ships with every GPT-2 model: {@value #VOCAB_FILE}
 * (token spelling → id, 50,257 entries) and {@value #MERGES_FILE} (the 50,000 merge rules, highest priority first).
 * Nothing is downloaded: the user supplies the files (e.g. from a local copy of {@code openai-community/gpt2}).
 *
 * <p>Tokens are spelled with GPT-2's byte ↔ character mapping ({@link ByteUnicode}: " the" is {@code Ġthe}), text
 * is cut by GPT-2's regex ({@link PreTokenizer}) and merged by rank ({@link MergeTable}), so the ids are GPT-2's:
 * "Hello world" is [15496, 995]. {@code <|endoftext|>} is id 50256; where it appears in the text it is encoded as
 * that one id (as Hugging Face's tokenizer does), not spelled out.
 *
 * <p>{@link #save} copies both files unchanged into the checkpoint directory, where {@link Tokenizers#load} finds
 * them.
 */
public final class Gpt2Tokenizer implements Tokenizer {

    public static final String VOCAB_FILE = "vocab.json";
    public static final String MERGES_FILE = "merges.txt";
    /** Ids beyond this are taken for a corrupted file rather than allocate a table that large. */
    private static final int MAX_ID = (1 << 24) - 1;

    private final ByteLevelBpe codec;
    private final byte[] vocabFile;      // the files as read, so that save() copies them byte for byte
    private final byte[] mergesFile;

    private Gpt2Tokenizer(ByteLevelBpe codec, byte[] vocabFile, byte[] mergesFile) {
        this.codec = codec;
        this.vocabFile = vocabFile;
        this.mergesFile = mergesFile;
    }

    /** Reads {@value #VOCAB_FILE} and {@value #MERGES_FILE} from {@code directory}. */
    public static Gpt2Tokenizer load(Path directory) {
        return load(directory.resolve(VOCAB_FILE), directory.resolve(MERGES_FILE));
    }

    /** Reads a Hugging Face GPT-2 {@code vocab.json} and {@code merges.txt}; a malformed file throws, naming it and the problem. */
    public static Gpt2Tokenizer load(Path vocabJson, Path mergesTxt) {
        byte[] vocabBytes = read(vocabJson);
        byte[] mergesBytes = read(mergesTxt);
        Map<String, Integer> vocab = parseVocab(vocabJson, utf8(vocabJson, vocabBytes));
        int vocabSize = vocab.values().stream().mapToInt(Integer::intValue).max().orElseThrow() + 1;

        byte[][] tokenBytes = new byte[vocabSize][];
        int specialId = -1;
        for (Map.Entry<String, Integer> e : vocab.entrySet()) {
            byte[] bytes;
            if (e.getKey().equals(ByteLevelBpe.END_OF_TEXT)) {
                specialId = e.getValue();       // spelled in plain ASCII, but a token of its own, not 13 bytes
                bytes = ByteLevelBpe.END_OF_TEXT.getBytes(StandardCharsets.UTF_8);
            } else {
                bytes = ByteUnicode.unspell(e.getKey());
                if (bytes == null) {
                    throw new IllegalArgumentException("Gpt2Tokenizer: " + vocabJson + ": token "
                            + Json.quote(e.getKey()) + " (id " + e.getValue() + ") has a character outside GPT-2's "
                            + "byte alphabet (only " + ByteLevelBpe.END_OF_TEXT + " may)");
                }
            }
            tokenBytes[e.getValue()] = bytes;
        }
        int[] byteToken = new int[256];
        for (int b = 0; b < 256; b++) {
            Integer id = vocab.get(String.valueOf(ByteUnicode.charOf(b)));
            if (id == null) {
                throw new IllegalArgumentException("Gpt2Tokenizer: " + vocabJson + " has no token for byte "
                        + String.format("0x%02X", b) + " (spelled " + Json.quote(String.valueOf(ByteUnicode.charOf(b)))
                        + "): a byte-level vocabulary needs all 256");
            }
            byteToken[b] = id;
        }
        MergeTable merges = parseMerges(mergesTxt, utf8(mergesTxt, mergesBytes), vocab);
        ByteLevelBpe codec = new ByteLevelBpe("Gpt2Tokenizer", byteToken, tokenBytes, merges, specialId);
        return new Gpt2Tokenizer(codec, vocabBytes, mergesBytes);
    }

    /**
     * {@code {"spelling": id, ...}}: distinct ids, normally exactly 0..n-1. Gaps are allowed (a trimmed vocabulary
     * keeps GPT-2's ids); the vocabulary size is then the largest id + 1, and decoding a missing id throws.
     */
    private static Map<String, Integer> parseVocab(Path file, String text) {
        String where = "Gpt2Tokenizer: " + file;
        Object root;
        try {
            root = Json.parse(text);
        } catch (Json.JsonException e) {
            throw new IllegalArgumentException(where + " is not valid JSON: " + e.getMessage(), e);
        }
        if (!(root instanceof Map<?, ?> json) || json.isEmpty()) {
            throw new IllegalArgumentException(where + ": expected a JSON object mapping each token to its id");
        }
        Map<String, Integer> vocab = new HashMap<>(json.size() * 2);
        Map<Integer, String> byId = new HashMap<>(json.size() * 2);
        for (Map.Entry<?, ?> e : json.entrySet()) {
            String token = (String) e.getKey();
            if (!(e.getValue() instanceof Long id) || id < 0 || id > MAX_ID) {
                throw new IllegalArgumentException(where + ": token " + Json.quote(token) + " has id " + e.getValue()
                        + ", expected a whole number in [0, " + MAX_ID + "]");
            }
            String other = byId.put(id.intValue(), token);
            if (other != null) {
                throw new IllegalArgumentException(where + ": tokens " + Json.quote(other) + " and "
                        + Json.quote(token) + " both have id " + id);
            }
            vocab.put(token, id.intValue());
        }
        return vocab;
    }

    /** One rule per line, "left right" in vocab spelling, highest priority first; a "#version" header is skipped. */
    private static MergeTable parseMerges(Path file, String text, Map<String, Integer> vocab) {
        String where = "Gpt2Tokenizer: " + file;
        String[] lines = text.split("\r?\n", -1);
        IntList lefts = new IntList(lines.length);
        IntList rights = new IntList(lines.length);
        IntList merged = new IntList(lines.length);
        PairMap seen = new PairMap(lines.length);
        for (int n = 0; n < lines.length; n++) {
            String line = lines[n];
            if (line.isEmpty() || (n == 0 && line.startsWith("#version"))) {
                continue;
            }
            int space = line.indexOf(' ');
            if (space <= 0 || space == line.length() - 1 || line.indexOf(' ', space + 1) >= 0) {
                throw new IllegalArgumentException(where + " line " + (n + 1) + ": " + Json.quote(line)
                        + " is not two tokens separated by one space");
            }
            String left = line.substring(0, space);
            String right = line.substring(space + 1);
            for (String[] part : new String[][] {{left, "left"}, {right, "right"}, {left + right, "merged"}}) {
                if (!vocab.containsKey(part[0])) {
                    throw new IllegalArgumentException(where + " line " + (n + 1) + ": the " + part[1] + " token "
                            + Json.quote(part[0]) + " is not in " + VOCAB_FILE + " (are the two files from the same model?)");
                }
            }
            int leftId = vocab.get(left);
            int rightId = vocab.get(right);
            int mergedId = vocab.get(left + right);
            long earlier = seen.get(leftId, rightId, -1);
            if (earlier >= 0) {
                throw new IllegalArgumentException(where + " line " + (n + 1) + ": " + Json.quote(line)
                        + " repeats the rule on line " + earlier);
            }
            seen.put(leftId, rightId, n + 1);
            lefts.add(leftId);
            rights.add(rightId);
            merged.add(mergedId);
        }
        if (lefts.size() == 0) {
            throw new IllegalArgumentException(where + " has no merge rules");
        }
        return new MergeTable(lefts.toArray(), rights.toArray(), merged.toArray());
    }

    private static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("Gpt2Tokenizer: " + file + " does not exist (GPT-2's tokenizer needs "
                    + VOCAB_FILE + " and " + MERGES_FILE + " side by side)", e);
        } catch (IOException e) {
            throw new UncheckedIOException("Gpt2Tokenizer: cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static String utf8(Path file, byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("Gpt2Tokenizer: " + file + " is not UTF-8 text: " + e.getMessage(), e);
        }
    }

    @Override
    public int vocabSize() {
        return codec.vocabSize();
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

    /** 50256 for GPT-2's own files; -1 if {@code vocab.json} has no {@code <|endoftext|>}. */
    @Override
    public int endOfText() {
        return codec.specialId();
    }

    /** Token {@code id} as {@code vocab.json} spells it ("Ġworld" for " world"). */
    public String spelling(int id) {
        return id == endOfText() ? ByteLevelBpe.END_OF_TEXT : ByteUnicode.spell(codec.bytesOf(id));
    }

    @Override
    public String kind() {
        return "gpt2";
    }

    @Override
    public void save(Path directory) {
        write(directory.resolve(VOCAB_FILE), vocabFile);
        write(directory.resolve(MERGES_FILE), mergesFile);
    }

    private static void write(Path file, byte[] bytes) {
        try {
            AtomicFiles.write(file, channel -> {
                ByteBuffer buffer = ByteBuffer.wrap(bytes);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("Gpt2Tokenizer: cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
