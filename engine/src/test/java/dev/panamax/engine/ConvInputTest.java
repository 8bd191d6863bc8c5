package dev.panamax.engine;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Bad convolution and resampling input throws before any kernel runs, naming the operation and the shapes. */
class ConvInputTest {

    private static final List<Backend> BACKENDS = List.of(new ScalarBackend(), new SimdBackend());

    private static void assertRejected(Executable call, String... fragments) {
        var e = assertThrows(IllegalArgumentException.class, call);
        for (String fragment : fragments) {
            assertTrue(e.getMessage().contains(fragment), "message '" + e.getMessage() + "' lacks '" + fragment + "'");
        }
    }

    @Test
    void channelMismatchNamesBothShapes() {
        try (Arena arena = Arena.ofShared()) {
            Tensor x = Tensor.zeros(arena, 2, 3, 8, 8);
            Tensor w = Tensor.zeros(arena, 16, 4, 3, 3);
            Tensor y = Tensor.zeros(arena, 2, 16, 8, 8);
            for (Backend b : BACKENDS) {
                assertRejected(() -> b.conv2d(x, w, null, y, 1, 1), "conv2d", "[2, 3, 8, 8]", "[16, 4, 3, 3]",
                        "3 channels", "expects 4");
                assertRejected(() -> b.conv2dBackwardWeight(x, y, w, null, 1, 1), "conv2dBackwardWeight", "3 channels");
                assertRejected(() -> b.conv2dBackwardInput(y, w, x, 1, 1), "conv2dBackwardInput", "dInput");
            }
        }
    }

    @Test
    void kernelLargerThanThePaddedInputIsRejected() {
        try (Arena arena = Arena.ofShared()) {
            Tensor x = Tensor.zeros(arena, 1, 1, 2, 3);
            Tensor w = Tensor.zeros(arena, 1, 1, 5, 5);
            Tensor y = Tensor.zeros(arena, 1, 1, 1, 1);
            for (Backend b : BACKENDS) {
                assertRejected(() -> b.conv2d(x, w, null, y, 1, 1), "conv2d", "kernel 5x5",
                        "larger than the padded input 4x5", "padding 1");
            }
        }
    }

    @Test
    void strideAndPaddingMustBeValid() {
        try (Arena arena = Arena.ofShared()) {
            Tensor x = Tensor.zeros(arena, 1, 2, 6, 6);
            Tensor w = Tensor.zeros(arena, 3, 2, 3, 3);
            Tensor y = Tensor.zeros(arena, 1, 3, 6, 6);
            for (Backend b : BACKENDS) {
                assertRejected(() -> b.conv2d(x, w, null, y, 0, 1), "conv2d", "stride must be >= 1, got 0");
                assertRejected(() -> b.conv2d(x, w, null, y, -2, 1), "stride must be >= 1, got -2");
                assertRejected(() -> b.conv2d(x, w, null, y, 1, -1), "conv2d", "padding must be >= 0, got -1");
                assertRejected(() -> b.conv2dBackwardInput(y, w, x, 1, -1), "conv2dBackwardInput", "padding");
                assertRejected(() -> b.conv2dBackwardWeight(x, y, w, null, 0, 1), "conv2dBackwardWeight", "stride");
            }
        }
    }

