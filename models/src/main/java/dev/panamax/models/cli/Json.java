package dev.panamax.models.cli;

import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes maps, lists, strings, numbers, booleans and null as indented JSON. A non-finite number becomes null, as
 * JSON has no NaN; the commands never produce one where a value is expected (they fail with a message instead).
 */
final class Json {

    private Json() {
    }

    static String write(Object value) {
        StringBuilder out = new StringBuilder();
        write(value, out, 0);
        return out.append('\n').toString();
    }

    private static void write(Object value, StringBuilder out, int indent) {
        switch (value) {
            case null -> out.append("null");
            case String s -> string(s, out);
            case Boolean b -> out.append(b);
            case Double d -> number(d, out);
            case Float f -> number(f, out);
            case Number n -> out.append(n);
            case Map<?, ?> map -> {
                if (map.isEmpty()) {
                    out.append("{}");
                    return;
                }
                out.append("{\n");
                Iterator<? extends Map.Entry<?, ?>> it = map.entrySet().iterator();
                while (it.hasNext()) {
                    Map.Entry<?, ?> e = it.next();
                    pad(out, indent + 1);
                    string(String.valueOf(e.getKey()), out);
                    out.append(": ");
                    write(e.getValue(), out, indent + 1);
                    out.append(it.hasNext() ? ",\n" : "\n");
                }
                pad(out, indent);
                out.append('}');
            }
            case List<?> list -> {
                boolean flat = list.stream().allMatch(v -> v == null || v instanceof Number || v instanceof Boolean);
                if (flat) {                       // rows of numbers (confusion matrix) stay on one line
                    out.append('[');
                    for (int i = 0; i < list.size(); i++) {
                        write(list.get(i), out, indent);
                        out.append(i + 1 < list.size() ? ", " : "");
                    }
                    out.append(']');
                    return;
                }
                out.append("[\n");
                for (int i = 0; i < list.size(); i++) {
                    pad(out, indent + 1);
                    write(list.get(i), out, indent + 1);
                    out.append(i + 1 < list.size() ? ",\n" : "\n");
                }
                pad(out, indent);
                out.append(']');
            }
            case double[] a -> write(java.util.Arrays.stream(a).boxed().toList(), out, indent);
            case int[] a -> write(java.util.Arrays.stream(a).boxed().toList(), out, indent);
            default -> throw new IllegalArgumentException("Json: cannot write " + value.getClass().getName());
        }
    }

    private static void number(double d, StringBuilder out) {
        if (!Double.isFinite(d)) {
            out.append("null");
        } else if (d == Math.rint(d) && Math.abs(d) < 1e15) {
            out.append((long) d);
        } else {
            out.append(Double.toString(d).replace('E', 'e'));
        }
    }

    private static void string(String s, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    private static void pad(StringBuilder out, int indent) {
        out.append("  ".repeat(indent));
    }
}
