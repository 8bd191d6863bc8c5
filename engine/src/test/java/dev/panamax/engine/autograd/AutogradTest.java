package dev.panamax.engine.autograd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panamax.engine.Backend;
import dev.panamax.engine.ScalarBackend;
import dev.panamax.engine.SimdBackend;
import dev.panamax.engine.StepMemory;
import dev.panamax.engine.Tensor;
import dev.panamax.engine.nn.Conv2d;
import dev.panamax.engine.nn.Dropout;
import dev.panamax.engine.nn.Embedding;
import dev.panamax.engine.nn.GroupNorm;
import dev.panamax.engine.nn.LayerNorm;
import dev.panamax.engine.nn.Linear;
import dev.panamax.engine.nn.Module;
import dev.panamax.engine.nn.MultiHeadSelfAttention;
import dev.panamax.engine.nn.Parameter;
import dev.panamax.engine.nn.Sequential;
import dev.panamax.engine.parallel.WorkerPool;
import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/** The tape: every op's backward rule against finite differences, modules, training, errors, heap use. */
class AutogradTest {

    private static final Backend SCALAR = new ScalarBackend();

    /**
     * Checks the gradient of {@code loss = Σ weights ∘ op(x)} with respect to a parameter x, computed by the tape,
     * against central differences of the same loss. The tapes reuse one {@link StepMemory}, as a training loop's
     * do: its uninitialised memory is NaN in tests, so an op whose kernel leaves part of an output unwritten fails.
     */
    private static void check(String name, int[] shape, BiFunction<Tape, Var, Var> op) {
        StepMemory memory = new StepMemory();
        try (Arena arena = Arena.ofShared()) {
            Parameter x = Parameter.of(arena, "x", Tensor.uniform(arena, 3, -1.5f, 1.5f, shape), true);
            Tensor weights;
            try (Tape probe = new Tape(SCALAR, memory)) {
                int[] outShape = op.apply(probe, probe.param(x)).shape();
                weights = Tensor.uniform(arena, 4, -1f, 1f, outShape);
            }
            try (Tape tape = new Tape(SCALAR, memory)) {
                Var y = op.apply(tape, tape.param(x));
                tape.backward(ShapeOps.sum(tape, ElementwiseOps.mul(tape, y, tape.constant(weights))));
            }
            float[] analytic = x.grad().toArray();
            float[] values = x.value().toArray();
            GradientCheck.Result result = GradientCheck.check(v -> {
                x.value().copyFrom(v);
                try (Tape tape = new Tape(SCALAR, memory)) {
                    Var y = op.apply(tape, tape.param(x));
                    return ShapeOps.sum(tape, ElementwiseOps.mul(tape, y, tape.constant(weights))).item();
                }
            }, values, analytic, 1e-2);
            assertTrue(result.passes(2e-2), name + ": " + result);
        }
    }