    @Test
    void wrongOutputAndGradientShapesAreRejected() {
        try (Arena arena = Arena.ofShared()) {
            Tensor x = Tensor.zeros(arena, 2, 3, 9, 9);
            Tensor w = Tensor.zeros(arena, 4, 3, 3, 3);
            Tensor good = Tensor.zeros(arena, 2, 4, 5, 5);      // stride 2, padding 1
            Tensor bad = Tensor.zeros(arena, 2, 4, 9, 9);
            for (Backend b : BACKENDS) {
                assertRejected(() -> b.conv2d(x, w, null, bad, 2, 1), "conv2d", "output is [2, 4, 9, 9]",
                        "stride 2", "padding 1", "gives [2, 4, 5, 5]");
                assertRejected(() -> b.conv2dBackwardInput(bad, w, x, 2, 1), "conv2dBackwardInput",
                        "dOutput is [2, 4, 9, 9]", "gives [2, 4, 5, 5]");
                assertRejected(() -> b.conv2dBackwardWeight(x, bad, w, null, 2, 1), "conv2dBackwardWeight",
                        "dOutput is [2, 4, 9, 9]");
                assertRejected(() -> b.conv2d(x, w, Tensor.zeros(arena, 3), good, 2, 1), "conv2d",
                        "bias must be [4]", "got [3]");
                assertRejected(() -> b.conv2dBackwardWeight(x, good, w, Tensor.zeros(arena, 4, 1), 2, 1),
                        "dBias must be [4]");
                assertRejected(() -> b.conv2d(x.reshape(2, 3, 81), w, null, good, 2, 1), "conv2d",
                        "input must be 4-D", "[2, 3, 81]");
                assertRejected(() -> b.conv2d(x, w.reshape(4, 27), null, good, 2, 1), "weight must be 4-D");
                assertRejected(() -> b.conv2d(x, null, null, good, 2, 1), "conv2d: weight is null");
            }
        }
    }

    @Test
    void outputOverlappingAnInputIsRejected() {
        try (Arena arena = Arena.ofShared()) {
            Tensor x = Tensor.zeros(arena, 1, 2, 4, 4);
            Tensor w = Tensor.zeros(arena, 2, 2, 1, 1);
            for (Backend b : BACKENDS) {
                assertRejected(() -> b.conv2d(x, w, null, x, 1, 0), "conv2d", "output", "overlaps input");
                assertRejected(() -> b.conv2dBackwardInput(x, w, x, 1, 0), "overlaps dOutput");
                Tensor buffer = Tensor.zeros(arena, 64);
                Tensor small = buffer.reshape(8, 8).rows(0, 1).reshape(1, 2, 2, 2);
                Tensor large = buffer.reshape(2, 32).rows(0, 1).reshape(1, 2, 4, 4);
                assertRejected(() -> b.upsampleNearest2x(small, large), "upsampleNearest2x", "overlaps");
            }
        }
    }

    @Test
    void resamplingShapesAreChecked() {
        try (Arena arena = Arena.ofShared()) {
            Tensor x = Tensor.zeros(arena, 2, 3, 4, 5);
            for (Backend b : BACKENDS) {
                assertRejected(() -> b.upsampleNearest2x(x, Tensor.zeros(arena, 2, 3, 8, 9)), "upsampleNearest2x",
                        "output is [2, 3, 8, 9]", "gives [2, 3, 8, 10]");
                assertRejected(() -> b.upsampleNearest2xBackward(Tensor.zeros(arena, 2, 3, 8, 8), x),
                        "upsampleNearest2xBackward", "dOutput is [2, 3, 8, 8]");
                assertRejected(() -> b.avgPool2x2(x, Tensor.zeros(arena, 2, 3, 2, 3)), "avgPool2x2",
                        "output is [2, 3, 2, 3]", "pooled 2x2 gives [2, 3, 2, 2]");
                assertRejected(() -> b.avgPool2x2(Tensor.zeros(arena, 1, 1, 1, 6), Tensor.zeros(arena, 1, 1, 1, 3)),
                        "smaller than the 2x2 pooling window");
                assertRejected(() -> b.avgPool2x2Backward(Tensor.zeros(arena, 2, 3, 2, 2), x.reshape(6, 20)),
                        "avgPool2x2Backward", "dInput must be 4-D");
            }
        }
    }

    @Test
    void closedTensorThrowsInsteadOfCrashing() {
        Arena arena = Arena.ofShared();
        Tensor x = Tensor.zeros(arena, 1, 2, 4, 4);
        Tensor w = Tensor.zeros(arena, 2, 2, 3, 3);
        Tensor y = Tensor.zeros(arena, 1, 2, 4, 4);
        arena.close();
        for (Backend b : BACKENDS) {
            var e = assertThrows(IllegalStateException.class, () -> b.conv2d(x, w, null, y, 1, 1));
            assertTrue(e.getMessage().contains("closed"), e.getMessage());
            assertThrows(IllegalStateException.class, () -> b.avgPool2x2(x, Tensor.zeros(Arena.ofAuto(), 1, 2, 2, 2)));
        }
    }
}
