package dev.panamax.models.gpt;

import dev.panamax.engine.autograd.ElementwiseOps;
import dev.panamax.engine.autograd.ShapeOps;
import dev.panamax.engine.autograd.Tape;
import dev.panamax.engine.autograd.Var;
import dev.panamax.engine.nn.LayerNorm;
import dev.panamax.engine.nn.Linear;
import dev.panamax.engine.nn.Module;
import dev.panamax.engine.nn.MultiHeadSelfAttention;
import dev.panamax.engine.nn.Parameter;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;

/**
 * One GPT-2 transformer block, pre-LayerNorm, with its Hugging Face names ({@code h.<i>.ln_1}, {@code .attn},
 * {@code .ln_2}, {@code .mlp.c_fc}, {@code .mlp.c_proj}):
 *
 * <pre>
 *   x = x + dropout(attn(ln_1(x)))          causal multi-head self-attention
 *   x = x + dropout(mlp(ln_2(x)))           mlp(h) = c_proj(gelu(c_fc(h))), width C → 4·C → C
 * </pre>
 */
final class GptBlock implements Module {

    static final float LAYER_NORM_EPS = 1e-5f;

    final LayerNorm ln1;
    final MultiHeadSelfAttention attn;
    final LayerNorm ln2;
    final Linear fc;
    final Linear proj;

    GptBlock(Arena arena, GptConfig config, int index, long seed) {
        String name = "h." + index;
        int c = config.width();
        ln1 = new LayerNorm(arena, name + ".ln_1", c, LAYER_NORM_EPS, config.bias());
        attn = new MultiHeadSelfAttention(arena, name + ".attn", c, config.heads(), true, config.bias(), seed);
        ln2 = new LayerNorm(arena, name + ".ln_2", c, LAYER_NORM_EPS, config.bias());
        fc = new Linear(arena, name + ".mlp.c_fc", c, 4 * c, config.bias(), seed + 10);
        proj = new Linear(arena, name + ".mlp.c_proj", 4 * c, c, config.bias(), seed + 20);
    }

    /**
     * x [batch, T, C] → [batch, T, C]. {@code dropout} is the probability in training (0 in evaluation);
     * each dropout site draws its mask from {@code dropoutSeed} and its own index, so a step is reproducible.
     */
    Var forward(Tape tape, Var x, float dropout, long dropoutSeed) {
        Var attended = attn.forward(tape, ln1.forward(tape, x));
        x = ElementwiseOps.add(tape, x, ShapeOps.dropout(tape, attended, dropout, dropout > 0, dropoutSeed));
        Var hidden = ElementwiseOps.gelu(tape, fc.forward(tape, ln2.forward(tape, x)));
        Var mlp = proj.forward(tape, hidden);
        return ElementwiseOps.add(tape, x, ShapeOps.dropout(tape, mlp, dropout, dropout > 0, dropoutSeed + 1));
    }

    /** The residual projections, whose initialisation GPT-2 scales by 1/√(2·layers). */
    List<Parameter> residualProjections() {
        return List.of(attn.projection().weight(), proj.weight());
    }

    @Override
    public List<Parameter> parameters() {
        List<Parameter> all = new ArrayList<>(ln1.parameters());
        all.addAll(attn.parameters());
        all.addAll(ln2.parameters());
        all.addAll(fc.parameters());
        all.addAll(proj.parameters());
        return all;
    }
}