    @Test
    void everyOpPassesAGradientCheck() {
        try (Arena arena = Arena.ofShared()) {
            Tensor other = Tensor.uniform(arena, 9, -1f, 1f, 3, 4);
            Tensor matrix = Tensor.uniform(arena, 10, -1f, 1f, 4, 2);
            Tensor gamma = Tensor.uniform(arena, 11, 0.5f, 1.5f, 4);
            Tensor beta = Tensor.uniform(arena, 12, -0.5f, 0.5f, 4);
            int[] shape = {3, 4};
            check("add", shape, (t, x) -> ElementwiseOps.add(t, x, t.constant(other)));
            check("add (same input twice)", shape, (t, x) -> ElementwiseOps.add(t, x, x));
            check("sub", shape, (t, x) -> ElementwiseOps.sub(t, t.constant(other), x));
            check("mul", shape, (t, x) -> ElementwiseOps.mul(t, x, t.constant(other)));
            check("mul (x·x)", shape, (t, x) -> ElementwiseOps.mul(t, x, x));
            check("scale", shape, (t, x) -> ElementwiseOps.scale(t, x, -2.5f));
            check("gelu", shape, ElementwiseOps::gelu);
            check("silu", shape, ElementwiseOps::silu);
            check("softmax", shape, ElementwiseOps::softmax);
            check("logSoftmax", shape, ElementwiseOps::logSoftmax);
            check("matmul (a)", shape, (t, x) -> LinearOps.matmul(t, x, t.constant(matrix)));
            check("matmul (b)", new int[] {4, 2}, (t, x) -> LinearOps.matmul(t, t.constant(other), x));
            check("linear (x)", shape, (t, x) -> LinearOps.linear(t, x, t.constant(matrix.reshape(2, 4)), t.constant(beta.reshape(4).rows(0, 2))));
            check("linear (weight)", new int[] {2, 4}, (t, w) -> LinearOps.linear(t, t.constant(other), w, null));
            check("layerNorm (x)", shape, (t, x) -> NormOps.layerNorm(t, x, t.constant(gamma), t.constant(beta), 1e-5f));
            check("layerNorm (gamma)", new int[] {4}, (t, g) -> NormOps.layerNorm(t, t.constant(other), g, t.constant(beta), 1e-5f));
            check("rmsNorm", shape, (t, x) -> NormOps.rmsNorm(t, x, t.constant(gamma), 1e-5f));
            check("groupNorm", new int[] {2, 4, 3}, (t, x) -> NormOps.groupNorm(t, x, 2, t.constant(gamma), t.constant(beta), 1e-5f));
            Tensor image = Tensor.uniform(arena, 14, -1.5f, 1.5f, 2, 4, 3);
            check("groupNormSilu (x)", new int[] {2, 4, 3},
                    (t, x) -> NormOps.groupNormSilu(t, x, 2, t.constant(gamma), t.constant(beta), 1e-5f));
            check("groupNormSilu (gamma)", new int[] {4},
                    (t, g) -> NormOps.groupNormSilu(t, t.constant(image), 2, g, t.constant(beta), 1e-5f));
            check("groupNormSilu (beta)", new int[] {4},
                    (t, b) -> NormOps.groupNormSilu(t, t.constant(image), 2, t.constant(gamma), b, 1e-5f));
            check("reshape", shape, (t, x) -> ElementwiseOps.gelu(t, ShapeOps.reshape(t, x, 2, 6)));
            check("embedding", new int[] {5, 3}, (t, table) -> ShapeOps.embedding(t, table, new int[] {4, 0, 4, 2}));
            check("concatChannels", new int[] {2, 1, 3},
                    (t, x) -> ShapeOps.concatChannels(t, x, t.constant(Tensor.uniform(arena, 13, -1f, 1f, 2, 2, 3))));
            check("transpose", new int[] {2, 3, 5}, (t, x) -> ElementwiseOps.gelu(t, ShapeOps.transpose(t, x)));
            Tensor planes = Tensor.uniform(arena, 19, -1f, 1f, 2, 3, 2, 2);
            check("addChannelBias (x)", new int[] {2, 3, 2, 2},
                    (t, x) -> ElementwiseOps.addChannelBias(t, x, t.constant(other.reshape(12).rows(0, 6).reshape(2, 3))));
            check("addChannelBias (bias)", new int[] {2, 3},
                    (t, b) -> ElementwiseOps.gelu(t, ElementwiseOps.addChannelBias(t, t.constant(planes), b)));
            check("mean", shape, (t, x) -> ElementwiseOps.scale(t, ShapeOps.mean(t, ElementwiseOps.mul(t, x, x)), 3f));
            check("crossEntropy", shape, (t, x) -> LossOps.crossEntropy(t, x, new int[] {1, -1, 3}, -1));
            check("mse", shape, (t, x) -> LossOps.mse(t, x, t.constant(other)));
            check("dropout", shape, (t, x) -> ShapeOps.dropout(t, x, 0.5f, true, 42));
            Tensor kernel = Tensor.uniform(arena, 14, -1f, 1f, 3, 2, 3, 3);
            check("conv2d (x)", new int[] {2, 2, 5, 4}, (t, x) -> ConvOps.conv2d(t, x, t.constant(kernel),
                    t.constant(Tensor.uniform(arena, 15, -1f, 1f, 3)), 2, 1));
            check("conv2d (weight)", new int[] {3, 2, 3, 3}, (t, w) -> ConvOps.conv2d(t,
                    t.constant(Tensor.uniform(arena, 16, -1f, 1f, 1, 2, 4, 4)), w, null, 1, 1));
            check("upsample2x", new int[] {1, 2, 2, 3}, ConvOps::upsample2x);
            check("avgPool2x2", new int[] {1, 2, 4, 5}, ConvOps::avgPool2x2);
            Tensor keys = Tensor.uniform(arena, 17, -1f, 1f, 1, 2, 5, 3);
            Tensor values = Tensor.uniform(arena, 18, -1f, 1f, 1, 2, 5, 3);
            check("attention (q)", new int[] {1, 2, 5, 3}, (t, q) -> AttentionOps.attention(t, q, t.constant(keys),
                    t.constant(values), true, 0.6f));
            check("attention (k)", new int[] {1, 2, 5, 3}, (t, k) -> AttentionOps.attention(t, t.constant(values), k,
                    t.constant(keys), false, 0.6f));
            check("attention (v)", new int[] {1, 2, 5, 3}, (t, v) -> AttentionOps.attention(t, t.constant(keys),
                    t.constant(values), v, true, 0.6f));
            check("split and merge heads", new int[] {2, 3, 12}, (t, x) -> {
                Var[] parts = AttentionOps.splitHeads(t, x, 3, 2);
                return AttentionOps.mergeHeads(t, ElementwiseOps.mul(t, parts[0], ElementwiseOps.gelu(t, parts[2])));
            });
        }
    }

