package dev.panamax.engine.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panamax.engine.Tensor;
import dev.panamax.engine.io.SafeTensors;
import dev.panamax.engine.nn.Parameter;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoint and resume: exported state, imported into a fresh optimizer, gives bit-identical later steps. */
class OptimizerStateTest {

    @TempDir
    Path dir;

    private static List<Parameter> parameters(Arena arena) {
        List<Parameter> list = new ArrayList<>();
        list.add(Parameter.of(arena, "h.0.weight", Tensor.randn(arena, 1, 5, 9), true));
        list.add(Parameter.of(arena, "h.0.bias", Tensor.randn(arena, 2, 9), false));
        list.add(Parameter.of(arena, "ln.gain", Tensor.randn(arena, 3, 1), false));
        return list;
    }

    private static List<Parameter> copies(Arena arena, List<Parameter> parameters) {
        List<Parameter> list = new ArrayList<>();
        for (Parameter p : parameters) {
            list.add(Parameter.of(arena, p.name(), p.value(), p.decay()));
        }
        return list;
    }

    private static void setGradients(Arena arena, List<Parameter> parameters, long seed) {
        for (Parameter p : parameters) {
            p.grad().copyFrom(Tensor.randn(arena, seed++, p.grad().shape()).toArray());
        }
    }

    private static List<Supplier<Optimizer>> everyOptimizer() {
        return List.of(() -> new AdamW(0.01, 0.9, 0.95, 1e-8, 0.1), () -> new Adam(0.01, 0.8, 0.9, 1e-6, 0.01),
                () -> new SGD(0.05, 0.9, 0.01, true), () -> new SGD(0.05), () -> new Adagrad(0.1));
    }

    @Test
    void exportedStateResumesBitForBit() throws IOException {
        for (Supplier<Optimizer> factory : everyOptimizer()) {
            try (Arena arena = Arena.ofShared(); Optimizer original = factory.get()) {
                List<Parameter> params = parameters(arena);
                for (int t = 0; t < 3; t++) {
                    setGradients(arena, params, 10 * t);
                    original.step(params);
                }
                original.setLearningRate(0.007);   // as a schedule would have left it

                // through a safetensors file, as a checkpoint would
                OptimizerState exported = original.exportState(arena);
                Path file = dir.resolve(original.name() + ".safetensors");
                SafeTensors.write(file, exported.tensors(), exported.metadata());
                SafeTensors.Contents contents = SafeTensors.read(file, arena);
                OptimizerState reloaded = OptimizerState.fromMetadata(contents.metadata(), contents.tensors());

                List<Parameter> resumedParams = copies(arena, params);
                try (Optimizer resumed = factory.get()) {
                    resumed.importState(resumedParams, reloaded);
                    assertEquals(3, resumed.stepCount());
                    assertEquals(0.007, resumed.learningRate());
                    for (int t = 3; t < 6; t++) {
                        setGradients(arena, params, 10 * t);
                        setGradients(arena, resumedParams, 10 * t);
                        original.step(params);
                        resumed.step(resumedParams);
                    }
                    for (int i = 0; i < params.size(); i++) {
                        assertArrayEquals(params.get(i).value().toArray(), resumedParams.get(i).value().toArray(),
                                0f, original.name() + ": " + params.get(i).name() + " differs after resuming");
                    }
                    Map<String, Tensor> a = original.exportState(arena).tensors();
                    Map<String, Tensor> b = resumed.exportState(arena).tensors();
                    assertEquals(a.keySet(), b.keySet());
                    a.forEach((name, tensor) -> assertArrayEquals(tensor.toArray(), b.get(name).toArray(), 0f, name));
                }
            }
        }
    }

