package dev.panamax.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.panamax.engine.cuda.CudaBackend;
import dev.panamax.engine.cuda.CudaTestSupport;
import java.lang.foreign.Arena;
import java.util.SplittableRandom;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The CUDA elementwise, activation, normalization, softmax, loss and data-movement kernels (transpose and the
 * per-channel bias included) and AdamW against the scalar reference over the row and column counts of
 * {@link OpsTest}, and the residency rules (host writes reach the device, device results reach the host, views,
 * arenas closing). Skipped without a GPU.
 */
class CudaOpsTest {

    private static final int[] ROWS = {1, 2, 3, 7, 17, 64};
    private static final int[] COLS = {1, 2, 3, 7, 8, 9, 15, 16, 17, 33, 100, 257, 1000};
    /** Both sides round once from (mostly) double arithmetic; reductions differ in order only. */
    private static final double TOLERANCE = 2e-5;
    private static final ScalarBackend SCALAR = new ScalarBackend();
    private static CudaBackend cuda;
    private static Arena arena;

    @BeforeAll
    static void device() {
        cuda = CudaTestSupport.backendOrSkip();
        arena = Arena.ofShared();
    }

    @AfterAll
    static void close() {
        if (arena != null) {
            arena.close();
        }
    }

    private static Tensor random(long seed, int... shape) {
        return Tensor.uniform(arena, seed, -2f, 2f, shape);
    }

    private static Tensor copy(Tensor t) {
        return Tensor.of(arena, t.toArray(), t.shape());
    }

    private static void assertClose(String what, Tensor want, Tensor got) {
        float[] w = want.toArray();
        float[] g = got.toArray();
        assertEquals(w.length, g.length, what);
        for (int i = 0; i < w.length; i++) {
            if (!(Math.abs(w[i] - g[i]) <= TOLERANCE * (1 + Math.abs(w[i])))) {
                fail(what + ": element " + i + " is " + g[i] + ", scalar reference " + w[i]);
            }
        }
    }

    /**
     * Runs {@code op} on the scalar and the CUDA backend, each on its own copies of {@code tensors} (inputs and
     * outputs alike, so accumulating outputs start equal), and compares every tensor afterwards.
     */
    private static void same(String what, BiConsumer<Backend, Tensor[]> op, Tensor... tensors) {
        Tensor[] want = new Tensor[tensors.length];
        Tensor[] got = new Tensor[tensors.length];
        for (int i = 0; i < tensors.length; i++) {
            want[i] = copy(tensors[i]);
            got[i] = copy(tensors[i]);
        }
        op.accept(SCALAR, want);
        op.accept(cuda, got);
        for (int i = 0; i < tensors.length; i++) {
            assertClose(what + " tensor " + i, want[i], got[i]);
        }
    }

    @Test
    void elementwiseAndActivations() {
        long seed = 1;
        for (int rows : ROWS) {
            for (int cols : COLS) {
                String at = rows + "x" + cols;
                Tensor a = random(seed++, rows, cols);
                Tensor b = random(seed++, rows, cols);
                Tensor o = random(seed++, rows, cols);
                Tensor bias = random(seed++, cols);
                same("add " + at, (k, t) -> k.add(t[0], t[1], t[2]), a, b, o);
                same("sub " + at, (k, t) -> k.sub(t[0], t[1], t[2]), a, b, o);
                same("mul " + at, (k, t) -> k.mul(t[0], t[1], t[2]), a, b, o);
                same("scale " + at, (k, t) -> k.scale(t[0], -1.5f, t[1]), a, o);
                same("axpy " + at, (k, t) -> k.axpy(0.25f, t[0], t[1]), a, b);
                same("addBias " + at, (k, t) -> k.addBias(t[0], t[1], t[2]), a, bias, o);
                same("addBiasBackward " + at, (k, t) -> k.addBiasBackward(t[0], t[1]), a, bias);
                same("gelu " + at, (k, t) -> k.gelu(t[0], t[1]), a, o);
                same("geluBackward " + at, (k, t) -> k.geluBackward(t[0], t[1], t[2]), a, b, o);
                same("silu " + at, (k, t) -> k.silu(t[0], t[1]), a, o);
                same("siluBackward " + at, (k, t) -> k.siluBackward(t[0], t[1], t[2]), a, b, o);
                same("relu " + at, (k, t) -> k.relu(t[0], t[1]), a, o);
                same("reluBackward " + at, (k, t) -> k.reluBackward(t[0], t[1], t[2]), a, b, o);
                same("in place add " + at, (k, t) -> k.add(t[0], t[1], t[0]), a, b);
                assertEquals(SCALAR.sum(a), cuda.sum(a), 1e-9 * (1 + rows * cols), "sum " + at);
                assertEquals(SCALAR.mse(a, b), cuda.mse(a, b), 1e-9 * (1 + SCALAR.mse(a, b)), "mse " + at);
                same("mseBackward " + at, (k, t) -> k.mseBackward(t[0], t[1], 0.5f, t[2]), a, b, o);
            }
        }
    }