    /** A small MLP: embedding → linear → GELU → LayerNorm → linear → cross-entropy. */
    private static final class TinyClassifier implements Module {
        final Embedding embed;
        final Sequential body;

        TinyClassifier(Arena arena, int vocab, int width, int classes) {
            embed = new Embedding(arena, "embed", vocab, width, 0.5f, 1);
            body = new Sequential(new Linear(arena, "fc1", width, 2 * width, true, 2),
                    new GeluLayer(), new LayerNorm(arena, "ln", 2 * width, 1e-5f),
                    new Dropout(0f, 3), new Linear(arena, "fc2", 2 * width, classes, true, 4));
        }

        Var loss(Tape tape, int[] ids, int[] targets) {
            return LossOps.crossEntropy(tape, body.forward(tape, embed.forward(tape, ids)), targets, -1);
        }

        @Override
        public List<Parameter> parameters() {
            List<Parameter> all = new java.util.ArrayList<>(embed.parameters());
            all.addAll(body.parameters());
            return all;
        }
    }

    private static final class GeluLayer implements dev.panamax.engine.nn.Layer {
        @Override
        public Var forward(Tape tape, Var x) {
            return ElementwiseOps.gelu(tape, x);
        }

        @Override
        public List<Parameter> parameters() {
            return List.of();
        }
    }

    @Test
    void moduleParameterGradientsMatchFiniteDifferences() {
        try (Arena arena = Arena.ofShared()) {
            TinyClassifier model = new TinyClassifier(arena, 5, 3, 4);
            int[] ids = {0, 3, 4, 3};
            int[] targets = {1, 2, 0, 3};
            try (Tape tape = new Tape(SCALAR)) {
                tape.backward(model.loss(tape, ids, targets));
            }
            for (Parameter p : model.parameters()) {
                GradientCheck.Result result = GradientCheck.check(v -> {
                    p.value().copyFrom(v);
                    try (Tape tape = new Tape(SCALAR)) {
                        return model.loss(tape, ids, targets).item();
                    }
                }, p.value().toArray(), p.grad().toArray(), 1e-2);
                assertTrue(result.passes(2e-2), p.name() + ": " + result);
            }
            assertEquals(List.of("embed.weight", "fc1.weight", "fc1.bias", "ln.weight", "ln.bias", "fc2.weight",
                    "fc2.bias"), model.parameters().stream().map(Parameter::name).toList());
        }
    }

