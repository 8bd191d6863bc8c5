package dev.panamax.models.gpt.tokenizer;

/**
 * GPT-2's reversible byte ↔ character mapping ({@code bytes_to_unicode} in OpenAI's {@code encoder.py}), in which
 * {@code vocab.json} and {@code merges.txt} spell tokens. Each of the 256 byte values gets one visible character:
 * the printable Latin-1 bytes ({@code !}..{@code ~}, {@code ¡}..{@code ¬}, {@code ®}..{@code ÿ}) stand for
 * themselves, and the other 68 (controls, space, soft hyphen...) are shifted to U+0100 and up in byte order, so a
 * space is {@code Ġ} (U+0120) and a newline {@code Ċ} (U+010A).
 */
final class ByteUnicode {

    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final int[] CHAR_TO_BYTE = new int[512];   // every mapped char is below U+0200

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, -1);
        int shifted = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) (256 + shifted++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private ByteUnicode() {
    }

    /** The character that spells byte {@code b} (0..255). */
    static char charOf(int b) {
        return BYTE_TO_CHAR[b & 0xff];
    }

    /** The byte spelled by {@code c}, or -1 when {@code c} spells none. */
    static int byteOf(char c) {
        return c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
    }

    /** The spelling of {@code bytes}: one character per byte. */
    static String spell(byte[] bytes) {
        char[] chars = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            chars[i] = charOf(bytes[i]);
        }
        return new String(chars);
    }

    /** The bytes a spelling stands for, or null when one of its characters spells no byte. */
    static byte[] unspell(String spelling) {
        byte[] bytes = new byte[spelling.length()];
        for (int i = 0; i < bytes.length; i++) {
            int b = byteOf(spelling.charAt(i));
            if (b < 0) {
                return null;
            }
            bytes[i] = (byte) b;
        }
        return bytes;
    }
}
