package dev.panamax.engine.io;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small, strict JSON reader and writer (RFC 8259), enough for safetensors headers and model config files, so
 * the engine needs no JSON library.
 *
 * <p>Values map to Java as: object → {@code LinkedHashMap<String, Object>} (in file order), array →
 * {@code List<Object>}, string → {@code String}, number → {@code Long} when written as an integer that fits,
 * else {@code Double}, {@code true}/{@code false} → {@code Boolean}, {@code null} → {@code null}.
 *
 * <p>The reader rejects what a careless reader would let through and a later stage would misread: duplicate keys
 * in an object (which safetensors uses for tensor names), trailing commas, unescaped control characters, lone
 * surrogates in {@code \\u} escapes, integers beyond 64 bits, nesting deeper than {@value #MAX_DEPTH}, and
 * anything but whitespace after the value. Errors carry the character position.
 */
public final class Json {

    /** Deep enough for any config, shallow enough that hostile input cannot overflow the stack. */
    public static final int MAX_DEPTH = 128;

    private final String text;
    private int pos;

    private Json(String text) {
        this.text = text;
    }

    /** A JSON syntax error; the message says what was expected and where. */
    public static final class JsonException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;
        private final int position;
        private final String duplicateKey;
        private final int duplicateKeyDepth;

        JsonException(String message, int position) {
            this(message, position, null, -1);
        }

        private JsonException(String message, int position, String duplicateKey, int duplicateKeyDepth) {
            super(message + " at character " + position);
            this.position = position;
            this.duplicateKey = duplicateKey;
            this.duplicateKeyDepth = duplicateKeyDepth;
        }

        /** The index in the text where the problem was found. */
        public int position() {
            return position;
        }

        /** The repeated key when the error is a duplicate key, else null. */
        public String duplicateKey() {
            return duplicateKey;
        }

        /** How deep the object with the duplicate key is nested (0: the top-level object), or -1. */
        public int duplicateKeyDepth() {
            return duplicateKeyDepth;
        }
    }

    // ---------------------------------------------------------------- reading

    /** Parses one JSON value, optionally surrounded by whitespace. */
    public static Object parse(String text) {
        Json parser = new Json(text);
        parser.skipWhitespace();
        Object value = parser.value(0);
        parser.skipWhitespace();
        if (parser.pos != text.length()) {
            throw parser.error("unexpected " + parser.describeNext() + " after the JSON value");
        }
        return value;
    }

    private Object value(int depth) {
        if (depth > MAX_DEPTH) {
            throw error("nesting deeper than " + MAX_DEPTH + " levels");
        }
        if (pos >= text.length()) {
            throw error("unexpected end of text, expected a value");
        }
        char c = text.charAt(pos);
        return switch (c) {
            case '{' -> object(depth);
            case '[' -> array(depth);
            case '"' -> string();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", null);
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) {
                    yield number();
                }
                throw error("unexpected " + describeNext() + ", expected a value");
            }
        };
    }

    private Map<String, Object> object(int depth) {
        pos++;   // {
        Map<String, Object> map = new LinkedHashMap<>();
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            return map;
        }
        while (true) {
            skipWhitespace();
            if (peek() != '"') {
                throw error("unexpected " + describeNext() + ", expected a string key");
            }
            int keyPosition = pos;
            String key = string();
            skipWhitespace();
            expect(':', "after the key \"" + key + "\"");
            skipWhitespace();
            Object value = value(depth + 1);
            if (map.containsKey(key)) {
                throw new JsonException("duplicate key \"" + key + "\"", keyPosition, key, depth);
            }
            map.put(key, value);
            skipWhitespace();
            char c = peek();
            pos++;
            if (c == '}') {
                return map;
            }
            if (c != ',') {
                pos--;
                throw error("unexpected " + describeNext() + ", expected ',' or '}' in an object");
            }
        }
    }

    private List<Object> array(int depth) {
        pos++;   // [
        List<Object> list = new ArrayList<>();
        skipWhitespace();
        if (peek() == ']') {
            pos++;
            return list;
        }
        while (true) {
            skipWhitespace();
            list.add(value(depth + 1));
            skipWhitespace();
            char c = peek();
            pos++;
            if (c == ']') {
                return list;
            }
            if (c != ',') {
                pos--;
                throw error("unexpected " + describeNext() + ", expected ',' or ']' in an array");
            }
        }
    }

    private String string() {
        int start = pos;
        pos++;   // opening quote
        StringBuilder out = null;
        int runStart = pos;
        while (true) {
            if (pos >= text.length()) {
                throw new JsonException("unterminated string", start);
            }
            char c = text.charAt(pos);
            if (c == '"') {
                String result = out == null ? text.substring(runStart, pos)
                        : out.append(text, runStart, pos).toString();
                pos++;
                return result;
            }
            if (c < 0x20) {
                throw error("unescaped control character U+" + String.format("%04X", (int) c) + " in a string");
            }
            if (c != '\\') {
                pos++;
                continue;
            }
            if (out == null) {
                out = new StringBuilder();
            }
            out.append(text, runStart, pos);
            pos++;
            if (pos >= text.length()) {
                throw new JsonException("unterminated string", start);
            }
            char e = text.charAt(pos++);
            switch (e) {
                case '"' -> out.append('"');
                case '\\' -> out.append('\\');
                case '/' -> out.append('/');
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'u' -> {
                    char unit = hexUnit();
                    if (Character.isHighSurrogate(unit)) {
                        if (!text.startsWith("\\u", pos)) {
                            throw error("a high surrogate \\u" + hex(unit) + " must be followed by a \\u low surrogate");
                        }
                        pos += 2;
                        char low = hexUnit();
                        if (!Character.isLowSurrogate(low)) {
                            throw error("\\u" + hex(unit) + " is followed by \\u" + hex(low) + ", not a low surrogate");
                        }
                        out.append(unit).append(low);
                    } else if (Character.isLowSurrogate(unit)) {
                        throw error("lone low surrogate \\u" + hex(unit));
                    } else {
                        out.append(unit);
                    }
                }
                default -> {
                    pos--;
                    throw error("invalid escape \\" + e);
                }
            }
            runStart = pos;
        }
    }

    private char hexUnit() {
        if (pos + 4 > text.length()) {
            throw error("a \\u escape needs four hex digits");
        }
        int value = 0;
        for (int i = 0; i < 4; i++) {
            int digit = Character.digit(text.charAt(pos + i), 16);
            if (digit < 0) {
                throw error("a \\u escape needs four hex digits");
            }
            value = value * 16 + digit;
        }
        pos += 4;
        return (char) value;
    }

    private static String hex(char c) {
        return String.format("%04x", (int) c);
    }

    private Object number() {
        int start = pos;
        if (peek() == '-') {
            pos++;
        }
        if (peek() == '0') {
            pos++;
        } else if (isDigit(peek())) {
            while (isDigit(peek())) {
                pos++;
            }
        } else {
            throw error("a number needs digits");
        }
        boolean integer = true;
        if (peek() == '.') {
            integer = false;
            pos++;
            if (!isDigit(peek())) {
                throw error("a number needs digits after '.'");
            }
            while (isDigit(peek())) {
                pos++;
            }
        }
        if (peek() == 'e' || peek() == 'E') {
            integer = false;
            pos++;
            if (peek() == '+' || peek() == '-') {
                pos++;
            }
            if (!isDigit(peek())) {
                throw error("a number needs digits in its exponent");
            }
            while (isDigit(peek())) {
                pos++;
            }
        }
        String literal = text.substring(start, pos);
        if (integer) {
            try {
                return Long.parseLong(literal);
            } catch (NumberFormatException e) {
                throw new JsonException("integer " + literal + " does not fit in 64 bits", start);
            }
        }
        return Double.parseDouble(literal);
    }

    private Object literal(String word, Object value) {
        if (!text.startsWith(word, pos)) {
            throw error("unexpected " + describeNext() + ", expected a value");
        }
        pos += word.length();
        return value;
    }

    private void expect(char c, String where) {
        if (peek() != c) {
            throw error("unexpected " + describeNext() + ", expected '" + c + "' " + where);
        }
        pos++;
    }

    private char peek() {
        return pos < text.length() ? text.charAt(pos) : '\0';
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private void skipWhitespace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    private String describeNext() {
        if (pos >= text.length()) {
            return "end of text";
        }
        char c = text.charAt(pos);
        return c < 0x20 || c > 0x7e ? "character U+" + String.format("%04X", (int) c) : "'" + c + "'";
    }

    private JsonException error(String message) {
        return new JsonException(message, pos);
    }

    // ---------------------------------------------------------------- writing

    /** Compact JSON for {@code value} (maps with string keys, collections, strings, numbers, booleans, null). */
    public static String write(Object value) {
        StringBuilder out = new StringBuilder();
        write(out, value, -1, 0);
        return out.toString();
    }

    /** Indented JSON (two spaces), for files people read, such as a model's config. */
    public static String writePretty(Object value) {
        StringBuilder out = new StringBuilder();
        write(out, value, 0, 0);
        return out.append('\n').toString();
    }

    private static void write(StringBuilder out, Object value, int indent, int depth) {
        if (depth > MAX_DEPTH) {
            throw new IllegalArgumentException("Json.write: nesting deeper than " + MAX_DEPTH
                    + " levels (a map or list that contains itself?)");
        }
        switch (value) {
            case null -> out.append("null");
            case String s -> quote(out, s);
            case Boolean b -> out.append(b);
            case Long l -> out.append(l);
            case Integer i -> out.append(i);
            case Short s -> out.append(s);
            case Byte b -> out.append(b);
            case Number n -> {
                double d = n.doubleValue();
                if (!Double.isFinite(d)) {
                    throw new IllegalArgumentException("Json.write: " + d + " has no JSON representation");
                }
                out.append(n instanceof Float f ? Float.toString(f) : Double.toString(d));
            }
            case Map<?, ?> map -> {
                out.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> entry : map.entrySet()) {
                    if (!(entry.getKey() instanceof String key)) {
                        throw new IllegalArgumentException("Json.write: object keys must be strings, got "
                                + entry.getKey());
                    }
                    out.append(first ? "" : ",");
                    newline(out, indent, depth + 1);
                    quote(out, key);
                    out.append(indent >= 0 ? ": " : ":");
                    write(out, entry.getValue(), indent, depth + 1);
                    first = false;
                }
                if (!first) {
                    newline(out, indent, depth);
                }
                out.append('}');
            }
            case Collection<?> list -> {
                out.append('[');
                boolean first = true;
                for (Object element : list) {
                    out.append(first ? "" : indent >= 0 ? ", " : ",");
                    write(out, element, indent, depth + 1);
                    first = false;
                }
                out.append(']');
            }
            default -> throw new IllegalArgumentException("Json.write: cannot write a "
                    + value.getClass().getName() + " as JSON");
        }
    }

    private static void newline(StringBuilder out, int indent, int depth) {
        if (indent >= 0) {
            out.append('\n').append("  ".repeat(depth));
        }
    }

    /** {@code s} as a JSON string literal: quotes, backslashes and control characters escaped. */
    public static String quote(String s) {
        StringBuilder out = new StringBuilder(s.length() + 2);
        quote(out, s);
        return out.toString();
    }

    private static String quoteAscii(String s) {
        StringBuilder out = new StringBuilder("\"");
        for (int i = 0; i < s.length() && i < 80; i++) {
            char c = s.charAt(i);
            out.append(c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format("\\u%04x", (int) c));
        }
        return out.append(s.length() > 80 ? "...\"" : "\"").toString();
    }

    private static void quote(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    boolean pairedSurrogate = Character.isHighSurrogate(c) && i + 1 < s.length()
                            && Character.isLowSurrogate(s.charAt(i + 1))
                            || Character.isLowSurrogate(c) && i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
                    if (Character.isSurrogate(c) && !pairedSurrogate) {
                        throw new IllegalArgumentException("Json.write: string " + quoteAscii(s)
                                + " contains a lone surrogate U+" + String.format("%04X", (int) c)
                                + ", which UTF-8 cannot encode");
                    }
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
