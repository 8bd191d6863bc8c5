package dev.panamax.models.gpt.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import org.junit.jupiter.api.Test;

class PreTokenizerTest {

    private static List<String> split(String text) {
        List<String> chunks = new ArrayList<>();
        PreTokenizer.split(text, 0, text.length(), chunks::add);
        return chunks;
    }

    @Test
    void splitsLikeGpt2() {
        assertEquals(List.of("Hello", " world"), split("Hello world"));
        assertEquals(List.of("Hello", ",", " world", "!"), split("Hello, world!"));
        // Contractions are their own chunks; the space before a word stays with the word.
        assertEquals(List.of("I", "'m", " sure", " you", "'ll", " see", " it", "'s", " fine"),
                split("I'm sure you'll see it's fine"));
        // A run of spaces leaves its last space to the word after it; trailing spaces stay together.
        assertEquals(List.of("a", "  ", " b", "   "), split("a   b   "));
        // So a blank line before a word is two chunks, but at the end of the text it is one ("\n\n", id 628).
        assertEquals(List.of("x", "\n", "\n", "y"), split("x\n\ny"));
        assertEquals(List.of("x", "\n\n"), split("x\n\n"));
        // Letters, numbers and other symbols split apart; digits of any script are numbers.
        assertEquals(List.of("abc", "123", " 4٣", "!?", " 日本語"), split("abc123 4٣!? 日本語"));
        // \s is Unicode whitespace: the ideographic space U+3000 behaves like a space (is never glued to a word).
        assertEquals(List.of("a", "\u3000", "b"), split("a\u3000b"));
    }

    @Test
    void scannerMakesTheRegexsChoices() {
        Random random = new Random(8);
        String tricky = "'sStrvelmd \t\n\u00a0\u0085\u2028\u3000\u001c 1٣Ⅻ½!?'\u0301é日😀";
        for (int i = 0; i < 5000; i++) {
            String text;
            if (i % 2 == 0) {
                text = RandomText.next(random, 30);
            } else {
                StringBuilder s = new StringBuilder();
                int[] cps = tricky.codePoints().toArray();
                for (int k = random.nextInt(20); k > 0; k--) {
                    s.appendCodePoint(cps[random.nextInt(cps.length)]);
                }
                text = s.toString();
            }
            assertEquals(regexSplit(text), split(text), "text " + text.codePoints().mapToObj(Integer::toHexString).toList());
        }
    }

    private static List<String> regexSplit(String text) {
        List<String> chunks = new ArrayList<>();
        Matcher m = PreTokenizer.GPT2_PATTERN.matcher(text);
        while (m.find()) {
            chunks.add(m.group());
        }
        return chunks;
    }

    @Test
    void chunksCoverTheTextExactly() {
        Random random = new Random(5);
        for (int i = 0; i < 1000; i++) {
            String text = RandomText.next(random, 50);
            assertEquals(text, String.join("", split(text)));
        }
    }

    @Test
    void aRangeIsSplitAsIfItWereTheWholeText() {
        // The look-ahead in \s+(?!\S) must not see past the end of the range: "a  " then "<|endoftext|>".
        String text = "a  <|endoftext|>";
        List<String> chunks = new ArrayList<>();
        PreTokenizer.split(text, 0, 3, chunks::add);
        assertEquals(List.of("a", "  "), chunks);
    }
}
