package dev.panamax.models.gpt.tokenizer;

import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * GPT-2's pre-tokenization: text is cut into chunks (words with their leading space, runs of digits, runs of
 * punctuation, whitespace, English contractions) before BPE, so that no merge ever spans two words.
 *
 * <p>The pattern is OpenAI's, character for character:
 * {@code 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+}. In Java {@code \s} means only
 * ASCII whitespace unless {@link Pattern#UNICODE_CHARACTER_CLASS} is set; with it, {@code \s} is Unicode's
 * White_Space property, as in tiktoken and Hugging Face's tokenizers (GPT-2's Python {@code regex} module, too, reads
 * {@code \s} as Unicode whitespace). {@code \p{L}} and {@code \p{N}} are Unicode categories in both. The
 * {@code \s+(?!\S)} branch leaves the last space of a run for the word after it, which is why " world" is one
 * token.
 */
final class PreTokenizer {

    static final Pattern GPT2_PATTERN = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);

    private PreTokenizer() {
    }

    /**
     * Calls {@code chunk} with each chunk of {@code text[from, to)} in order; the chunks join to exactly that
     * range. The range is treated as a whole text: the look-ahead does not see past {@code to}.
     */
    static void split(String text, int from, int to, Consumer<String> chunk) {
        Matcher m = GPT2_PATTERN.matcher(text).region(from, to);
        int expected = from;
        while (m.find()) {
            if (m.start() != expected) {   // every character is a letter, number, space or other: cannot happen
                throw new IllegalStateException("PreTokenizer: no chunk covers index " + expected);
            }
            chunk.accept(text.substring(m.start(), m.end()));
            expected = m.end();
        }
        if (expected != to) {
            throw new IllegalStateException("PreTokenizer: no chunk covers index " + expected);
        }
    }
}
