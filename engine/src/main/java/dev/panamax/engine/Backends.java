package dev.panamax.engine;

import dev.panamax.engine.cuda.CudaAvailability;
import dev.panamax.engine.cuda.CudaBackend;
import java.util.List;
import java.util.Locale;

/**
 * Picks a backend by name: "cuda", "simd", "scalar", or "auto" (CUDA when a usable GPU is present, else SIMD).
 *
 * <p>Only "cuda" and "auto" touch CUDA; the first of them probes it once ({@link CudaAvailability}). When "auto"
 * cannot use it, the reason is printed once to standard error (for example that {@code libcuda.so.1} is missing,
 * or {@code CUDA_ERROR_NO_DEVICE}) and SIMD is used; "cuda" then throws {@link IllegalStateException} with it.
 */
public final class Backends {

    /** The names {@link #select} accepts. */
    public static final List<String> NAMES = List.of("auto", "cuda", "simd", "scalar");

    private static boolean fallbackReported;

    private Backends() {
    }

    public static Backend select(String name) {
        String key = name == null ? "auto" : name.trim().toLowerCase(Locale.ROOT);
        return switch (key) {
            case "auto" -> auto();
            case "cuda" -> new CudaBackend();
            case "simd" -> new SimdBackend();
            case "scalar" -> new ScalarBackend();
            default -> throw new IllegalArgumentException("backend '" + name + "' is unknown; choose one of " + NAMES);
        };
    }

    private static Backend auto() {
        CudaAvailability.Status cuda = CudaAvailability.status();
        if (cuda.usable()) {
            return new CudaBackend();
        }
        reportFallbackOnce(cuda.detail());
        return new SimdBackend();
    }

    private static synchronized void reportFallbackOnce(String reason) {
        if (!fallbackReported) {
            fallbackReported = true;
            System.err.println("panamax: no usable CUDA GPU (" + reason + "); backend auto uses simd");
        }
    }
}
