package dev.panamax.models.gpt;

import dev.panamax.engine.io.AtomicFiles;
import dev.panamax.engine.io.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The shape of a GPT-2 model, named as nanoGPT's {@code GPTConfig}. Saved as {@code config.json} beside every
 * checkpoint, so the weights always load into the model they came from.
 *
 * @param vocabSize  number of token ids (the tokenizer's vocabulary)
 * @param blockSize  the longest context, in tokens (the number of learned positions)
 * @param layers     transformer blocks
 * @param heads      attention heads per block; they divide the width
 * @param width      the embedding width C (nanoGPT's {@code n_embd})
 * @param dropout    the dropout probability in training, in [0, 1)
 * @param bias       whether the linear layers and LayerNorms have biases (GPT-2: yes)
 */
public record GptConfig(int vocabSize, int blockSize, int layers, int heads, int width, float dropout, boolean bias) {

    /** The file name a checkpoint directory keeps the config under. */
    public static final String FILE = "config.json";

    /** The presets, by name: {@link #preset}. */
    public static final List<String> PRESETS = List.of("tiny", "shakespeare-char-small", "shakespeare-char", "gpt2");

    public GptConfig {
        require(vocabSize >= 1, "vocab_size must be >= 1, got " + vocabSize);
        require(blockSize >= 1, "block_size must be >= 1, got " + blockSize);
        require(layers >= 1, "n_layer must be >= 1, got " + layers);
        require(heads >= 1, "n_head must be >= 1, got " + heads);
        require(width >= 1, "n_embd must be >= 1, got " + width);
        require(width % heads == 0, "n_head " + heads + " does not divide n_embd " + width);
        require(dropout >= 0f && dropout < 1f, "dropout must be in [0, 1), got " + dropout);
    }

    /**
     * A named preset with the given vocabulary size (the tokenizer's; {@code gpt2} ignores it and uses GPT-2's
     * 50257):
     * <ul>
     *   <li>{@code tiny}: 2 layers, 2 heads, width 32, block 32 (tests, the demo)</li>
     *   <li>{@code shakespeare-char-small}: nanoGPT's CPU config, 4 layers, 4 heads, width 128, block 64</li>
     *   <li>{@code shakespeare-char}: 6 layers, 6 heads, width 384, block 256</li>
     *   <li>{@code gpt2}: GPT-2 small (124M), 12 layers, 12 heads, width 768, block 1024, vocab 50257</li>
     * </ul>
     */
    public static GptConfig preset(String name, int vocabSize) {
        return switch (name) {
            case "tiny" -> new GptConfig(vocabSize, 32, 2, 2, 32, 0f, true);
            case "shakespeare-char-small" -> new GptConfig(vocabSize, 64, 4, 4, 128, 0f, true);
            case "shakespeare-char" -> new GptConfig(vocabSize, 256, 6, 6, 384, 0.2f, true);
            case "gpt2" -> new GptConfig(50257, 1024, 12, 12, 768, 0f, true);
            case null, default -> throw new IllegalArgumentException("unknown GPT preset '" + name + "': expected one of "
                    + PRESETS);
        };
    }

    public int headDim() {
        return width / heads;
    }

    public GptConfig withBlockSize(int newBlockSize) {
        return new GptConfig(vocabSize, newBlockSize, layers, heads, width, dropout, bias);
    }

    public GptConfig withDropout(float newDropout) {
        return new GptConfig(vocabSize, blockSize, layers, heads, width, newDropout, bias);
    }

    /** The same shape with or without biases (nanoGPT's {@code bias=False}: no bias in any Linear or LayerNorm). */
    public GptConfig withBias(boolean newBias) {
        return new GptConfig(vocabSize, blockSize, layers, heads, width, dropout, newBias);
    }

    public GptConfig withVocabSize(int newVocabSize) {
        return new GptConfig(newVocabSize, blockSize, layers, heads, width, dropout, bias);
    }

    /**
     * Model FLOPs of one training step on {@code tokens} tokens of context {@code time}: 6 per weight per token
     * (forward 2, backward 4; the tied LM head counts, the embedding lookups do not) plus attention, 12·L·C·T per
     * token (the PaLM appendix's formula, as nanoGPT's {@code estimate_mfu}, without halving for the causal mask).
     */
    public double trainingFlops(long tokens, int time) {
        double weights = (double) layers * 12 * width * width + (double) vocabSize * width;
        return tokens * (6 * weights + 12.0 * layers * width * time);
    }

    // ---------------------------------------------------------------- JSON

    /** The config as Hugging Face's GPT-2 config.json names it (plus {@code dropout} and {@code bias}). */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model_type", "gpt2");
        m.put("vocab_size", (long) vocabSize);
        m.put("n_positions", (long) blockSize);
        m.put("n_layer", (long) layers);
        m.put("n_head", (long) heads);
        m.put("n_embd", (long) width);
        m.put("dropout", (double) dropout);
        m.put("bias", bias);
        return m;
    }

    /** Reads a config from JSON text; {@code source} names the file in error messages. */
    public static GptConfig fromJson(String text, String source) {
        Object parsed;
        try {
            parsed = Json.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": not valid JSON: " + e.getMessage(), e);
        }
        if (!(parsed instanceof Map<?, ?> map)) {
            throw new IllegalArgumentException(source + ": expected a JSON object with the model's shape");
        }
        try {
            return new GptConfig(integer(map, "vocab_size", source), integer(map, "n_positions", source),
                    integer(map, "n_layer", source), integer(map, "n_head", source), integer(map, "n_embd", source),
                    (float) number(map, "dropout", 0.0, source), bool(map, "bias", true, source));
        } catch (IllegalArgumentException e) {
            if (e.getMessage().startsWith(source)) {
                throw e;
            }
            throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
        }
    }

    /** Writes {@code config.json} into {@code directory}, atomically. */
    public void save(Path directory) {
        try {
            AtomicFiles.writeString(directory.resolve(FILE), Json.writePretty(toJson()) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + directory.resolve(FILE) + ": " + e.getMessage(), e);
        }
    }

    /** Reads {@code config.json} from a checkpoint directory. */
    public static GptConfig load(Path directory) {
        Path file = directory.resolve(FILE);
        try {
            return fromJson(Files.readString(file, StandardCharsets.UTF_8), file.toString());
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(file + " does not exist: is " + directory + " a GPT checkpoint?", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static int integer(Map<?, ?> map, String key, String source) {
        Object v = map.get(key);
        if (!(v instanceof Long l) || l < Integer.MIN_VALUE || l > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(source + ": \"" + key + "\" must be a whole number, got " + v);
        }
        return (int) (long) l;
    }

    private static double number(Map<?, ?> map, String key, double absent, String source) {
        Object v = map.get(key);
        if (v == null && !map.containsKey(key)) {
            return absent;
        }
        if (!(v instanceof Number n)) {
            throw new IllegalArgumentException(source + ": \"" + key + "\" must be a number, got " + v);
        }
        return n.doubleValue();
    }

    private static boolean bool(Map<?, ?> map, String key, boolean absent, String source) {
        Object v = map.get(key);
        if (v == null && !map.containsKey(key)) {
            return absent;
        }
        if (!(v instanceof Boolean b)) {
            throw new IllegalArgumentException(source + ": \"" + key + "\" must be true or false, got " + v);
        }
        return b;
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException("GptConfig: " + message);
        }
    }
}
