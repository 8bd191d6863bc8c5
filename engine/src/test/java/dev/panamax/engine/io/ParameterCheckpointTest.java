package dev.panamax.engine.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panamax.engine.Tensor;
import dev.panamax.engine.nn.Parameter;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ParameterCheckpointTest {

    @TempDir
    Path dir;

    private static List<Parameter> model(Arena arena, long seed, int width) {
        return List.of(
                Parameter.of(arena, "wte.weight", Tensor.randn(arena, seed, 11, width), true),
                Parameter.of(arena, "h.0.attn.c_attn.weight", Tensor.randn(arena, seed + 1, width, 3 * width), true),
                Parameter.of(arena, "h.0.attn.c_attn.bias", Tensor.randn(arena, seed + 2, 3 * width), false));
    }

    @Test
    void savedParametersLoadIntoAnotherModelByName() throws IOException {
        try (Arena arena = Arena.ofShared()) {
            List<Parameter> trained = model(arena, 1, 4);
            Path file = dir.resolve("model.safetensors");
            ParameterCheckpoint.save(file, trained, Map.of("step", "1200"));
            List<Parameter> fresh = model(arena, 99, 4);
            Map<String, String> metadata = ParameterCheckpoint.load(file, List.of(fresh.get(2), fresh.get(0), fresh.get(1)));
            assertEquals("1200", metadata.get("step"));
            for (int i = 0; i < trained.size(); i++) {
                assertArrayEquals(trained.get(i).value().toArray(), fresh.get(i).value().toArray(), 0f);
            }
        }
    }

    @Test
    void aMismatchedModelListsEveryProblemAndLoadsNothing() throws IOException {
        try (Arena arena = Arena.ofShared()) {
            Path file = dir.resolve("model.safetensors");
            ParameterCheckpoint.save(file, model(arena, 1, 4), Map.of());
            List<Parameter> other = List.of(
                    Parameter.of(arena, "wte.weight", Tensor.randn(arena, 5, 11, 4), true),
                    Parameter.of(arena, "h.0.attn.c_attn.weight", Tensor.randn(arena, 6, 4, 8), true),
                    Parameter.of(arena, "lm_head.weight", Tensor.randn(arena, 7, 4, 11), true));
            float[] before = other.get(0).value().toArray();
            var e = assertThrows(SafeTensorsException.class, () -> ParameterCheckpoint.load(file, other));
            String message = e.getMessage();
            assertTrue(message.startsWith(file + ": does not match the model's parameters; nothing was loaded"), message);
            assertTrue(message.contains("missing from the file (1): lm_head.weight"), message);
            assertTrue(message.contains("shape mismatch (1): h.0.attn.c_attn.weight is [4, 12] in the file but [4, 8] in the model"), message);
            assertTrue(message.contains("in the file but not in the model (1): h.0.attn.c_attn.bias"), message);
            assertArrayEquals(before, other.get(0).value().toArray(), 0f, "nothing was loaded");
        }
    }

    @Test
    void duplicateNamesCannotBeSaved() {
        try (Arena arena = Arena.ofShared()) {
            List<Parameter> twins = List.of(Parameter.zeros(arena, "w", true, 1), Parameter.zeros(arena, "w", true, 2));
            var e = assertThrows(IllegalArgumentException.class,
                    () -> ParameterCheckpoint.save(dir.resolve("x.safetensors"), twins, Map.of()));
            assertEquals("ParameterCheckpoint.save: two parameters are named w", e.getMessage());
        }
    }
}
