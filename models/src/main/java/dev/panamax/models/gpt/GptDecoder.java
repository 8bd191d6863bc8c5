package dev.panamax.models.gpt;

import dev.panamax.engine.Backend;
import dev.panamax.engine.Tensor;
import dev.panamax.engine.Transpose;
import dev.panamax.engine.nn.LayerNorm;
import dev.panamax.engine.nn.Linear;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The model's forward pass for generation: no tape, no gradients, and a KV cache per layer, so each new token
 * costs one pass over the weights instead of a pass over the whole context.
 *
 * <p>{@link #prefill} runs the prompt's tokens in one batched pass (matrix products over all rows) and stores
 * their keys and values; {@link #next} then feeds one token at a time. A single row turns every matrix product
 * into a matrix × vector product, which the backend streams without packing: decoding is bound by how fast the
 * weights come from memory (~0.5 GB per token for GPT-2 small in fp32). Everything a step needs (the caches,
 * the activations of up to {@code blockSize} rows, the logits) is allocated once here, so a decode step
 * allocates no large buffer; {@link Backend#attentionDecode} appends the new key and value in place.
 *
 * <p>Per layer, for the T rows being fed at positions [p, p + T):
 * <pre>
 *   h = ln_1(x)                            [T, C]
 *   q, k, v = split_heads(h·W_attnᵀ + b)  [H, T, C/H] each; k, v appended to the cache at p
 *   a = attention(q, cache[0, p + T))     causal: row i sees positions ≤ p + i
 *   x = x + merge_heads(a)·W_projᵀ + b
 *   x = x + c_proj(gelu(c_fc(ln_2(x))))
 * </pre>
 * Only the last row goes through ln_f and the tied LM head: generation needs no other logits.
 */
public final class GptDecoder implements AutoCloseable {

    private final GptModel model;
    private final GptConfig config;
    private final Backend backend;
    private final Arena arena = Arena.ofShared();
    private final Tensor[] keys;        // per layer: (1, H, blockSize, headDim)
    private final Tensor[] values;
    private final Rows full;            // activations for up to blockSize rows
    private final Rows single;          // the same buffers viewed as one row, made once for decode steps
    private final Tensor logits;        // [1, vocab]
    private final int[] oneToken = new int[1];
    private final int[] onePosition = new int[1];
    private int cached;

    public GptDecoder(GptModel model, Backend backend) {
        this.model = model;
        this.config = model.config();
        this.backend = backend;
        int layers = config.layers();
        keys = new Tensor[layers];
        values = new Tensor[layers];
        for (int l = 0; l < layers; l++) {
            keys[l] = Tensor.zeros(arena, 1, config.heads(), config.blockSize(), config.headDim());
            values[l] = Tensor.zeros(arena, 1, config.heads(), config.blockSize(), config.headDim());
        }
        full = new Rows(arena, config);
        single = full.view(1);
        logits = Tensor.zeros(arena, 1, config.vocabSize());
    }

    /** How many positions the cache holds: the next token goes to this position. */
    public int position() {
        return cached;
    }

    /** The most positions the cache holds: the model's block size. */
    public int capacity() {
        return config.blockSize();
    }

    /** Empties the cache (the buffers stay allocated). */
    public void reset() {
        cached = 0;
    }

    /**
     * Feeds {@code tokens} at positions [{@link #position()}, + tokens.length) in one batched pass and returns
     * the logits after the last one, [1, vocab] (valid until the next call).
     */
    public Tensor prefill(int[] tokens) {
        if (tokens.length == 0) {
            throw new IllegalArgumentException("GptDecoder.prefill: no tokens to feed");
        }
        if (cached + tokens.length > capacity()) {
            throw new IllegalArgumentException("GptDecoder.prefill: " + tokens.length + " tokens after " + cached
                    + " cached ones exceed the block size " + capacity() + "; reset() or feed fewer");
        }
        model.checkTokens("prefill", tokens, 1, tokens.length);
        int[] positions = new int[tokens.length];
        for (int i = 0; i < positions.length; i++) {
            positions[i] = cached + i;
        }
        return run(tokens.length == 1 ? single : full.view(tokens.length), tokens, positions);
    }

    /** Feeds one token at {@link #position()} and returns the logits after it, [1, vocab]. */
    public Tensor next(int token) {
        if (cached >= capacity()) {
            throw new IllegalStateException("GptDecoder.next: the cache is full (" + capacity()
                    + " positions, the block size); reset() and prefill the last tokens again");
        }
        if (token < 0 || token >= config.vocabSize()) {
            throw new IllegalArgumentException("GptDecoder.next: token " + token + " is outside the vocabulary [0, "
                    + config.vocabSize() + ")");
        }
        oneToken[0] = token;
        onePosition[0] = cached;
        return run(single, oneToken, onePosition);
    }

    private Tensor run(Rows r, int[] tokens, int[] positions) {
        int t = tokens.length;
        int c = config.width();
        backend.embedding(model.wte.weight().value(), tokens, r.x);
        backend.embedding(model.wpe.weight().value(), positions, r.h);
        backend.add(r.x, r.h, r.x);
        for (int l = 0; l < config.layers(); l++) {
            GptBlock block = model.blocks.get(l);
            layerNorm(block.ln1, r.x, r.h, r);
            linear(block.attn.qkv(), r.h, r.qkv, t, c, 3 * c);
            splitHeads(r.qkv, r.q, r.k, r.v, t);
            backend.attentionDecode(r.q, r.k, r.v, keys[l], values[l], cached, r.attended, true, block.attn.scale());
            mergeHeads(r.attended, r.h, t);
            linear(block.attn.projection(), r.h, r.out, t, c, c);
            backend.add(r.x, r.out, r.x);
            layerNorm(block.ln2, r.x, r.h, r);
            linear(block.fc, r.h, r.wide, t, c, 4 * c);
            backend.gelu(r.wide, r.wideGelu);
            linear(block.proj, r.wideGelu, r.out, t, 4 * c, c);
            backend.add(r.x, r.out, r.x);
        }
        cached += t;
        Tensor last = t == 1 ? r.x : r.x.rows(t - 1, t);
        layerNorm(model.lnF, last, single.h, single);
        backend.gemm(Transpose.N, Transpose.T, 1, config.vocabSize(), c, 1f, single.h, 0, c,
                model.wte.weight().value(), 0, c, 0f, logits, 0, config.vocabSize());
        return logits;
    }

    private void layerNorm(LayerNorm norm, Tensor in, Tensor out, Rows r) {
        backend.layerNorm(in, norm.gain().value(), norm.shiftValues(), out, r.mean, r.rstd, norm.eps());
    }

    /** out [t, outF] = in [t, inF] · Wᵀ + b; with t = 1 the backend's matrix × vector path. */
    private void linear(Linear layer, Tensor in, Tensor out, int t, int inF, int outF) {
        backend.gemm(Transpose.N, Transpose.T, t, outF, inF, 1f, in, 0, inF, layer.weight().value(), 0, inF, 0f,
                out, 0, outF);
        if (layer.bias() != null) {
            backend.addBias(out, layer.bias().value(), out);
        }
    }

    /** qkv rows [t, 3·C] (q, k, v; head after head) → q, k, v (1, H, t, headDim). */
    private void splitHeads(Tensor qkv, Tensor q, Tensor k, Tensor v, int t) {
        int heads = config.heads();
        long headBytes = (long) config.headDim() * Float.BYTES;
        long rowBytes = 3L * config.width() * Float.BYTES;
        MemorySegment rows = qkv.segment();
        Tensor[] parts = {q, k, v};
        for (int part = 0; part < 3; part++) {
            MemorySegment dst = parts[part].segment();
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < t; i++) {
                    long from = i * rowBytes + ((long) part * heads + h) * headBytes;
                    MemorySegment.copy(rows, from, dst, ((long) h * t + i) * headBytes, headBytes);
                }
            }
        }
    }

    /** (1, H, t, headDim) → rows [t, C]. */
    private void mergeHeads(Tensor perHead, Tensor rows, int t) {
        int heads = config.heads();
        long headBytes = (long) config.headDim() * Float.BYTES;
        long rowBytes = (long) config.width() * Float.BYTES;
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < t; i++) {
                MemorySegment.copy(perHead.segment(), ((long) h * t + i) * headBytes, rows.segment(),
                        i * rowBytes + h * headBytes, headBytes);
            }
        }
    }

    /** Frees the caches and buffers. */
    @Override
    public void close() {
        arena.close();
    }

    /** Activation buffers for up to {@code blockSize} rows, or views of them for fewer. */
    private static final class Rows {
        final Tensor x;          // [t, C] the residual stream
        final Tensor h;          // [t, C] normalised input of a sub-layer / merged heads
        final Tensor out;        // [t, C] a sub-layer's output
        final Tensor qkv;        // [t, 3C]
        final Tensor q;          // (1, H, t, headDim)
        final Tensor k;
        final Tensor v;
        final Tensor attended;
        final Tensor wide;       // [t, 4C]
        final Tensor wideGelu;
        final Tensor mean;       // [t] LayerNorm statistics (unused, the kernel writes them)
        final Tensor rstd;
        private final GptConfig config;

        Rows(Arena arena, GptConfig config) {
            this(config, config.blockSize(),
                    Tensor.zeros(arena, config.blockSize(), config.width()),
                    Tensor.zeros(arena, config.blockSize(), config.width()),
                    Tensor.zeros(arena, config.blockSize(), config.width()),
                    Tensor.zeros(arena, config.blockSize(), 3 * config.width()),
                    Tensor.zeros(arena, config.blockSize() * config.heads(), config.headDim()),
                    Tensor.zeros(arena, config.blockSize() * config.heads(), config.headDim()),
                    Tensor.zeros(arena, config.blockSize() * config.heads(), config.headDim()),
                    Tensor.zeros(arena, config.blockSize() * config.heads(), config.headDim()),
                    Tensor.zeros(arena, config.blockSize(), 4 * config.width()),
                    Tensor.zeros(arena, config.blockSize(), 4 * config.width()),
                    Tensor.zeros(arena, config.blockSize()),
                    Tensor.zeros(arena, config.blockSize()));
        }

        private Rows(GptConfig config, int t, Tensor x, Tensor h, Tensor out, Tensor qkv, Tensor q, Tensor k,
                     Tensor v, Tensor attended, Tensor wide, Tensor wideGelu, Tensor mean, Tensor rstd) {
            this.config = config;
            this.x = x.rows(0, t);
            this.h = h.rows(0, t);
            this.out = out.rows(0, t);
            this.qkv = qkv.rows(0, t);
            int heads = config.heads();
            int d = config.headDim();
            this.q = q.rows(0, t * heads).reshape(1, heads, t, d);
            this.k = k.rows(0, t * heads).reshape(1, heads, t, d);
            this.v = v.rows(0, t * heads).reshape(1, heads, t, d);
            this.attended = attended.rows(0, t * heads).reshape(1, heads, t, d);
            this.wide = wide.rows(0, t);
            this.wideGelu = wideGelu.rows(0, t);
            this.mean = mean.rows(0, t);
            this.rstd = rstd.rows(0, t);
        }

        /** The first t rows of every buffer. */
        Rows view(int t) {
            int heads = config.heads();
            int d = config.headDim();
            return new Rows(config, t, x, h, out, qkv, q.reshape(-1, d), k.reshape(-1, d), v.reshape(-1, d),
                    attended.reshape(-1, d), wide, wideGelu, mean, rstd);
        }
    }
}