    @Test
    void attentionAndConvModulesPassGradientChecks() {
        try (Arena arena = Arena.ofShared()) {
            MultiHeadSelfAttention attention = new MultiHeadSelfAttention(arena, "attn", 4, 2, true, 5);
            Tensor x = Tensor.uniform(arena, 6, -1f, 1f, 2, 3, 4);
            Tensor weights = Tensor.uniform(arena, 7, -1f, 1f, 2, 3, 4);
            checkModule(attention, tape -> ShapeOps.sum(tape, ElementwiseOps.mul(tape,
                    attention.forward(tape, tape.constant(x)), tape.constant(weights))));
            assertEquals(List.of("attn.c_attn.weight", "attn.c_attn.bias", "attn.c_proj.weight", "attn.c_proj.bias"),
                    attention.parameters().stream().map(Parameter::name).toList());

            // Without biases (nanoGPT's bias=False): only the weights are parameters, and they still check out.
            MultiHeadSelfAttention noBias = new MultiHeadSelfAttention(arena, "attn", 4, 2, true, false, 11);
            LayerNorm normNoBias = new LayerNorm(arena, "ln", 4, 1e-5f, false);
            Sequential unbiased = new Sequential(normNoBias, noBias);
            checkModule(unbiased, tape -> ShapeOps.sum(tape, ElementwiseOps.mul(tape,
                    unbiased.forward(tape, tape.constant(x)), tape.constant(weights))));
            assertEquals(List.of("ln.weight", "attn.c_attn.weight", "attn.c_proj.weight"),
                    unbiased.parameters().stream().map(Parameter::name).toList());

            Conv2d conv = new Conv2d(arena, "conv", 2, 3, 3, 1, 1, true, 8);
            GroupNorm norm = new GroupNorm(arena, "norm", 3, 3, 1e-5f);
            Tensor image = Tensor.uniform(arena, 9, -1f, 1f, 2, 2, 4, 4);
            Tensor imageWeights = Tensor.uniform(arena, 10, -1f, 1f, 2, 3, 4, 4);
            Sequential block = new Sequential(conv, norm);
            checkModule(block, tape -> ShapeOps.sum(tape, ElementwiseOps.mul(tape,
                    ElementwiseOps.silu(tape, block.forward(tape, tape.constant(image))), tape.constant(imageWeights))));
        }
    }

    /** Finite-difference check of every parameter gradient of a module under the given scalar loss. */
    private static void checkModule(Module module, java.util.function.Function<Tape, Var> loss) {
        module.zeroGrad();
        try (Tape tape = new Tape(SCALAR)) {
            tape.backward(loss.apply(tape));
        }
        for (Parameter p : module.parameters()) {
            GradientCheck.Result result = GradientCheck.check(v -> {
                p.value().copyFrom(v);
                try (Tape tape = new Tape(SCALAR)) {
                    return loss.apply(tape).item();
                }
            }, p.value().toArray(), p.grad().toArray(), 3e-3);   // smaller step: SiLU after GroupNorm curves enough for O(h²) to show at 1e-2
            assertTrue(result.passes(2e-2), p.name() + ": " + result);
        }
    }

    @Test
    void gradientDescentLearnsAPattern() {
        // Map each of 8 tokens to class (token mod 4): a model that learns it drives the loss near zero.
        try (Arena arena = Arena.ofShared(); WorkerPool pool = new WorkerPool(2)) {
            Backend simd = new SimdBackend(pool);
            TinyClassifier model = new TinyClassifier(arena, 8, 16, 4);
            int[] ids = {0, 1, 2, 3, 4, 5, 6, 7};
            int[] targets = {0, 1, 2, 3, 0, 1, 2, 3};
            float first = 0;
            float last = 0;
            StepMemory memory = new StepMemory();
            for (int step = 0; step < 200; step++) {
                model.zeroGrad();
                try (Tape tape = new Tape(simd, memory)) {
                    Var loss = model.loss(tape, ids, targets);
                    tape.backward(loss);
                    last = loss.item();
                    if (step == 0) {
                        first = last;
                    }
                }
                for (Parameter p : model.parameters()) {
                    simd.axpy(-0.2f, p.grad(), p.value());
                }
            }
            assertTrue(first > 1.0f && last < 0.05f, "loss went from " + first + " to " + last);
        }
    }

