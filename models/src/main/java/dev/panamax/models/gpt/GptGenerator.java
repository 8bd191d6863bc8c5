package dev.panamax.models.gpt;

import dev.panamax.engine.Backend;
import dev.panamax.engine.Tensor;
import dev.panamax.models.gpt.tokenizer.Tokenizer;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Continues a text: the prompt is prefilled in one batched pass, then tokens are sampled one at a time with the
 * KV cache ({@link GptDecoder}) and handed to a {@link Listener} as they come.
 *
 * <p>A prompt longer than the block size keeps its last {@code blockSize} tokens (the model has no positions for
 * more), and the listener is told. When the cache fills up during a long generation, the context slides: the
 * last {@code blockSize/2} tokens are prefilled again and decoding continues (so each token still sees at least
 * half a block of context, at the cost of one batched pass every {@code blockSize/2} tokens).
 */
public final class GptGenerator implements AutoCloseable {

    /** Receives the tokens as they are produced. */
    public interface Listener {
        /**
         * A new token and its UTF-8 bytes ({@link Tokenizer#decodeBytes}). Write the bytes as they come: a
         * byte-level token may hold part of a multi-byte character, which the next token completes.
         */
        void onToken(int id, byte[] utf8);

        /** Something the user should know, e.g. that the prompt was truncated. */
        default void onNotice(String message) {
        }
    }

    /**
     * @param maxNewTokens     how many tokens to generate at most (≥ 1)
     * @param temperature      &gt; 0
     * @param topK             0 keeps all tokens
     * @param topP             in (0, 1]
     * @param seed             the sampler's seed: the same seed gives the same text
     * @param stopAtEndOfText  stop when the tokenizer's end-of-text token is drawn (it is not emitted)
     */
    public record Settings(int maxNewTokens, float temperature, int topK, float topP, long seed,
                           boolean stopAtEndOfText) {
        public Settings {
            if (maxNewTokens < 1) {
                throw new IllegalArgumentException("max tokens must be >= 1, got " + maxNewTokens);
            }
            new Sampler(temperature, topK, topP, seed);       // validates the sampling settings
        }

        /** nanoGPT's sample.py defaults: temperature 0.8, top-k 200. */
        public static Settings defaults(int maxNewTokens, long seed) {
            return new Settings(maxNewTokens, 0.8f, 200, 1f, seed, true);
        }
    }

    /**
     * What a generation produced and how fast.
     *
     * @param tokens         the generated ids (without the prompt)
     * @param text           their text
     * @param promptTokens   the prompt's length in tokens, as given
     * @param droppedPrompt  prompt tokens dropped from the left to fit the block size
     * @param prefillSeconds time of the prompt's batched pass
     * @param decodeSeconds  time of the one-token steps (and of any context slides)
     * @param decodedTokens  tokens fed through one-token steps
     * @param endOfText      whether generation stopped at the end-of-text token
     */
    public record Result(int[] tokens, String text, int promptTokens, int droppedPrompt, double prefillSeconds,
                         double decodeSeconds, int decodedTokens, boolean endOfText) {

        /** Prompt tokens per second of the prefill pass. */
        public double prefillTokensPerSecond() {
            return (promptTokens - droppedPrompt) / prefillSeconds;
        }

        /** Tokens per second of the decode steps. */
        public double decodeTokensPerSecond() {
            return decodedTokens / decodeSeconds;
        }
    }

    private final GptModel model;
    private final Tokenizer tokenizer;
    private final GptDecoder decoder;
    private final float[] logits;

    public GptGenerator(GptModel model, Tokenizer tokenizer, Backend backend) {
        if (tokenizer.vocabSize() > model.config().vocabSize()) {
            throw new IllegalArgumentException("the tokenizer has " + tokenizer.vocabSize() + " ids but the model's "
                    + "vocabulary has " + model.config().vocabSize());
        }
        this.model = model;
        this.tokenizer = tokenizer;
        this.decoder = new GptDecoder(model, backend);
        this.logits = new float[model.config().vocabSize()];
    }

    /** Continues {@code prompt} (which must encode to at least one token, or the tokenizer must have an end-of-text id). */
    public Result generate(String prompt, Settings settings, Listener listener) {
        int[] ids = tokenizer.encode(prompt);
        if (ids.length == 0) {
            if (tokenizer.endOfText() < 0) {
                throw new IllegalArgumentException("the prompt is empty: give at least one character to continue");
            }
            ids = new int[] {tokenizer.endOfText()};
        }
        return generate(ids, settings, listener);
    }

    /** Continues the token ids {@code prompt}. */
    public Result generate(int[] prompt, Settings settings, Listener listener) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("the prompt is empty: give at least one token to continue");
        }
        int block = model.config().blockSize();
        int dropped = Math.max(0, prompt.length - block);
        if (dropped > 0) {
            listener.onNotice("the prompt has " + prompt.length + " tokens, more than the block size " + block
                    + ": using its last " + block + " tokens (the first " + dropped + " are dropped)");
        }
        // The context: the kept prompt, then every generated token; the last blockSize/2 are re-fed on a slide.
        int[] context = Arrays.copyOf(prompt, prompt.length + settings.maxNewTokens());
        int length = prompt.length;
        Sampler sampler = new Sampler(settings.temperature(), settings.topK(), settings.topP(), settings.seed());
        decoder.reset();
        long start = System.nanoTime();
        Tensor out = decoder.prefill(Arrays.copyOfRange(prompt, dropped, prompt.length));
        double prefillSeconds = (System.nanoTime() - start) / 1e9;
        int[] generated = new int[settings.maxNewTokens()];
        int count = 0;
        int decoded = 0;
        boolean endOfText = false;
        long decodeStart = System.nanoTime();
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        int vocab = model.config().vocabSize();
        int usable = Math.min(vocab, tokenizer.vocabSize());    // a padded vocabulary never samples padding
        while (true) {
            copyToArray(out, logits);
            int token = sampler.sample(logits, usable);
            if (settings.stopAtEndOfText() && token == tokenizer.endOfText()) {
                endOfText = true;
                break;
            }
            generated[count++] = token;
            context[length++] = token;
            byte[] bytes = tokenizer.decodeBytes(new int[] {token});
            text.writeBytes(bytes);
            listener.onToken(token, bytes);
            if (count == settings.maxNewTokens()) {
                break;
            }
            if (decoder.position() == decoder.capacity()) {
                int keep = Math.max(1, block / 2);
                decoder.reset();
                out = decoder.prefill(Arrays.copyOfRange(context, length - keep, length));
            } else {
                out = decoder.next(token);
                decoded++;
            }
        }
        double decodeSeconds = (System.nanoTime() - decodeStart) / 1e9;
        return new Result(Arrays.copyOf(generated, count), text.toString(StandardCharsets.UTF_8), prompt.length,
                dropped, prefillSeconds, decodeSeconds, decoded, endOfText);
    }

    @Override
    public void close() {
        decoder.close();
    }

    /** Copies the [1, vocab] logits into the reused array, without allocating. */
    private static void copyToArray(Tensor row, float[] target) {
        MemorySegment.copy(row.segment(), ValueLayout.JAVA_FLOAT, 0, target, 0, (int) row.size());
    }
}
