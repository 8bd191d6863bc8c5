package dev.panamax.models.diffusion;

import dev.panamax.engine.Tensor;
import dev.panamax.engine.autograd.ElementwiseOps;
import dev.panamax.engine.autograd.ShapeOps;
import dev.panamax.engine.autograd.Tape;
import dev.panamax.engine.autograd.Var;
import dev.panamax.engine.nn.Embedding;
import dev.panamax.engine.nn.Linear;
import dev.panamax.engine.nn.Module;
import dev.panamax.engine.nn.Parameter;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;

/**
 * What the network knows besides the noisy image: the step t and, for a class-conditional model, the label.
 *
 * <pre>
 *   emb = Linear(SiLU(Linear(sinusoid(t))))       the Transformer's position encoding, applied to t
 *   emb = emb + labelEmbedding[label]             conditional models; row {@code classes} is the "null" label
 * </pre>
 *
 * The null label (no class given) is what classifier-free guidance contrasts with: training replaces a share of
 * the labels with it, so one network learns both ε(x_t, t, label) and ε(x_t, t).
 */
final class TimeEmbedding implements Module {

    private final int sinusoidWidth;
    private final int classes;
    private final Linear first;
    private final Linear second;
    private final Embedding labels;

    TimeEmbedding(Arena arena, String name, int sinusoidWidth, int width, int classes, long seed) {
        this.sinusoidWidth = sinusoidWidth;
        this.classes = classes;
        this.first = new Linear(arena, name + ".mlp.0", sinusoidWidth, width, true, seed);
        this.second = new Linear(arena, name + ".mlp.2", width, width, true, seed + 2);
        this.labels = classes > 0 ? new Embedding(arena, name + ".label", classes + 1, width, 1f, seed + 4) : null;
    }

    /** [N, width] for steps {@code t} and labels (−1 = null label; ignored by an unconditional model). */
    Var forward(Tape tape, int[] t, int[] labelIds) {
        Tensor sinusoid = tape.allocateUninitialized(t.length, sinusoidWidth);
        sinusoid.copyFrom(sinusoid(t, sinusoidWidth));
        Var emb = second.forward(tape, ElementwiseOps.silu(tape, first.forward(tape, tape.constant(sinusoid))));
        if (labels != null) {
            int[] rows = new int[t.length];
            for (int i = 0; i < rows.length; i++) {
                rows[i] = labelIds == null || labelIds[i] < 0 ? classes : labelIds[i];
            }
            emb = ElementwiseOps.add(tape, emb, labels.forward(tape, rows));
        }
        return emb;
    }

    /**
     * sin(t·ω_i) in the first half of the row and cos(t·ω_i) in the second, ω_i = 10000^(−i/half): smooth in t at
     * every scale, from one step to the whole schedule (an odd width leaves the last column 0).
     */
    static float[] sinusoid(int[] t, int width) {
        int half = width / 2;
        float[] out = new float[t.length * width];
        for (int b = 0; b < t.length; b++) {
            for (int i = 0; i < half; i++) {
                double frequency = Math.exp(-Math.log(10000) * i / Math.max(1, half - 1));
                double angle = t[b] * frequency;
                out[b * width + i] = (float) Math.sin(angle);
                out[b * width + half + i] = (float) Math.cos(angle);
            }
        }
        return out;
    }

    static long flops(int sinusoidWidth, int width) {
        return 2L * sinusoidWidth * width + 2L * width * width;
    }

    @Override
    public List<Parameter> parameters() {
        List<Parameter> all = new ArrayList<>(first.parameters());
        all.addAll(second.parameters());
        if (labels != null) {
            all.addAll(labels.parameters());
        }
        return all;
    }
}
