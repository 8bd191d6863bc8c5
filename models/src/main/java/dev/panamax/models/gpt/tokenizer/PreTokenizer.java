package dev.panamax.models.gpt.tokenizer;

import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * GPT-2's pre-tokenization: text is cut into chunks (words with their leading space, runs of digits, runs of
 * punctuation, whitespace, English contractions) before BPE, so that no merge ever spans two words.
 *
 * <p>The rule is OpenAI's regex, {@link #GPT2_PATTERN}:
 * {@code 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+}. In Java {@code \s} means only
 * ASCII whitespace unless {@link Pattern#UNICODE_CHARACTER_CLASS} is set; with it, {@code \s} is Unicode's
 * White_Space property, as in tiktoken and Hugging Face's tokenizers. {@code \p{L}} (letters) and {@code \p{N}}
 * (numbers of any script) are Unicode categories everywhere. The {@code \s+(?!\S)} branch leaves the last space
 * of a run to the word after it, which is why " world" is one token.
 *
 * <p>{@link #split} is a hand-written scanner that makes exactly the regex's choices (the tests compare the two on
 * random text); it is several times faster than {@link java.util.regex.Matcher} and allocates only the chunks.
 */
final class PreTokenizer {

    /** The reference: OpenAI's pattern, which {@link #split} reproduces. */
    static final Pattern GPT2_PATTERN = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);

    private static final int LETTER = 0;
    private static final int NUMBER = 1;
    private static final int SPACE = 2;
    private static final int OTHER = 3;

    private PreTokenizer() {
    }

    /**
     * Calls {@code chunk} with each chunk of {@code text[from, to)} in order; the chunks join to exactly that
     * range. The range is treated as a whole text: nothing past {@code to} is looked at.
     */
    static void split(String text, int from, int to, Consumer<String> chunk) {
        int i = from;
        while (i < to) {
            int end = chunkEnd(text, i, to);
            chunk.accept(text.substring(i, end));
            i = end;
        }
    }

    /** Where the chunk starting at {@code i} ends: the regex's alternatives, tried in its order. */
    private static int chunkEnd(String text, int i, int to) {
        int contraction = contractionEnd(text, i, to);
        if (contraction > 0) {
            return contraction;
        }
        // " ?\p{L}+", " ?\p{N}+", " ?[^\s\p{L}\p{N}]+": an optional ASCII space, then a run of one class.
        int start = text.charAt(i) == ' ' && i + 1 < to ? i + 1 : i;
        int kind = classOf(text.codePointAt(start));
        if (kind == SPACE && start != i) {       // " " then whitespace: the space is not a prefix after all
            start = i;
        }
        if (kind != SPACE) {
            return runEnd(text, start, to, kind);
        }
        // "\s+(?!\S)|\s+": a run of whitespace, less its last character when a non-space follows the run
        // (that character then prefixes the next word), unless the run is a single character.
        int end = runEnd(text, i, to, SPACE);
        if (end < to) {
            int last = text.offsetByCodePoints(end, -1);
            if (last > i) {
                return last;
            }
        }
        return end;
    }

    /** The end of {@code 's|'t|'re|'ve|'m|'ll|'d} at {@code i}, or -1. */
    private static int contractionEnd(String text, int i, int to) {
        if (text.charAt(i) != '\'' || i + 1 >= to) {
            return -1;
        }
        char a = text.charAt(i + 1);
        if (a == 's' || a == 't' || a == 'm' || a == 'd') {
            return i + 2;
        }
        if (i + 2 < to) {
            char b = text.charAt(i + 2);
            if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) {
                return i + 3;
            }
        }
        return -1;
    }

    /** The end of the run of code points of class {@code kind} starting at {@code i}. */
    private static int runEnd(String text, int i, int to, int kind) {
        while (i < to) {
            int cp = text.codePointAt(i);
            if (classOf(cp) != kind) {
                break;
            }
            i += Character.charCount(cp);
        }
        return i;
    }

    /** Letter (\p{L}), number (\p{N}), whitespace (\s with UNICODE_CHARACTER_CLASS), or anything else. */
    private static int classOf(int cp) {
        if (cp < 0x80) {          // ASCII fast path
            if ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z') {
                return LETTER;
            }
            if (cp >= '0' && cp <= '9') {
                return NUMBER;
            }
            return cp == ' ' || (cp >= 0x09 && cp <= 0x0D) ? SPACE : OTHER;
        }
        int type = Character.getType(cp);
        return switch (type) {
            case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
                 Character.MODIFIER_LETTER, Character.OTHER_LETTER -> LETTER;
            case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER -> NUMBER;
            // Unicode White_Space beyond ASCII: the separators (Zs, Zl, Zp) and NEXT LINE (U+0085).
            case Character.SPACE_SEPARATOR, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR -> SPACE;
            default -> cp == 0x85 ? SPACE : OTHER;
        };
    }
}
