package dev.panamax.models.gpt.tokenizer;

import java.util.Random;

/** Random text that exercises every part of UTF-8 and of the pre-tokenizer. */
final class RandomText {

    /** {from, to} code point ranges, inclusive: each draw picks a range, then a code point in it. */
    private static final int[][] RANGES = {
            {'a', 'z'}, {'A', 'Z'}, {'0', '9'}, {' ', '/'}, {':', '@'}, {'\'', '\''}, {' ', ' '}, {' ', ' '},
            {0x00, 0x1F},           // control characters, incl. tab, newline, NUL, ESC
            {0x7F, 0xA0},           // DEL, C1 controls (U+0085 is whitespace), no-break space
            {0xA1, 0xFF},           // Latin-1 letters and symbols
            {0x0300, 0x036F},       // combining diacritical marks
            {0x0590, 0x06FF},       // Hebrew, Arabic (right to left)
            {0x0900, 0x097F},       // Devanagari (with its own digits)
            {0x2000, 0x206F},       // general punctuation: en/em spaces, ZWJ, line separator
            {0x3000, 0x303F},       // CJK punctuation, ideographic space
            {0x4E00, 0x9FFF},       // CJK ideographs
            {0xAC00, 0xD7A3},       // Hangul syllables
            {0xFE00, 0xFE0F},       // variation selectors
            {0xFFF0, 0xFFFF},       // specials, noncharacters
            {0x1F300, 0x1FAFF},     // emoji (supplementary plane: surrogate pairs in Java)
            {0x1F3FB, 0x1F3FF},     // skin-tone modifiers
            {0x10000, 0x10FFFF},    // anything in the supplementary planes, mostly unassigned
    };

    private RandomText() {
    }

    /** A string of up to {@code maxCodePoints} code points, all valid Unicode scalar values (no lone surrogates). */
    static String next(Random random, int maxCodePoints) {
        int n = random.nextInt(maxCodePoints + 1);
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < n; i++) {
            int[] range = RANGES[random.nextInt(RANGES.length)];
            s.appendCodePoint(range[0] + random.nextInt(range[1] - range[0] + 1));
        }
        return s.toString();
    }
}
