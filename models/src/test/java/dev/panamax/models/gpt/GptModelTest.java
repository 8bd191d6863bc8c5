package dev.panamax.models.gpt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panamax.engine.Backend;
import dev.panamax.engine.Backends;
import dev.panamax.engine.Tensor;
import dev.panamax.engine.autograd.Tape;
import dev.panamax.engine.io.SafeTensors;
import dev.panamax.engine.nn.Parameter;
import dev.panamax.engine.optim.AdamW;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GptModelTest {

    static final Backend BACKEND = Backends.select("simd");
    /** Small enough for milliseconds per step, big enough to have several heads and layers. */
    static final GptConfig TINY = new GptConfig(11, 16, 2, 2, 16, 0f, true);

    @TempDir
    Path dir;

    @Test
    void parametersHaveGpt2NamesShapesAndInitialisation() {
        try (GptModel model = new GptModel(GptConfig.preset("tiny", 65), 1)) {
            List<String> names = model.parameters().stream().map(Parameter::name).toList();
            assertEquals(List.of("wte.weight", "wpe.weight", "h.0.ln_1.weight", "h.0.ln_1.bias",
                    "h.0.attn.c_attn.weight", "h.0.attn.c_attn.bias", "h.0.attn.c_proj.weight", "h.0.attn.c_proj.bias",
                    "h.0.ln_2.weight", "h.0.ln_2.bias", "h.0.mlp.c_fc.weight", "h.0.mlp.c_fc.bias",
                    "h.0.mlp.c_proj.weight", "h.0.mlp.c_proj.bias"), names.subList(0, 14));
            assertEquals(List.of("ln_f.weight", "ln_f.bias"), names.subList(names.size() - 2, names.size()));
            assertArrayEquals(new int[] {96, 32}, model.parameter("h.1.attn.c_attn.weight").value().shape());
            assertArrayEquals(new int[] {32, 128}, model.parameter("h.1.mlp.c_proj.weight").value().shape());
            // GPT-2 init: N(0, 0.02²), residual projections scaled by 1/√(2·layers), biases 0
            assertEquals(0.02, std(model.parameter("h.0.mlp.c_fc.weight")), 0.002);
            assertEquals(0.02 / Math.sqrt(4), std(model.parameter("h.0.mlp.c_proj.weight")), 0.001);
            assertEquals(0.02, std(model.parameter("wte.weight")), 0.002);
            assertEquals(0.0, std(model.parameter("h.0.attn.c_attn.bias")));
            // weight decay on matrices only
            for (Parameter p : model.parameters()) {
                assertEquals(p.value().rank() == 2, p.decay(), p.name());
            }
        }
        try (GptModel gpt2 = new GptModel(GptConfig.preset("gpt2", 0), 1)) {
            assertEquals(124_439_808L, gpt2.parameterCount());          // GPT-2 small without the tied head
        }
    }

    private static double std(Parameter p) {
        double sum = 0;
        double squares = 0;
        float[] v = p.value().toArray();
        for (float x : v) {
            sum += x;
            squares += (double) x * x;
        }
        double mean = sum / v.length;
        return Math.sqrt(squares / v.length - mean * mean);
    }

    @Test
    void lossFallsOnARepeatingPattern() {
        try (GptModel model = new GptModel(TINY, 3); AdamW adam = new AdamW(3e-3, 0.9, 0.99, 1e-8, 0.1)) {
            int batch = 4;
            int time = 16;
            int[] inputs = new int[batch * time];
            int[] targets = new int[batch * time];
            SplittableRandom random = new SplittableRandom(5);
            double first = 0;
            double last = 0;
            for (int step = 0; step < 60; step++) {
                for (int b = 0; b < batch; b++) {       // 0 1 2 ... 10 0 1 2 ... from a random phase
                    int phase = random.nextInt(11);
                    for (int t = 0; t < time; t++) {
                        inputs[b * time + t] = (phase + t) % 11;
                        targets[b * time + t] = (phase + t + 1) % 11;
                    }
                }
                try (Tape tape = new Tape(BACKEND)) {
                    var loss = model.loss(tape, inputs, targets, batch, time, 0f, 0);
                    tape.backward(loss);
                    if (step == 0) {
                        first = loss.item();
                    }
                    last = loss.item();
                }
                adam.step(model.parameters());
                adam.zeroGrad(model.parameters());
            }
            assertEquals(Math.log(11), first, 0.3);             // starts near uniform
            assertTrue(last < first / 2, "loss fell from " + first + " to " + last);
        }
    }

    @Test
    void everyParameterGradientMatchesFiniteDifferences() {
        // The whole model composed (tied head, repeated positions, residuals, dropout off) against central
        // differences, on the scalar reference backend.
        GptConfig config = new GptConfig(7, 4, 1, 2, 8, 0f, true);
        Backend scalar = new dev.panamax.engine.ScalarBackend();
        int[] inputs = {1, 5, 2, 6, 3, 0, 4, 1};
        int[] targets = {5, 2, 6, 3, 0, 4, 1, 2};
        try (GptModel model = new GptModel(config, 17)) {
            for (Parameter p : model.parameters()) {     // larger weights than GPT-2's 0.02 make a sharper test
                float[] v = p.value().toArray();
                SplittableRandom random = new SplittableRandom(p.name().hashCode());
                for (int i = 0; i < v.length; i++) {
                    v[i] += (float) random.nextGaussian(0, 0.3);
                }
                p.value().copyFrom(v);
            }
            try (Tape tape = new Tape(scalar)) {
                tape.backward(model.loss(tape, inputs, targets, 2, 4, 0f, 0));
            }
            for (Parameter p : model.parameters()) {
                dev.panamax.engine.autograd.GradientCheck.Result result = dev.panamax.engine.autograd.GradientCheck
                        .check(v -> {
                            p.value().copyFrom(v);
                            try (Tape tape = new Tape(scalar)) {
                                return model.loss(tape, inputs, targets, 2, 4, 0f, 0).item();
                            }
                        }, p.value().toArray(), p.grad().toArray(), 1e-2);
                assertTrue(result.passes(2e-2), p.name() + ": " + result);
            }
        }
    }

    @Test
    void kvCacheDecodeEqualsFullRecomputation() {
        try (GptModel model = new GptModel(TINY, 7); GptDecoder decoder = new GptDecoder(model, BACKEND)) {
            int[] tokens = new SplittableRandom(9).ints(16, 0, 11).toArray();
            float[][] full = fullLogits(model, tokens);
            // a prompt of 5 in one batched pass, then the rest one token at a time
            Tensor logits = decoder.prefill(java.util.Arrays.copyOf(tokens, 5));
            assertClose(full[4], logits.toArray(), "prefill");
            for (int i = 5; i < tokens.length; i++) {
                logits = decoder.next(tokens[i]);
                assertClose(full[i], logits.toArray(), "decode at position " + i);
            }
            assertEquals(16, decoder.position());
            assertThrows(IllegalStateException.class, () -> decoder.next(1));   // the cache is full
            decoder.reset();
            assertClose(full[0], decoder.next(tokens[0]).toArray(), "after reset");
        }
    }

    static float[][] fullLogits(GptModel model, int[] tokens) {
        int vocab = model.config().vocabSize();
        try (Tape tape = new Tape(BACKEND)) {
            float[] all = model.forward(tape, tokens, 1, tokens.length).value().toArray();
            float[][] rows = new float[tokens.length][];
            for (int i = 0; i < rows.length; i++) {
                rows[i] = java.util.Arrays.copyOfRange(all, i * vocab, (i + 1) * vocab);
            }
            return rows;
        }
    }

    private static void assertClose(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], 1e-4, what + ", logit " + i);
        }
    }

    @Test
    void checkpointRoundTripGivesIdenticalLogits() throws IOException {
        var tokenizer = dev.panamax.models.gpt.tokenizer.CharTokenizer.fromCorpus("abcdefghijk");
        int[] tokens = {1, 4, 2, 8, 5, 7};
        try (GptModel model = new GptModel(TINY, 11)) {
            GptCheckpoint.saveModel(dir.resolve("ck"), model, tokenizer);
            try (GptModel loaded = GptCheckpoint.load(dir.resolve("ck")).model()) {
                assertEquals(TINY, loaded.config());
                float[][] a = fullLogits(model, tokens);
                float[][] b = fullLogits(loaded, tokens);
                for (int i = 0; i < a.length; i++) {
                    assertArrayEquals(a[i], b[i]);
                }
            }
            // saving again replaces the directory whole, leaving no temporary or old copies behind
            GptCheckpoint.saveModel(dir.resolve("ck"), model, tokenizer);
            assertEquals(List.of("ck"), list(dir));
        }
    }

    @Test
    void checkpointOfAnotherConfigOrCorruptedFileIsAClearError() throws IOException {
        var tokenizer = dev.panamax.models.gpt.tokenizer.CharTokenizer.fromCorpus("abcdefghijk");
        try (GptModel model = new GptModel(TINY, 11)) {
            Path ck = dir.resolve("ck");
            GptCheckpoint.saveModel(ck, model, tokenizer);
            Path weights = ck.resolve(GptCheckpoint.MODEL_FILE);
            try (GptModel wider = new GptModel(new GptConfig(11, 16, 2, 2, 32, 0f, true), 0)) {
                var e = assertThrows(IllegalArgumentException.class, () -> wider.loadWeights(weights));
                assertTrue(e.getMessage().contains(weights.toString()) && e.getMessage().contains("width 16")
                        && e.getMessage().contains("width 32"), e.getMessage());
            }
            // a file without the config note still fails, listing the mismatched tensors
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            model.parameters().forEach(p -> tensors.put(p.name(), p.value()));
            Path bare = dir.resolve("bare.safetensors");
            SafeTensors.write(bare, tensors, Map.of());
            try (GptModel deeper = new GptModel(new GptConfig(11, 16, 3, 2, 16, 0f, true), 0)) {
                var e = assertThrows(IllegalArgumentException.class, () -> deeper.loadWeights(bare));
                assertTrue(e.getMessage().contains("bare.safetensors") && e.getMessage().contains("h.2.ln_1.weight"),
                        e.getMessage());
            }
            byte[] bytes = Files.readAllBytes(weights);
            Files.write(weights, java.util.Arrays.copyOf(bytes, bytes.length - 100));      // truncated
            var e = assertThrows(IllegalArgumentException.class, () -> GptCheckpoint.load(ck));
            assertTrue(e.getMessage().contains(weights.toString()), e.getMessage());
            Files.writeString(ck.resolve(GptConfig.FILE), "{\"vocab_size\": 11, \"n_positions\": 16}");
            e = assertThrows(IllegalArgumentException.class, () -> GptCheckpoint.load(ck));
            assertTrue(e.getMessage().contains("config.json") && e.getMessage().contains("n_layer"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> GptCheckpoint.load(dir.resolve("nothing")));
            assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
        }
    }

    @Test
    void configValidatesAndRoundTripsThroughJson() {
        GptConfig config = new GptConfig(65, 64, 4, 4, 128, 0.1f, false);
        assertEquals(config, GptConfig.fromJson(dev.panamax.engine.io.Json.write(config.toJson()), "x"));
        assertEquals(new GptConfig(65, 64, 4, 4, 128, 0f, true), GptConfig.preset("shakespeare-char-small", 65));
        assertEquals(new GptConfig(65, 256, 6, 6, 384, 0.2f, true), GptConfig.preset("shakespeare-char", 65));
        assertEquals(new GptConfig(50257, 1024, 12, 12, 768, 0f, true), GptConfig.preset("gpt2", 65));
        var e = assertThrows(IllegalArgumentException.class, () -> new GptConfig(65, 64, 4, 3, 128, 0f, true));
        assertTrue(e.getMessage().contains("n_head 3 does not divide n_embd 128"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> GptConfig.preset("gpt5", 65));
        assertTrue(e.getMessage().contains("shakespeare-char-small"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new GptConfig(65, 64, 4, 4, 128, 1f, true));
        assertThrows(IllegalArgumentException.class, () -> new GptConfig(0, 64, 4, 4, 128, 0f, true));
    }

    @Test
    void modelWithoutBiasesTrainsAndDecodes() {
        GptConfig noBias = new GptConfig(11, 8, 1, 2, 8, 0f, false);
        try (GptModel model = new GptModel(noBias, 2); GptDecoder decoder = new GptDecoder(model, BACKEND)) {
            assertFalse(model.parameters().stream().anyMatch(p -> p.name().endsWith(".bias")));
            int[] tokens = {1, 2, 3, 4, 5};
            float[][] full = fullLogits(model, tokens);
            decoder.prefill(new int[] {1, 2, 3});
            decoder.next(4);
            assertClose(full[4], decoder.next(5).toArray(), "no-bias decode");
        }
    }

    @Test
    void huggingFaceConv1dCheckpointLoadsWithTheSameLogits() throws IOException {
        // Written here by hand as Hugging Face's GPT2Model stores it: Conv1D weights [in, out], the causal-mask
        // buffers h.*.attn.bias, and the tied lm_head.weight.
        try (GptModel model = new GptModel(TINY, 13); Arena arena = Arena.ofShared()) {
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (Parameter p : model.parameters()) {
                boolean conv1d = p.name().matches("h\\.\\d+\\.(attn\\.c_attn|attn\\.c_proj|mlp\\.c_fc|mlp\\.c_proj)\\.weight");
                tensors.put(p.name(), conv1d ? transpose(arena, p.value()) : p.value());
            }
            for (int l = 0; l < TINY.layers(); l++) {
                tensors.put("h." + l + ".attn.bias", Tensor.zeros(arena, 1, 1, TINY.blockSize(), TINY.blockSize()));
            }
            tensors.put("lm_head.weight", model.parameter("wte.weight").value());
            Path file = dir.resolve("model.safetensors");
            SafeTensors.write(file, tensors, Map.of("format", "pt"));
            int[] tokens = {3, 1, 4, 1, 5, 9, 2, 6};
            try (GptModel loaded = HuggingFaceGpt2.loadWeights(file, TINY)) {
                float[][] want = fullLogits(model, tokens);
                float[][] got = fullLogits(loaded, tokens);
                for (int i = 0; i < want.length; i++) {
                    assertArrayEquals(want[i], got[i]);
                }
            }
            // our own layout ([out, in]) is not a Hugging Face file: the c_attn shape says so
            Map<String, Tensor> ours = new LinkedHashMap<>();
            model.parameters().forEach(p -> ours.put(p.name(), p.value()));
            Path wrong = dir.resolve("ours.safetensors");
            SafeTensors.write(wrong, ours, Map.of());
            var e = assertThrows(IllegalArgumentException.class, () -> HuggingFaceGpt2.loadWeights(wrong, TINY));
            assertTrue(e.getMessage().contains("h.0.attn.c_attn.weight is [48, 16]")
                    && e.getMessage().contains("Conv1D"), e.getMessage());
        }
    }

    private static Tensor transpose(Arena arena, Tensor t) {
        int rows = t.dim(0);
        int cols = t.dim(1);
        float[] v = t.toArray();
        float[] out = new float[v.length];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                out[j * rows + i] = v[i * cols + j];
            }
        }
        return Tensor.of(arena, out, cols, rows);
    }

    static List<String> list(Path directory) throws IOException {
        try (var files = Files.list(directory)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
