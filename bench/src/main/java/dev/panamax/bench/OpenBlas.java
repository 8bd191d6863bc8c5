package dev.panamax.bench;

import dev.panamax.engine.Transpose;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The system OpenBLAS, reached through FFM downcalls, as the yardstick for Panamax's own GEMM: the benchmarks
 * need a tuned native sgemm to say how far the Vector API kernels are from what the hardware allows, and a JNI
 * wrapper or a Java BLAS port would add a dependency and measure something else.
 *
 * <p>Loading happens once, in the class initializer, and never throws: a machine without OpenBLAS gets
 * {@link #isAvailable()} {@code false} and a human-readable {@link #unavailableReason()}, so callers can skip the
 * comparison instead of failing. The library is looked up as {@code -Dpanamax.openblas=/path/to/lib} when that
 * property is set, else as {@code libopenblas.so.0} (what Debian's libopenblas0-* packages install) and then
 * {@code libopenblas.so}; it stays loaded for the life of the JVM.
 *
 * <p>{@link #sgemm} keeps the engine's conventions (row-major, offsets and leading dimensions counted in floats)
 * and checks that every addressed element lies inside its segment before calling out, because an out-of-bounds
 * read in native code is a crash, not an exception.
 */
@SuppressWarnings("restricted") // calling native code is this class's purpose; the JVM runs with --enable-native-access
public final class OpenBlas {

    /** System property naming the OpenBLAS shared library to load instead of the default names. */
    public static final String LIBRARY_PROPERTY = "panamax.openblas";

    private static final List<String> DEFAULT_LIBRARY_NAMES = List.of("libopenblas.so.0", "libopenblas.so");

    // CBLAS enum values (cblas.h).
    private static final int CBLAS_ROW_MAJOR = 101;
    private static final int CBLAS_NO_TRANS = 111;
    private static final int CBLAS_TRANS = 112;

    private static final Binding BINDING;
    private static final String UNAVAILABLE_REASON;

    static {
        Binding binding = null;
        String reason = null;
        try {
            binding = Binding.load();
        } catch (RuntimeException | LinkageError e) {
            reason = e.getMessage() != null ? e.getMessage() : e.toString();
        }
        BINDING = binding;
        UNAVAILABLE_REASON = reason;
    }

    private OpenBlas() {
    }

    /** Whether OpenBLAS was found and its functions bound; when false, every call but the queries throws. */
    public static boolean isAvailable() {
        return BINDING != null;
    }

    /** Why OpenBLAS is not available, or {@code null} when it is. */
    public static String unavailableReason() {
        return UNAVAILABLE_REASON;
    }

    /** The library name or path that was loaded. */
    public static String libraryName() {
        return binding().libraryName;
    }

    /** OpenBLAS's build description (version, target CPU, threading), or "unknown" for a build without it. */
    public static String config() {
        Binding b = binding();
        if (b.getConfig == null) {
            return "unknown";
        }
        try {
            MemorySegment text = (MemorySegment) b.getConfig.invokeExact();
            return text.reinterpret(Long.MAX_VALUE).getString(0);
        } catch (Throwable t) {
            throw rethrow("openblas_get_config", t);
        }
    }

    /** Sets the number of threads OpenBLAS uses for the following calls (process-wide). */
    public static void setNumThreads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("OpenBlas.setNumThreads: threads must be >= 1, got " + threads);
        }
        try {
            binding().setNumThreads.invokeExact(threads);
        } catch (Throwable t) {
            throw rethrow("openblas_set_num_threads", t);
        }
    }

    /**
     * {@code cblas_sgemm} in row-major order: {@code C = alpha·op(A)·op(B) + beta·C}, op(A) {@code m × k}, op(B)
     * {@code k × n}, C {@code m × n}. Offsets and leading dimensions count floats; the segments must be native
     * (off-heap) memory and C must not overlap A or B.
     */
    public static void sgemm(Transpose transA, Transpose transB, int m, int n, int k,
                             float alpha, MemorySegment a, long aOffset, int lda,
                             MemorySegment b, long bOffset, int ldb,
                             float beta, MemorySegment c, long cOffset, int ldc) {
        Binding binding = binding();
        if (m < 1 || n < 1 || k < 1) {
            throw new IllegalArgumentException("OpenBlas.sgemm: m, n and k must be >= 1, got m=" + m + ", n=" + n
                    + ", k=" + k);
        }
        MemorySegment aUsed = operand("a", a, transA, m, k, aOffset, lda);
        MemorySegment bUsed = operand("b", b, transB, k, n, bOffset, ldb);
        MemorySegment cUsed = operand("c", c, Transpose.N, m, n, cOffset, ldc);
        try {
            binding.sgemm.invokeExact(CBLAS_ROW_MAJOR, cblasTranspose(transA), cblasTranspose(transB), m, n, k,
                    alpha, aUsed, lda, bUsed, ldb, beta, cUsed, ldc);
        } catch (Throwable t) {
            throw rethrow("cblas_sgemm", t);
        }
    }

    /**
     * The part of {@code segment} that a {@code rows × cols} row-major operand (stored transposed when
     * {@code trans} is T) touches, starting at {@code offset}; throws if it does not fit.
     */
    private static MemorySegment operand(String name, MemorySegment segment, Transpose trans, int rows, int cols,
                                         long offset, int ld) {
        if (trans == null || segment == null) {
            throw new IllegalArgumentException("OpenBlas.sgemm: " + name + " and its transpose flag must be given");
        }
        if (!segment.isNative()) {
            throw new IllegalArgumentException("OpenBlas.sgemm: " + name + " must be off-heap memory, got " + segment);
        }
        int storedRows = trans == Transpose.N ? rows : cols;
        int storedCols = trans == Transpose.N ? cols : rows;
        if (ld < storedCols) {
            throw new IllegalArgumentException("OpenBlas.sgemm: ld" + name + "=" + ld + " is smaller than the row "
                    + "width " + storedCols + " of " + name + " (" + storedRows + "x" + storedCols + " as stored)");
        }
        long floats = (long) (storedRows - 1) * ld + storedCols;
        long available = segment.byteSize() / Float.BYTES;
        if (offset < 0 || offset > available - floats) {
            throw new IllegalArgumentException("OpenBlas.sgemm: " + name + " (" + available + " floats) is too "
                    + "small for a " + storedRows + "x" + storedCols + " matrix with ld" + name + "=" + ld
                    + " at offset " + offset);
        }
        return segment.asSlice(offset * Float.BYTES, floats * Float.BYTES);
    }

    private static int cblasTranspose(Transpose trans) {
        return trans == Transpose.T ? CBLAS_TRANS : CBLAS_NO_TRANS;
    }

    private static Binding binding() {
        if (BINDING == null) {
            throw new IllegalStateException("OpenBLAS is not available: " + UNAVAILABLE_REASON);
        }
        return BINDING;
    }

    /** {@code invokeExact} declares Throwable; downcalls only throw unchecked ones, which pass through as they are. */
    private static RuntimeException rethrow(String function, Throwable t) {
        if (t instanceof RuntimeException re) {
            return re;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(function + " failed", t);
    }

    /** The loaded library's downcall handles; {@code getConfig} is optional (older builds lack it). */
    private record Binding(String libraryName, MethodHandle sgemm, MethodHandle setNumThreads,
                           MethodHandle getConfig) {

        static Binding load() {
            List<String> names = new ArrayList<>();
            String configured = System.getProperty(LIBRARY_PROPERTY);
            if (configured != null && !configured.isBlank()) {
                names.add(configured.trim());
            } else {
                names.addAll(DEFAULT_LIBRARY_NAMES);
            }
            List<String> failures = new ArrayList<>();
            for (String name : names) {
                SymbolLookup lookup;
                try {
                    lookup = SymbolLookup.libraryLookup(name, Arena.global());
                } catch (IllegalArgumentException e) {
                    failures.add(name + " (" + e.getMessage() + ")");
                    continue;
                }
                return bind(name, lookup);
            }
            throw new IllegalStateException("no OpenBLAS library could be loaded; tried " + String.join(", ", failures)
                    + (configured == null ? "; install libopenblas0 (e.g. apt-get install libopenblas0-pthread) or "
                    + "set -D" + LIBRARY_PROPERTY + "=/path/to/libopenblas.so" : ""));
        }

        private static Binding bind(String name, SymbolLookup lookup) {
            Linker linker = Linker.nativeLinker();
            ValueLayout.OfInt i32 = ValueLayout.JAVA_INT;
            ValueLayout.OfFloat f32 = ValueLayout.JAVA_FLOAT;
            ValueLayout ptr = ValueLayout.ADDRESS;
            // void cblas_sgemm(order, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc)
            MethodHandle sgemm = linker.downcallHandle(required(lookup, name, "cblas_sgemm"),
                    FunctionDescriptor.ofVoid(i32, i32, i32, i32, i32, i32, f32, ptr, i32, ptr, i32, f32, ptr, i32));
            MethodHandle setNumThreads = linker.downcallHandle(required(lookup, name, "openblas_set_num_threads"),
                    FunctionDescriptor.ofVoid(i32));
            MethodHandle getConfig = lookup.find("openblas_get_config")
                    .map(symbol -> linker.downcallHandle(symbol, FunctionDescriptor.of(ptr)))
                    .orElse(null);
            return new Binding(name, sgemm, setNumThreads, getConfig);
        }

        private static MemorySegment required(SymbolLookup lookup, String library, String symbol) {
            Optional<MemorySegment> found = lookup.find(symbol);
            return found.orElseThrow(() -> new IllegalStateException(library + " was loaded but has no " + symbol
                    + "; it is not an OpenBLAS build"));
        }
    }
}
