package dev.panamax.engine;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Bad GEMM input throws before any kernel runs, with a message naming the arguments and shapes. */
class GemmInputTest {

    private static final List<Backend> BACKENDS = List.of(new ScalarBackend(), new SimdBackend());

    private static void assertMessage(Throwable t, String... fragments) {
        for (String fragment : fragments) {
            assertTrue(t.getMessage().contains(fragment), "message '" + t.getMessage() + "' lacks '" + fragment + "'");
        }
    }

    @Test
    void innerDimensionMismatchNamesBothShapes() {
        try (Arena arena = Arena.ofShared()) {
            Tensor a = Tensor.zeros(arena, 3, 4);
            Tensor b = Tensor.zeros(arena, 5, 6);
            Tensor c = Tensor.zeros(arena, 3, 6);
            for (Backend backend : BACKENDS) {
                var e = assertThrows(IllegalArgumentException.class, () -> backend.matmul(a, b, c));
                assertMessage(e, "matmul", "[3, 4]", "[5, 6]", "inner dimensions 4 and 5 differ");
            }
        }
    }

    @Test
    void wrongOutputShapeIsRejected() {
        try (Arena arena = Arena.ofShared()) {
            Tensor a = Tensor.zeros(arena, 3, 4);
            Tensor b = Tensor.zeros(arena, 4, 6);
            Tensor c = Tensor.zeros(arena, 6, 3);
            for (Backend backend : BACKENDS) {
                var e = assertThrows(IllegalArgumentException.class, () -> backend.matmul(a, b, c));
                assertMessage(e, "[6, 3]", "[3, 6]");
            }
        }
    }

    @Test
    void nonPositiveDimensionsAreRejected() {
        try (Arena arena = Arena.ofShared()) {
            Tensor t = Tensor.zeros(arena, 16);
            Tensor c = Tensor.zeros(arena, 16);
            for (Backend backend : BACKENDS) {
                var e = assertThrows(IllegalArgumentException.class, () -> backend.gemm(Transpose.N, Transpose.N,
                        0, 2, 2, 1f, t, 0, 2, t, 0, 2, 0f, c, 0, 2));
                assertMessage(e, "m=0");
                e = assertThrows(IllegalArgumentException.class, () -> backend.gemm(Transpose.N, Transpose.N,
                        2, 2, -1, 1f, t, 0, 2, t, 0, 2, 0f, c, 0, 2));
                assertMessage(e, "k=-1");
            }
        }
    }

    @Test
    void leadingDimensionSmallerThanTheRowIsRejected() {
        try (Arena arena = Arena.ofShared()) {
            Tensor a = Tensor.zeros(arena, 100);
            Tensor b = Tensor.zeros(arena, 100);
            Tensor c = Tensor.zeros(arena, 100);
            for (Backend backend : BACKENDS) {
                var e = assertThrows(IllegalArgumentException.class, () -> backend.gemm(Transpose.N, Transpose.N,
                        3, 4, 5, 1f, a, 0, 4, b, 0, 4, 0f, c, 0, 4));
                assertMessage(e, "lda=4", "row width 5");
                e = assertThrows(IllegalArgumentException.class, () -> backend.gemm(Transpose.N, Transpose.T,
                        3, 4, 5, 1f, a, 0, 5, b, 0, 4, 0f, c, 0, 4));
                assertMessage(e, "ldb=4", "row width 5", "transposed");
                e = assertThrows(IllegalArgumentException.class, () -> backend.gemm(Transpose.N, Transpose.N,
                        3, 4, 5, 1f, a, 0, 5, b, 0, 4, 0f, c, 0, 3));
                assertMessage(e, "ldc=3");
            }
        }
    }

    @Test
    void operandTooSmallForTheShapeIsRejected() {
        try (Arena arena = Arena.ofShared()) {
            Tensor a = Tensor.zeros(arena, 3, 5);
            Tensor b = Tensor.zeros(arena, 5, 4);
            Tensor c = Tensor.zeros(arena, 3, 4);
            for (Backend backend : BACKENDS) {
                var e = assertThrows(IllegalArgumentException.class, () -> backend.gemm(Transpose.N, Transpose.N,
                        3, 4, 5, 1f, a, 1, 5, b, 0, 4, 0f, c, 0, 4));
                assertMessage(e, "a [3, 5]", "offset 1", "needs 16 elements");
                e = assertThrows(IllegalArgumentException.class, () -> backend.gemmStridedBatched(Transpose.N,
                        Transpose.N, 3, 4, 5, 1f, a, 0, 5, 15, b, 0, 4, 0, 0f, c, 0, 4, 12, 2));
                assertMessage(e, "batch 2", "stride 15");
            }
        }
    }

    @Test
    void outputOverlappingAnInputIsRejected() {
        try (Arena arena = Arena.ofShared()) {
            Tensor x = Tensor.zeros(arena, 4, 4);
            for (Backend backend : BACKENDS) {
                var e = assertThrows(IllegalArgumentException.class, () -> backend.matmul(x, x.rows(0, 4), x));
                assertMessage(e, "overlaps");
            }
        }
    }

    @Test
    void closedTensorThrowsInsteadOfCrashing() {
        Arena arena = Arena.ofShared();
        Tensor a = Tensor.randn(arena, 1, 8, 8);
        Tensor b = Tensor.randn(arena, 2, 8, 8);
        Tensor c = Tensor.zeros(arena, 8, 8);
        arena.close();
        for (Backend backend : BACKENDS) {
            var e = assertThrows(IllegalStateException.class, () -> backend.matmul(a, b, c));
            assertMessage(e, "[8, 8]", "arena", "closed");
        }
    }
}