    /**
     * The update loops run full vectors and then a scalar tail; both must perform the same IEEE operations, or an
     * element's trajectory would depend on its position in the tensor. One 64-element parameter (vector loop only)
     * and 64 one-element parameters (tail only) with the same values and gradients must stay bit-identical.
     */
    @Test
    void vectorLoopAndScalarTailAgreeBitForBit() {
        int n = 64;
        for (Supplier<Optimizer> factory : everyOptimizer()) {
            try (Arena arena = Arena.ofShared(); Optimizer wide = factory.get(); Optimizer narrow = factory.get()) {
                Tensor init = Tensor.randn(arena, 7, n);
                Parameter whole = Parameter.of(arena, "whole", init, true);
                List<Parameter> pieces = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    pieces.add(Parameter.of(arena, "piece" + i, Tensor.of(arena, new float[] {init.get(i)}, 1), true));
                }
                for (int t = 0; t < 4; t++) {
                    float[] g = Tensor.randn(arena, 100 + t, 0f, 3f, n).toArray();
                    whole.grad().copyFrom(g);
                    for (int i = 0; i < n; i++) {
                        pieces.get(i).grad().copyFrom(new float[] {g[i]});
                    }
                    wide.step(List.of(whole));
                    narrow.step(pieces);
                }
                for (int i = 0; i < n; i++) {
                    assertEquals(Float.floatToRawIntBits(whole.value().get(i)),
                            Float.floatToRawIntBits(pieces.get(i).value().get(0)), wide.name() + " element " + i);
                }
                float[] g = whole.grad().toArray();
                double expected = 0;
                for (float x : g) {
                    expected = Math.fma(x, x, expected);
                }
                assertEquals(Math.sqrt(expected), GradientClipping.globalNorm(List.of(whole)), 1e-12 * Math.sqrt(expected));
            }
        }
    }

    @Test
    void stateNamesFollowPyTorch() {
        try (Arena arena = Arena.ofShared(); AdamW adamW = new AdamW(1e-3)) {
            List<Parameter> params = parameters(arena);
            assertEquals(0, adamW.exportState(arena).tensors().size(), "no state before the first step");
            adamW.step(params);
            OptimizerState state = adamW.exportState(arena);
            assertEquals(List.of("h.0.weight.exp_avg", "h.0.weight.exp_avg_sq", "h.0.bias.exp_avg",
                    "h.0.bias.exp_avg_sq", "ln.gain.exp_avg", "ln.gain.exp_avg_sq"), List.copyOf(state.tensors().keySet()));
            assertEquals("adamw", state.metadata().get("optimizer"));
            assertEquals("1", state.metadata().get("optimizer.step"));
            assertEquals("0.999", state.metadata().get("optimizer.beta2"));
        }
    }

    @Test
    void importRejectsStateThatDoesNotFit() {
        try (Arena arena = Arena.ofShared(); AdamW source = new AdamW(1e-3, 0.9, 0.95, 1e-8, 0.1)) {
            List<Parameter> params = parameters(arena);
            source.step(params);
            OptimizerState state = source.exportState(arena);

            try (AdamW otherBetas = new AdamW(1e-3)) {
                var e = assertThrows(IllegalArgumentException.class, () -> otherBetas.importState(params, state));
                assertTrue(e.getMessage().contains("beta2 is 0.95 in the state but 0.999 in this optimizer"), e.getMessage());
                assertTrue(e.getMessage().contains("weightDecay is 0.1 in the state but 0.01"), e.getMessage());
            }
            try (Adam adam = new Adam(1e-3)) {
                var e = assertThrows(IllegalArgumentException.class, () -> adam.importState(params, state));
                assertTrue(e.getMessage().contains("exported by adamw, not adam"), e.getMessage());
            }
            try (AdamW fresh = new AdamW(1e-3, 0.9, 0.95, 1e-8, 0.1)) {
                List<Parameter> other = new ArrayList<>(copies(arena, params));
                other.set(1, Parameter.zeros(arena, "h.0.bias", false, 10));
                other.add(Parameter.zeros(arena, "lm_head.weight", true, 2, 2));
                var e = assertThrows(IllegalArgumentException.class, () -> fresh.importState(other, state));
                assertTrue(e.getMessage().contains("h.0.bias.exp_avg is [9] but the parameter is [10]"), e.getMessage());
                assertTrue(e.getMessage().contains("no tensor lm_head.weight.exp_avg"), e.getMessage());
                assertEquals(0, fresh.stepCount(), "a rejected import changes nothing");
                assertEquals(0, fresh.exportState(arena).tensors().size());
            }
        }
    }

    @Test
    void stepsOneFixedListOfParameters() {
        try (Arena arena = Arena.ofShared(); SGD sgd = new SGD(0.1, 0.9, 0, false)) {
            List<Parameter> params = parameters(arena);
            sgd.step(params);
            var e = assertThrows(IllegalArgumentException.class, () -> sgd.step(params.subList(0, 2)));
            assertTrue(e.getMessage().contains("got 2 parameters, but this optimizer steps the 3"), e.getMessage());
            List<Parameter> swapped = List.of(params.get(1), params.get(0), params.get(2));
            e = assertThrows(IllegalArgumentException.class, () -> sgd.step(swapped));
            assertTrue(e.getMessage().contains("parameter 0 is Parameter h.0.bias"), e.getMessage());
            List<Parameter> twins = List.of(params.get(0), Parameter.zeros(arena, "h.0.weight", true, 1));
            try (SGD other = new SGD(0.1)) {
                e = assertThrows(IllegalArgumentException.class, () -> other.step(twins));
                assertTrue(e.getMessage().contains("two parameters are named h.0.weight"), e.getMessage());
            }
        }
        SGD closed = new SGD(0.1);
        closed.close();
        try (Arena arena = Arena.ofShared()) {
            List<Parameter> params = parameters(arena);
            var e = assertThrows(IllegalStateException.class, () -> closed.step(params));
            assertTrue(e.getMessage().contains("SGD.step: this optimizer was closed"), e.getMessage());
        }
    }

    @Test
    void fromMetadataExplainsMissingEntries() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> OptimizerState.fromMetadata(Map.of("format", "pt"), Map.of()));
        assertTrue(e.getMessage().contains("no \"optimizer\" entry"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> OptimizerState.fromMetadata(
                Map.of("optimizer", "adamw", "optimizer.step", "x", "optimizer.lr", "0.1"), Map.of()));
        assertTrue(e.getMessage().contains("\"optimizer.step\" is \"x\", not a whole number"), e.getMessage());
    }
}