    @Test
    void normalizations() {
        long seed = 100;
        for (int rows : ROWS) {
            for (int cols : COLS) {
                String at = rows + "x" + cols;
                Tensor x = random(seed++, rows, cols);
                Tensor gamma = random(seed++, cols);
                Tensor beta = random(seed++, cols);
                Tensor out = random(seed++, rows, cols);
                Tensor mean = random(seed++, rows);
                Tensor rstd = random(seed++, rows);
                Tensor dOut = random(seed++, rows, cols);
                Tensor dX = random(seed++, rows, cols);
                Tensor dGamma = random(seed++, cols);
                Tensor dBeta = random(seed++, cols);
                same("layerNorm " + at, (k, t) -> k.layerNorm(t[0], t[1], t[2], t[3], t[4], t[5], 1e-5f),
                        x, gamma, beta, out, mean, rstd);
                // The backward from the statistics the forward computed.
                Tensor m = Tensor.zeros(arena, rows);
                Tensor r = Tensor.zeros(arena, rows);
                SCALAR.layerNorm(x, gamma, beta, copy(out), m, r, 1e-5f);
                same("layerNormBackward " + at, (k, t) -> k.layerNormBackward(t[0], t[1], t[2], t[3], t[4], t[5],
                        t[6], t[7]), x, gamma, m, r, dOut, dX, dGamma, dBeta);
                same("rmsNorm " + at, (k, t) -> k.rmsNorm(t[0], t[1], t[2], t[3], 1e-6f), x, gamma, out, rstd);
                SCALAR.rmsNorm(x, gamma, copy(out), r, 1e-6f);
                same("rmsNormBackward " + at, (k, t) -> k.rmsNormBackward(t[0], t[1], t[2], t[3], t[4], t[5]),
                        x, gamma, r, dOut, dX, dGamma);
            }
        }
        int[][] images = {{1, 4, 1, 1}, {2, 6, 5, 7}, {3, 32, 8, 8}, {1, 8, 33, 17}};
        for (int[] s : images) {
            for (int groups : new int[] {1, 2, s[1]}) {
                String at = java.util.Arrays.toString(s) + " groups=" + groups;
                Tensor x = random(seed++, s);
                Tensor gamma = random(seed++, s[1]);
                Tensor beta = random(seed++, s[1]);
                Tensor out = random(seed++, s);
                Tensor mean = Tensor.zeros(arena, s[0] * groups);
                Tensor rstd = Tensor.zeros(arena, s[0] * groups);
                same("groupNorm " + at, (k, t) -> k.groupNorm(t[0], groups, t[1], t[2], t[3], t[4], t[5], 1e-5f),
                        x, gamma, beta, out, mean, rstd);
                SCALAR.groupNorm(x, groups, gamma, beta, copy(out), mean, rstd, 1e-5f);
                same("groupNormBackward " + at, (k, t) -> k.groupNormBackward(t[0], groups, t[1], t[2], t[3], t[4],
                        t[5], t[6], t[7]), x, gamma, mean, rstd, random(seed++, s), random(seed++, s),
                        random(seed++, s[1]), random(seed++, s[1]));
                if (groups < s[1]) {      // GroupNorm + SiLU, fused on the CPU and composed on the GPU
                    same("groupNormSilu " + at, (k, t) -> k.groupNormSilu(t[0], groups, t[1], t[2], t[3], t[4],
                            t[5], 1e-5f), x, gamma, beta, out, mean, rstd);
                    SCALAR.groupNormSilu(x, groups, gamma, beta, copy(out), mean, rstd, 1e-5f);
                    same("groupNormSiluBackward " + at, (k, t) -> k.groupNormSiluBackward(t[0], groups, t[1], t[2],
                            t[3], t[4], 1e-5f, t[5], t[6], t[7], t[8]), x, gamma, beta, mean, rstd,
                            random(seed++, s), random(seed++, s), random(seed++, s[1]), random(seed++, s[1]));
                }
            }
        }
    }