    @Test
    void misuseGetsClearErrors() {
        try (Arena arena = Arena.ofShared()) {
            Parameter w = Parameter.of(arena, "w", Tensor.randn(arena, 1, 2, 2), true);
            Tape tape = new Tape(SCALAR);
            Var y = ElementwiseOps.gelu(tape, tape.param(w));
            var e = assertThrows(IllegalArgumentException.class, () -> tape.backward(y));
            assertTrue(e.getMessage().contains("scalar") && e.getMessage().contains("[2, 2]"), e.getMessage());
            Var loss = ShapeOps.sum(tape, y);
            tape.backward(loss);
            var twice = assertThrows(IllegalStateException.class, () -> tape.backward(loss));
            assertTrue(twice.getMessage().contains("already"), twice.getMessage());
            Var constantLoss = ShapeOps.sum(tape, tape.constant(Tensor.zeros(arena, 2)));
            var nothing = assertThrows(IllegalStateException.class, () -> {
                try (Tape other = new Tape(SCALAR)) {
                    other.backward(ShapeOps.sum(other, other.constant(Tensor.zeros(arena, 2))));
                }
            });
            assertTrue(nothing.getMessage().contains("does not depend"), nothing.getMessage());
            try (Tape next = new Tape(SCALAR)) {
                var foreign = assertThrows(IllegalArgumentException.class,
                        () -> ElementwiseOps.scale(next, constantLoss, 2f));
                assertTrue(foreign.getMessage().contains("another step"), foreign.getMessage());
            }
            tape.close();
            var closed = assertThrows(IllegalStateException.class, () -> ElementwiseOps.gelu(tape, y));
            assertTrue(closed.getMessage().contains("closed"), closed.getMessage());
            try (Tape next = new Tape(SCALAR)) {
                var stale = assertThrows(IllegalStateException.class,
                        () -> ElementwiseOps.add(next, next.param(w), constantLoss));
                assertTrue(stale.getMessage().contains("[1]") && stale.getMessage().contains("closed"),
                        stale.getMessage());
            }
        }
    }

    /** Heap bytes one training step allocates on the calling thread, after warm-up. */
    private static long heapBytesPerStep(int width) {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        // The scalar backend isolates the autograd's own bookkeeping from JIT warm-up: until C2 has compiled a
        // SIMD kernel for a new shape its vectors are boxed (KernelCompilationTest checks that this ends).
        try (Arena arena = Arena.ofShared()) {
            Backend simd = SCALAR;
            TinyClassifier model = new TinyClassifier(arena, 64, width, 16);
            int[] ids = new int[64];
            int[] targets = new int[64];
            for (int i = 0; i < 64; i++) {
                ids[i] = i;
                targets[i] = i % 16;
            }
            long best = Long.MAX_VALUE;
            for (int step = 0; step < 40; step++) {
                long before = threads.getCurrentThreadAllocatedBytes();
                model.zeroGrad();
                try (Tape tape = new Tape(simd)) {
                    tape.backward(model.loss(tape, ids, targets));
                }
                for (Parameter p : model.parameters()) {
                    simd.axpy(-0.01f, p.grad(), p.value());
                }
                best = Math.min(best, threads.getCurrentThreadAllocatedBytes() - before);
            }
            return best;
        }
    }

    @Test
    void heapAllocationPerStepDoesNotGrowWithModelSize() {
        // Activations live off-heap; what remains on the heap is bookkeeping per op (Var, Tensor, lambda), so a
        // model 16× wider must not allocate more per step. README states the measured figure.
        long narrow = heapBytesPerStep(8);
        long wide = heapBytesPerStep(128);
        System.out.println("heap bytes per training step: width 8 -> " + narrow + ", width 128 -> " + wide);
        assertTrue(wide <= narrow + 4096, "width 8: " + narrow + " B/step, width 128: " + wide + " B/step");
        assertTrue(narrow < 64 * 1024, "a 5-layer step allocates " + narrow + " B on the heap");
    }
}
