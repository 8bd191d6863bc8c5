package dev.panamax.engine.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panamax.engine.Backend;
import dev.panamax.engine.SimdBackend;
import dev.panamax.engine.Tensor;
import dev.panamax.engine.io.ParameterCheckpoint;
import dev.panamax.engine.nn.Embedding;
import dev.panamax.engine.nn.LayerNorm;
import dev.panamax.engine.nn.Linear;
import dev.panamax.engine.nn.MultiHeadSelfAttention;
import dev.panamax.engine.nn.Parameter;
import dev.panamax.engine.optim.AdamW;
import dev.panamax.engine.optim.GradientClipping;
import dev.panamax.engine.optim.WarmupCosineSchedule;
import dev.panamax.engine.parallel.WorkerPool;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pieces together, as a model package uses them: a one-block causal transformer trained with AdamW, gradient
 * clipping and a warmup + cosine schedule on the SIMD backend, then saved and reloaded by parameter name.
 */
class TrainingTest {

    /** Embedding → causal self-attention (residual) → LayerNorm → vocabulary logits. */
    private static final class TinyTransformer {
        final Embedding tokens;
        final Embedding positions;
        final MultiHeadSelfAttention attention;
        final LayerNorm norm;
        final Linear head;
        final int time;

        TinyTransformer(Arena arena, int vocab, int width, int time, long seed) {
            this.tokens = new Embedding(arena, "wte", vocab, width, 0.3f, seed);
            this.positions = new Embedding(arena, "wpe", time, width, 0.3f, seed + 1);
            this.attention = new MultiHeadSelfAttention(arena, "attn", width, 2, true, seed + 2);
            this.norm = new LayerNorm(arena, "ln_f", width, 1e-5f);
            this.head = new Linear(arena, "lm_head", width, vocab, false, seed + 3);
            this.time = time;
        }

        List<Parameter> parameters() {
            List<Parameter> all = new ArrayList<>();
            all.addAll(tokens.parameters());
            all.addAll(positions.parameters());
            all.addAll(attention.parameters());
            all.addAll(norm.parameters());
            all.addAll(head.parameters());
            return all;
        }

        Var logits(Tape tape, int[] ids, int batch) {
            int[] positionIds = new int[ids.length];
            for (int i = 0; i < ids.length; i++) {
                positionIds[i] = i % time;
            }
            Var x = ElementwiseOps.add(tape, tokens.forward(tape, ids), positions.forward(tape, positionIds));
            x = ShapeOps.reshape(tape, x, batch, time, -1);
            x = ElementwiseOps.add(tape, x, attention.forward(tape, x));
            return head.forward(tape, norm.forward(tape, x));
        }
    }

    @Test
    void aCausalTransformerLearnsToCopyThePreviousTokenAndSurvivesACheckpoint(@TempDir Path dir) throws Exception {
        // Task: predict at position t the token seen at t − 1. Only attention to earlier positions can solve it.
        int vocab = 8;
        int time = 6;
        int batch = 8;
        int[][] data = new int[batch][time];
        java.util.SplittableRandom random = new java.util.SplittableRandom(5);
        try (Arena arena = Arena.ofShared(); WorkerPool pool = new WorkerPool(2)) {
            Backend backend = new SimdBackend(pool);
            TinyTransformer model = new TinyTransformer(arena, vocab, 16, time, 11);
            List<Parameter> parameters = model.parameters();
            AdamW optimizer = new AdamW(1e-2);
            WarmupCosineSchedule schedule = new WarmupCosineSchedule(2e-2, 2e-3, 20, 300);
            float firstLoss = 0;
            float lastLoss = 0;
            for (int step = 0; step < 300; step++) {
                int[] ids = new int[batch * time];
                int[] targets = new int[batch * time];
                for (int b = 0; b < batch; b++) {
                    for (int t = 0; t < time; t++) {
                        data[b][t] = random.nextInt(vocab);
                        ids[b * time + t] = data[b][t];
                        targets[b * time + t] = t == 0 ? -1 : data[b][t - 1];
                    }
                }
                for (Parameter p : parameters) {
                    p.zeroGrad();
                }
                try (Tape tape = new Tape(backend)) {
                    Var loss = LossOps.crossEntropy(tape, model.logits(tape, ids, batch), targets, -1);
                    tape.backward(loss);
                    lastLoss = loss.item();
                    if (step == 0) {
                        firstLoss = lastLoss;
                    }
                }
                GradientClipping.clipGlobalNorm(parameters, 1.0);
                optimizer.setLearningRate(schedule.lr(step));
                optimizer.step(parameters);
            }
            assertTrue(firstLoss > 1.8f && lastLoss < 0.3f, "loss went from " + firstLoss + " to " + lastLoss
                    + " (uniform guessing is ln 8 = 2.08)");

            int[] probe = {1, 2, 3, 4, 5, 6};
            float[] before;
            try (Tape tape = new Tape(backend)) {
                before = model.logits(tape, probe, 1).value().toArray();
            }
            Path file = dir.resolve("model.safetensors");
            ParameterCheckpoint.save(file, parameters, Map.of("task", "copy previous token"));
            TinyTransformer fresh = new TinyTransformer(arena, vocab, 16, time, 99);
            ParameterCheckpoint.load(file, fresh.parameters());
            try (Tape tape = new Tape(backend)) {
                assertArrayEquals(before, fresh.logits(tape, probe, 1).value().toArray(), 0f,
                        "a reloaded model computes the same logits");
            }
            optimizer.close();
        }
    }
}