    @Test
    void softmaxAndLosses() {
        long seed = 1000;
        for (int rows : ROWS) {
            for (int cols : COLS) {
                String at = rows + "x" + cols;
                Tensor x = Tensor.uniform(arena, seed++, -8f, 8f, rows, cols);
                Tensor out = random(seed++, rows, cols);
                Tensor dOut = random(seed++, rows, cols);
                Tensor dX = random(seed++, rows, cols);
                same("softmax " + at, (k, t) -> k.softmax(t[0], t[1]), x, out);
                same("logSoftmax " + at, (k, t) -> k.logSoftmax(t[0], t[1]), x, out);
                Tensor y = Tensor.zeros(arena, rows, cols);
                SCALAR.softmax(x, y);
                same("softmaxBackward " + at, (k, t) -> k.softmaxBackward(t[0], t[1], t[2]), y, dOut, dX);
                SCALAR.logSoftmax(x, y);
                same("logSoftmaxBackward " + at, (k, t) -> k.logSoftmaxBackward(t[0], t[1], t[2]), y, dOut, dX);

                SplittableRandom random = new SplittableRandom(seed++);
                int[] targets = new int[rows];
                for (int r = 0; r < rows; r++) {
                    targets[r] = r % 3 == 1 ? -100 : random.nextInt(cols);
                }
                Tensor probsWant = Tensor.zeros(arena, rows, cols);
                Tensor probsGot = Tensor.zeros(arena, rows, cols);
                double want = SCALAR.crossEntropy(x, targets, -100, probsWant);
                double got = cuda.crossEntropy(x, targets, -100, probsGot);
                assertEquals(want, got, 1e-6 * (1 + Math.abs(want)), "crossEntropy " + at);
                assertClose("crossEntropy probs " + at, probsWant, probsGot);
                same("crossEntropyBackward " + at, (k, t) -> k.crossEntropyBackward(t[0], targets, -100, 0.7f, t[1]),
                        probsWant, dX);
            }
        }
    }

    @Test
    void embeddingAndConcatenation() {
        Tensor table = random(1, 50, 33);
        int[] ids = {3, 0, 49, 3, 3, 17, 0};   // repeats: the backward adds them in order
        same("embedding", (k, t) -> k.embedding(t[0], ids, t[1]), table, random(2, ids.length, 33));
        same("embeddingBackward", (k, t) -> k.embeddingBackward(ids, t[0], t[1]), random(3, ids.length, 33), table);
        Tensor a = random(4, 2, 3, 5, 5);
        Tensor b = random(5, 2, 4, 5, 5);
        Tensor out = random(6, 2, 7, 5, 5);
        same("concatChannels", (k, t) -> k.concatChannels(t[0], t[1], t[2]), a, b, out);
        same("concatChannelsBackward", (k, t) -> k.concatChannelsBackward(t[0], t[1], t[2]), out, a, b);
    }

    @Test
    void transposeMovesEveryElementExactly() {
        // Ragged tiles (1, 31, 33, 65), several tiles per matrix, rank 4, and the grid's y and z limits (65535 row
        // tiles, 65535 matrices) that the kernel loops over.
        int[][] shapes = {{1, 1}, {3, 1, 7}, {2, 33, 65}, {5, 31, 32}, {1, 100, 257}, {2, 3, 40, 33}, {70_000, 1, 2},
            {1, 2_100_000, 1}};
        long seed = 2000;
        for (int[] shape : shapes) {
            int[] swapped = shape.clone();
            swapped[shape.length - 1] = shape[shape.length - 2];
            swapped[shape.length - 2] = shape[shape.length - 1];
            Tensor x = random(seed++, shape);
            Tensor want = Tensor.zeros(arena, swapped);
            Tensor got = random(seed++, swapped);
            SCALAR.transpose(x, want);
            cuda.transpose(x, got);
            assertArrayEquals(want.toArray(), got.toArray(), "transpose " + java.util.Arrays.toString(shape));
        }
    }

