package dev.panamax.engine.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void parsesValuesWithWhitespaceAndEscapes() {
        Object value = Json.parse(" \n\t{ \"a\" : [ 1 , -2.5e3, 0.25, true, false, null ] ,\r\n"
                + " \"s\\\"q\": \"tab\\there \\u00e9 \\ud83d\\ude00 \\/ \\\\\", \"e\": {}, \"l\": [] }  ");
        Map<?, ?> map = (Map<?, ?>) value;
        assertEquals(List.of("a", "s\"q", "e", "l"), List.copyOf(map.keySet()), "keys keep their order");
        List<?> a = (List<?>) map.get("a");
        assertEquals(1L, a.get(0));
        assertEquals(-2500.0, a.get(1));
        assertEquals(0.25, a.get(2));
        assertEquals(Boolean.TRUE, a.get(3));
        assertNull(a.get(5));
        assertEquals("tab\there é \uD83D\uDE00 / \\", map.get("s\"q"));
        assertEquals(Map.of(), map.get("e"));
        assertEquals(Long.MAX_VALUE, Json.parse("9223372036854775807"));
    }

    @Test
    void writesWhatItReads() {
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("name", "quote \" backslash \\ newline \n control \u0001 emoji \uD83D\uDE00");
        value.put("numbers", List.of(1L, -7L, 2.5, 1e-8));
        value.put("nested", Map.of("ok", true));
        value.put("nothing", null);
        assertEquals(value, Json.parse(Json.write(value)));
        assertEquals(value, Json.parse(Json.writePretty(value)));
        assertEquals("{\"a\":[1,2],\"b\":\"x\"}", Json.write(Map.of("a", List.of(1, 2))).replace("}", ",\"b\":\"x\"}"));
    }

    @Test
    void rejectsMalformedTextWithThePosition() {
        assertError("{\"a\":1,}", "unexpected '}', expected a string key at character 7");
        assertError("[1,2,]", "unexpected ']', expected a value at character 5");
        assertError("{\"a\" 1}", "expected ':' after the key \"a\" at character 5");
        assertError("{\"a\":1} x", "unexpected 'x' after the JSON value at character 8");
        assertError("\"abc", "unterminated string at character 0");
        assertError("\"a\nb\"", "unescaped control character U+000A in a string at character 2");
        assertError("\"\\x\"", "invalid escape \\x at character 2");
        assertError("\"\\ud83d\"", "must be followed by a \\u low surrogate");
        assertError("01", "unexpected '1' after the JSON value at character 1");
        assertError("1.", "a number needs digits after '.' at character 2");
        assertError("99999999999999999999", "does not fit in 64 bits");
        assertError("tru", "expected a value at character 0");
        assertError("", "unexpected end of text, expected a value at character 0");
        assertError("[".repeat(Json.MAX_DEPTH + 2), "nesting deeper than " + Json.MAX_DEPTH);
        var e = assertThrows(Json.JsonException.class, () -> Json.parse("{\"x\": {\"a\": 1, \"a\": 2}}"));
        assertEquals("a", e.duplicateKey());
        assertEquals(1, e.duplicateKeyDepth());
        assertEquals(15, e.position());
    }

    @Test
    void refusesToWriteWhatJsonCannotHold() {
        var e = assertThrows(IllegalArgumentException.class, () -> Json.write(List.of(Double.NaN)));
        assertTrue(e.getMessage().contains("NaN has no JSON representation"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Json.write("a\uD800b"));
        assertTrue(e.getMessage().contains("lone surrogate U+D800"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Json.write(Map.of(1, 2)));
        assertTrue(e.getMessage().contains("keys must be strings"), e.getMessage());
    }

    private static void assertError(String text, String expected) {
        var e = assertThrows(Json.JsonException.class, () -> Json.parse(text), text);
        assertTrue(e.getMessage().contains(expected), "for " + text + ": " + e.getMessage());
    }
}
