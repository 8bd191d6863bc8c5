package dev.panamax.models.gpt;

import dev.panamax.engine.Tensor;
import dev.panamax.engine.autograd.ElementwiseOps;
import dev.panamax.engine.autograd.LinearOps;
import dev.panamax.engine.autograd.LossOps;
import dev.panamax.engine.autograd.ShapeOps;
import dev.panamax.engine.autograd.Tape;
import dev.panamax.engine.autograd.Var;
import dev.panamax.engine.io.ParameterCheckpoint;
import dev.panamax.engine.io.SafeTensorsException;
import dev.panamax.engine.io.SafeTensorsFile;
import dev.panamax.engine.nn.Embedding;
import dev.panamax.engine.nn.LayerNorm;
import dev.panamax.engine.nn.Module;
import dev.panamax.engine.nn.Parameter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * GPT-2, exactly: token and learned position embeddings, {@code layers} pre-LayerNorm transformer blocks
 * ({@link GptBlock}), a final LayerNorm, and the language-model head tied to the token embedding (logits =
 * h·wteᵀ). Parameter names are Hugging Face's GPT-2 names ({@code wte.weight}, {@code h.0.attn.c_attn.weight},
 * ..., {@code ln_f.bias}), so checkpoints map one to one; the only difference is that Hugging Face stores the
 * linear weights as {@code Conv1D} [in, out] and we as [out, in] ({@link HuggingFaceGpt2} transposes).
 *
 * <p>Initialisation is GPT-2's: every weight from N(0, 0.02²), the two residual projections of each block from
 * N(0, (0.02/√(2·layers))²) so the residual stream does not grow with depth, biases 0, LayerNorm gains 1.
 *
 * <p>This class is the training forward pass on the autograd {@link Tape}. Generation uses {@link GptDecoder},
 * which runs the same weights without a tape and with a KV cache. The parameters live in the model's own arena,
 * freed by {@link #close()}.
 */
public final class GptModel implements Module, AutoCloseable {

    static final float INIT_STD = 0.02f;

    private final GptConfig config;
    private final Arena arena = Arena.ofShared();
    final Embedding wte;            // [vocab, C] token embedding, also the LM head
    final Embedding wpe;            // [block, C] position embedding
    final List<GptBlock> blocks;
    final LayerNorm lnF;
    private final List<Parameter> parameters;

    /** A freshly initialised model; the same seed gives the same weights. */
    public GptModel(GptConfig config, long seed) {
        this.config = config;
        int c = config.width();
        wte = new Embedding(arena, "wte", config.vocabSize(), c, INIT_STD, seed);
        wpe = new Embedding(arena, "wpe", config.blockSize(), c, INIT_STD, seed + 1);
        List<GptBlock> layers = new ArrayList<>();
        for (int i = 0; i < config.layers(); i++) {
            layers.add(new GptBlock(arena, config, i, seed + 100L * (i + 1)));
        }
        blocks = List.copyOf(layers);
        lnF = new LayerNorm(arena, "ln_f", c, GptBlock.LAYER_NORM_EPS, config.bias());
        List<Parameter> all = new ArrayList<>(wte.parameters());
        all.addAll(wpe.parameters());
        blocks.forEach(b -> all.addAll(b.parameters()));
        all.addAll(lnF.parameters());
        parameters = Collections.unmodifiableList(all);
        initialiseLikeGpt2(seed);
    }

    public GptConfig config() {
        return config;
    }

    // ---------------------------------------------------------------- forward

    /**
     * The logits of every position: {@code tokens} holds {@code batch} rows of {@code time} ids, row-major;
     * returns [batch·time, vocab]. With {@code dropout} &gt; 0 (training) each dropout site draws its mask from
     * {@code dropoutSeed}.
     */
    public Var forward(Tape tape, int[] tokens, int batch, int time, float dropout, long dropoutSeed) {
        checkTokens("forward", tokens, batch, time);
        int c = config.width();
        int[] positions = new int[batch * time];            // 0, 1, ..., T−1 for every row of the batch
        for (int i = 0; i < positions.length; i++) {
            positions[i] = i % time;
        }
        Var tok = wte.forward(tape, tokens);                   // [B·T, C]
        Var pos = wpe.forward(tape, positions);                // [B·T, C]
        Var x = ShapeOps.dropout(tape, ElementwiseOps.add(tape, tok, pos), dropout, dropout > 0, dropoutSeed);
        x = ShapeOps.reshape(tape, x, batch, time, c);        // [B, T, C]
        for (int i = 0; i < blocks.size(); i++) {
            x = blocks.get(i).forward(tape, x, dropout, dropoutSeed + 2L * (i + 1));
        }
        x = ShapeOps.reshape(tape, lnF.forward(tape, x), batch * time, c);
        return LinearOps.linear(tape, x, tape.param(wte.weight()), null);   // [B·T, vocab], tied to wte
    }

    /** The evaluation-mode logits (no dropout). */
    public Var forward(Tape tape, int[] tokens, int batch, int time) {
        return forward(tape, tokens, batch, time, 0f, 0);
    }

    /** Mean cross-entropy of the next-token predictions: {@code targets[i]} is the token after {@code tokens[i]}. */
    public Var loss(Tape tape, int[] tokens, int[] targets, int batch, int time, float dropout, long dropoutSeed) {
        if (targets.length != tokens.length) {
            throw new IllegalArgumentException("GptModel.loss: " + targets.length + " targets for " + tokens.length
                    + " tokens");
        }
        return LossOps.crossEntropy(tape, forward(tape, tokens, batch, time, dropout, dropoutSeed), targets, -1);
    }

    void checkTokens(String op, int[] tokens, int batch, int time) {
        if (batch < 1 || time < 1 || tokens.length != (long) batch * time) {
            throw new IllegalArgumentException("GptModel." + op + ": " + tokens.length + " tokens is not batch "
                    + batch + " × time " + time);
        }
        if (time > config.blockSize()) {
            throw new IllegalArgumentException("GptModel." + op + ": a context of " + time + " tokens is longer than "
                    + "the block size " + config.blockSize());
        }
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] < 0 || tokens[i] >= config.vocabSize()) {
                throw new IllegalArgumentException("GptModel." + op + ": token " + tokens[i] + " at index " + i
                        + " is outside the vocabulary [0, " + config.vocabSize() + ")");
            }
        }
    }

    // ---------------------------------------------------------------- parameters and checkpoints

    /** wte, wpe, the blocks in order (ln_1, attn, ln_2, mlp), ln_f: Hugging Face's order and names. */
    @Override
    public List<Parameter> parameters() {
        return parameters;
    }

    /** The parameter called {@code name}, or an exception listing the names. */
    public Parameter parameter(String name) {
        for (Parameter p : parameters) {
            if (p.name().equals(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException("GptModel: no parameter named " + name);
    }

    /** Writes the weights to a safetensors file (atomically), with the config in the metadata. */
    public void saveWeights(Path file, Map<String, String> metadata) {
        Map<String, String> notes = new LinkedHashMap<>(metadata);
        notes.put(CONFIG_METADATA, dev.panamax.engine.io.Json.write(config.toJson()));
        try {
            ParameterCheckpoint.save(file, parameters, notes);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads weights saved by {@link #saveWeights} into this model, all or nothing, and returns the file's
     * metadata. A file saved for another config, a missing or mis-shaped tensor, or a corrupted file throws an
     * {@link IllegalArgumentException} naming the file and what does not match.
     */
    public Map<String, String> loadWeights(Path file) {
        try {
            try (SafeTensorsFile opened = SafeTensorsFile.open(file)) {
                String saved = opened.metadata().get(CONFIG_METADATA);
                if (saved != null) {
                    GptConfig other = GptConfig.fromJson(saved, file + " (metadata)");
                    if (!other.withDropout(0f).equals(config.withDropout(0f))) {
                        throw new IllegalArgumentException(file + " was saved for another model: " + describe(other)
                                + ", but this model is " + describe(config));
                    }
                }
            }
            return ParameterCheckpoint.load(file, parameters);
        } catch (SafeTensorsException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    static final String CONFIG_METADATA = "gpt.config";

    static String describe(GptConfig c) {
        return "vocab " + c.vocabSize() + ", block " + c.blockSize() + ", " + c.layers() + " layers, " + c.heads()
                + " heads, width " + c.width() + (c.bias() ? "" : ", no bias");
    }

    /** Frees the parameters and their gradients. */
    @Override
    public void close() {
        arena.close();
    }

    // ---------------------------------------------------------------- initialisation

    private void initialiseLikeGpt2(long seed) {
        float residualStd = (float) (INIT_STD / Math.sqrt(2.0 * config.layers()));
        List<Parameter> residual = new ArrayList<>();
        blocks.forEach(b -> residual.addAll(b.residualProjections()));
        long n = 0;
        for (GptBlock block : blocks) {
            for (Parameter p : block.parameters()) {
                n++;
                if (p.name().endsWith(".bias")) {
                    p.value().fill(0f);
                } else if (p.value().rank() == 2) {
                    fillNormal(p, residual.contains(p) ? residualStd : INIT_STD, seed * 7919 + n);
                }
            }
        }
    }

    private static void fillNormal(Parameter p, float std, long seed) {
        try (Arena scratch = Arena.ofShared()) {
            Tensor values = Tensor.randn(scratch, seed, 0f, std, p.value().shape());
            MemorySegment.copy(values.segment(), 0, p.value().segment(), 0, values.size() * Float.BYTES);
        }
    }
}