    @Test
    void channelBiasAndItsGradient() {
        // [N, C, ...]: one bias per sample and channel; spatial 1 (rank 2 and 1×1 images), odd and image sizes.
        int[][] shapes = {{1, 1}, {4, 5}, {3, 4, 1, 1}, {2, 3, 5, 7}, {1, 2, 1000}, {2, 16, 28, 28}, {1, 3, 33, 17}};
        long seed = 3000;
        for (int[] shape : shapes) {
            String at = java.util.Arrays.toString(shape);
            Tensor x = random(seed++, shape);
            Tensor bias = random(seed++, shape[0], shape[1]);
            Tensor out = random(seed++, shape);
            same("addChannelBias " + at, (k, t) -> k.addChannelBias(t[0], t[1], t[2]), x, bias, out);
            same("in place addChannelBias " + at, (k, t) -> k.addChannelBias(t[0], t[1], t[0]), x, bias);
            // The backward accumulates into a non-zero dBias.
            same("addChannelBiasBackward " + at, (k, t) -> k.addChannelBiasBackward(t[0], t[1]), x, bias);
        }
    }

    @Test
    void adamStepMatchesTheCpuOptimizerArithmetic() {
        int n = 1037;
        Tensor p = random(1, n);
        Tensor g = random(2, n);
        Tensor m = random(3, n);
        Tensor v = Tensor.uniform(arena, 4, 0f, 1f, n);
        float[] pw = p.toArray();
        float[] gw = g.toArray();
        float[] mw = m.toArray();
        float[] vw = v.toArray();
        float l2 = 0.01f;
        float decay = 0.999f;
        float beta1 = 0.9f;
        float beta2 = 0.95f;
        float step = 3e-4f / (1 - 0.9f);
        float bc2 = (float) Math.sqrt(1 - 0.95);
        float eps = 1e-8f;
        for (int i = 0; i < n; i++) {   // optim.UpdateKernels.adam, element by element
            float gi = Math.fma(pw[i], l2, gw[i]);
            float pi = pw[i] * decay;
            mw[i] = Math.fma(mw[i], beta1, gi * (1 - beta1));
            vw[i] = Math.fma(vw[i], beta2, gi * gi * (1 - beta2));
            pw[i] = Math.fma(mw[i] / ((float) Math.sqrt(vw[i]) / bc2 + eps), -step, pi);
        }
        cuda.adamStep(p, g, m, v, l2, decay, beta1, beta2, step, bc2, eps);
        assertClose("adam p", Tensor.of(arena, pw, n), p);
        assertClose("adam m", Tensor.of(arena, mw, n), m);
        assertClose("adam v", Tensor.of(arena, vw, n), v);
    }

    @Test
    void dataMovesOnlyWhereTheNewestCopyIs() {
        Tensor x = Tensor.of(arena, new float[] {1, 2, 3, 4, 5, 6, 7, 8}, 2, 4);
        Tensor y = Tensor.zeros(arena, 2, 4);
        cuda.scale(x, 2f, y);
        assertEquals(16f, y.get(1, 3), "a device result is downloaded when the host reads it");
        x.set(100f, 0, 0);
        cuda.scale(x, 2f, y);
        assertEquals(200f, y.toArray()[0], "a host write is uploaded before the next kernel reads it");
        // Views share their parent's device copy: write rows 1..2 of a 4-row tensor on the device.
        Tensor big = Tensor.of(arena, new float[] {1, 1, 2, 2, 3, 3, 4, 4}, 4, 2);
        Tensor part = big.rows(1, 3);
        cuda.scale(part, 10f, part);
        assertEquals(java.util.List.of(1f, 1f, 20f, 20f, 30f, 30f, 4f, 4f), java.util.Arrays.asList(
                box(big.toArray())), "only the view's rows change");
        // The SIMD backend sees device results (through Tensor.segment()) and the CUDA backend sees its writes.
        Tensor z = Tensor.zeros(arena, 4, 2);
        new SimdBackend().add(big, big, z);
        cuda.scale(z, 0.5f, z);
        assertEquals(java.util.Arrays.asList(box(big.toArray())), java.util.Arrays.asList(box(z.toArray())));
        // Per-step arenas: allocate, compute, close, many times; memory returns to the pool and is reused.
        for (int step = 0; step < 200; step++) {
            try (Arena stepArena = Arena.ofShared()) {
                Tensor a = Tensor.uniform(stepArena, step, -1f, 1f, 1000);
                Tensor b = Tensor.zeros(stepArena, 1000);
                cuda.relu(a, b);
                float[] av = a.toArray();
                float[] bv = b.toArray();
                for (int i = 0; i < av.length; i += 97) {
                    assertEquals(Math.max(0f, av[i]), bv[i], "step " + step);
                }
            }
        }
    }

    private static Float[] box(float[] values) {
        Float[] boxed = new Float[values.length];
        for (int i = 0; i < values.length; i++) {
            boxed[i] = values[i];
        }
        return boxed;
    }
}
