package dev.panamax.engine;

import java.util.List;
import java.util.Locale;

/** Picks a backend by name: "scalar", "simd", or "auto" (the fastest one that works on this machine). */
public final class Backends {

    /** The names {@link #select} accepts. */
    public static final List<String> NAMES = List.of("auto", "simd", "scalar");

    private Backends() {
    }

    public static Backend select(String name) {
        String key = name == null ? "auto" : name.trim().toLowerCase(Locale.ROOT);
        return switch (key) {
            case "auto", "simd" -> new SimdBackend();
            case "scalar" -> new ScalarBackend();
            default -> throw new IllegalArgumentException("backend '" + name + "' is unknown; choose one of " + NAMES);
        };
    }
}
