package dev.panamax.engine.kernel.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.panamax.engine.kernel.simd.gemm.SimdGemm;
import dev.panamax.engine.parallel.WorkerPool;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every segment the kernels touch is native (off-heap). C2 profiles the segment's class at the JDK's shared access
 * code, so one segment over a heap array anywhere in the JVM makes every later vector load and store in every
 * kernel bimorphic. Measured in session 10: after convolutions that used heap scratch segments, a 768×512×768 GEMM
 * on tensors took 1.7× as long, a GEMV twice as long, and the diffusion training step 15–17% longer than with
 * native scratch. Nothing about the results changes, so only these checks catch a regression.
 */
class NativeSegmentsTest {

    private static final List<String> HEAP_WRAPPERS = List.of("MemorySegment.ofArray(", "MemorySegment.ofBuffer(");

    @Test
    void mainSourcesNeverWrapHeapMemoryInSegments() throws IOException {
        // The tests run in the engine module's directory; the models module sits beside it.
        List<Path> roots = Stream.of(Path.of("src/main/java"), Path.of("../models/src/main/java"))
                .filter(Files::isDirectory).toList();
        assertTrue(roots.contains(Path.of("src/main/java")), "engine sources not found from " + Path.of("").toAbsolutePath());
        List<String> offenders = new java.util.ArrayList<>();
        for (Path root : roots) {
            try (Stream<Path> files = Files.walk(root)) {
                for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                    List<String> lines = Files.readAllLines(file);
                    for (int i = 0; i < lines.size(); i++) {
                        String line = lines.get(i).strip();
                        boolean comment = line.startsWith("*") || line.startsWith("//") || line.startsWith("/*");
                        for (String wrapper : HEAP_WRAPPERS) {
                            if (!comment && line.contains(wrapper)) {
                                offenders.add(file + ":" + (i + 1) + ": " + line);
                            }
                        }
                    }
                }
            }
        }
        assertEquals(List.of(), offenders, "heap memory wrapped in a MemorySegment; use native scratch instead");
    }

    @Test
    void gemmRejectsAHeapSegmentWhenAssertionsAreOn() {
        assumeTrue(SimdGemm.class.desiredAssertionStatus(), "assertions are off in this JVM");
        try (Arena arena = Arena.ofConfined(); WorkerPool pool = new WorkerPool(1)) {
            MemorySegment a = arena.allocate(4L * 4 * 4);
            MemorySegment heapC = MemorySegment.ofArray(new float[16]);
            AssertionError error = assertThrows(AssertionError.class, () -> new SimdGemm().gemm(false, false, 4, 4,
                    4, 1f, a, 0, 4, a, 0, 4, 0f, heapC, 0, 4, pool));
            assertTrue(error.getMessage().contains("native"), error.getMessage());
        }
    }
}
