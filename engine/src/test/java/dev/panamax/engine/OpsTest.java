package dev.panamax.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panamax.engine.autograd.GradientCheck;
import dev.panamax.engine.parallel.WorkerPool;
import java.lang.foreign.Arena;
import java.util.SplittableRandom;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The non-GEMM operations: SIMD against the scalar reference over odd and tiny shapes, the reference backward
 * passes against finite differences, and bad input.
 */
class OpsTest {

    private static final int[] ROWS = {1, 2, 3, 7, 17, 64};
    private static final int[] COLS = {1, 2, 3, 7, 8, 9, 15, 16, 17, 33, 100, 257};
    private static final ScalarBackend SCALAR = new ScalarBackend();
    private static WorkerPool pool;
    private static SimdBackend simd;
    private static Arena arena;

    @BeforeAll
    static void setUp() {
        pool = new WorkerPool(2);
        simd = new SimdBackend(pool);
        arena = Arena.ofShared();
    }

    @AfterAll
    static void tearDown() {
        arena.close();
        pool.close();
    }

    private static Tensor random(long seed, int... shape) {
        return Tensor.uniform(arena, seed, -2f, 2f, shape);
    }

    private static Tensor copy(Tensor t) {
        return Tensor.of(arena, t.toArray(), t.shape());
    }

    /** |a − b| ≤ abs + rel·|b| elementwise. */
    private static void assertClose(String what, float[] want, float[] got, double abs, double rel) {
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++) {
            double tol = abs + rel * Math.abs(want[i]);
            assertTrue(Math.abs(want[i] - got[i]) <= tol, what + " element " + i + ": " + got[i] + " vs reference "
                    + want[i]);
        }
    }

    @Test
    void elementwiseOpsMatchTheReferenceExactly() {
        for (int rows : ROWS) {
            for (int cols : COLS) {
                Tensor a = random(rows * 100 + cols, rows, cols);
                Tensor b = random(rows * 100 + cols + 1, rows, cols);
                Tensor bias = random(cols, cols);
                for (String op : new String[] {"add", "sub", "mul", "scale", "axpy", "addBias", "biasGrad"}) {
                    Tensor want = random(7, rows, cols);
                    Tensor got = copy(want);
                    Tensor wantBias = copy(bias);
                    Tensor gotBias = copy(bias);
                    apply(SCALAR, op, a, b, bias, want, wantBias);
                    apply(simd, op, a, b, bias, got, gotBias);
                    assertArrayEquals(want.toArray(), got.toArray(), 0f, op + " " + rows + "x" + cols);
                    assertArrayEquals(wantBias.toArray(), gotBias.toArray(), 0f, op + " " + rows + "x" + cols);
                }
            }
        }
    }

    private static void apply(Backend backend, String op, Tensor a, Tensor b, Tensor bias, Tensor out, Tensor dBias) {
        switch (op) {
            case "add" -> backend.add(a, b, out);
            case "sub" -> backend.sub(a, b, out);
            case "mul" -> backend.mul(a, b, out);
            case "scale" -> backend.scale(a, -0.37f, out);
            case "axpy" -> backend.axpy(0.61f, a, out);
            case "addBias" -> backend.addBias(a, bias, out);
            case "biasGrad" -> backend.addBiasBackward(a, dBias);
            default -> throw new IllegalArgumentException(op);
        }
    }

    @Test
    void activationsMatchTheReference() {
        for (int rows : ROWS) {
            for (int cols : COLS) {
                Tensor x = random(rows * 31 + cols, rows, cols);
                Tensor dOut = random(rows * 31 + cols + 5, rows, cols);
                String[] names = {"gelu", "silu", "relu"};
                for (String name : names) {
                    Tensor want = Tensor.zeros(arena, rows, cols);
                    Tensor got = Tensor.zeros(arena, rows, cols);
                    Tensor wantGrad = random(3, rows, cols);
                    Tensor gotGrad = copy(wantGrad);
                    activation(SCALAR, name, x, dOut, want, wantGrad);
                    activation(simd, name, x, dOut, got, gotGrad);
                    // VectorMath's exp/tanh are within a few ulp of the double-precision reference.
                    assertClose(name + " " + rows + "x" + cols, want.toArray(), got.toArray(), 1e-6, 1e-5);
                    assertClose(name + " backward " + rows + "x" + cols, wantGrad.toArray(), gotGrad.toArray(), 1e-6,
                            1e-5);
                }
            }
        }
    }

    private static void activation(Backend backend, String name, Tensor x, Tensor dOut, Tensor out, Tensor dX) {
        switch (name) {
            case "gelu" -> {
                backend.gelu(x, out);
                backend.geluBackward(x, dOut, dX);
            }
            case "silu" -> {
                backend.silu(x, out);
                backend.siluBackward(x, dOut, dX);
            }
            default -> {
                backend.relu(x, out);
                backend.reluBackward(x, dOut, dX);
            }
        }
    }

    @Test
    void layerNormSoftmaxAndCrossEntropyMatchTheReference() {
        for (int rows : ROWS) {
            for (int cols : COLS) {
                long seed = rows * 1000L + cols;
                Tensor x = random(seed, rows, cols);
                Tensor gamma = random(seed + 1, cols);
                Tensor beta = random(seed + 2, cols);
                Tensor dOut = random(seed + 3, rows, cols);
                Tensor[] want = layerNorm(SCALAR, x, gamma, beta, dOut);
                Tensor[] got = layerNorm(simd, x, gamma, beta, dOut);
                String[] parts = {"out", "dX", "dGamma", "dBeta"};
                for (int p = 0; p < parts.length; p++) {
                    // Float statistics over ≤ 257 values of magnitude ≤ 2 against double ones; dX divides by σ.
                    assertClose("layerNorm " + parts[p] + " " + rows + "x" + cols, want[p].toArray(),
                            got[p].toArray(), 2e-4, 1e-4);
                }
                Tensor wantProbs = Tensor.zeros(arena, rows, cols);
                Tensor gotProbs = Tensor.zeros(arena, rows, cols);
                SCALAR.softmax(x, wantProbs);
                simd.softmax(x, gotProbs);
                assertClose("softmax " + rows + "x" + cols, wantProbs.toArray(), gotProbs.toArray(), 1e-7, 1e-5);

                int[] targets = new int[rows];
                SplittableRandom random = new SplittableRandom(seed);
                for (int r = 0; r < rows; r++) {
                    targets[r] = r % 5 == 4 ? -100 : random.nextInt(cols);
                }
                double wantLoss = SCALAR.crossEntropy(x, targets, -100, wantProbs);
                double gotLoss = simd.crossEntropy(x, targets, -100, gotProbs);
                assertEquals(wantLoss, gotLoss, 1e-5 * (1 + Math.abs(wantLoss)), "cross-entropy " + rows + "x" + cols);
                Tensor wantGrad = Tensor.zeros(arena, rows, cols);
                Tensor gotGrad = Tensor.zeros(arena, rows, cols);
                SCALAR.crossEntropyBackward(wantProbs, targets, -100, 1.5f, wantGrad);
                simd.crossEntropyBackward(gotProbs, targets, -100, 1.5f, gotGrad);
                assertClose("cross-entropy backward " + rows + "x" + cols, wantGrad.toArray(), gotGrad.toArray(), 1e-7,
                        1e-5);
            }
        }
    }

    /**
     * Enough rows that the backend splits the column sums (bias and LayerNorm parameter gradients) over threads in
     * blocks of 64 columns, so a block starts at column 64 and the last one is an odd width; the per-thread sums
     * add each column's rows in order, so the bias gradient is exact and the layer norm within its tolerance.
     */
    @Test
    void columnSumsSplitOverThreadsMatchTheReference() {
        for (int[] shape : new int[][] {{1100, 97}, {1030, 200}, {700, 129}}) {
            int rows = shape[0];
            int cols = shape[1];
            long seed = rows * 7L + cols;
            Tensor dOut = random(seed, rows, cols);
            Tensor wantBias = random(seed + 1, cols);
            Tensor gotBias = copy(wantBias);
            SCALAR.addBiasBackward(dOut, wantBias);
            simd.addBiasBackward(dOut, gotBias);
            assertArrayEquals(wantBias.toArray(), gotBias.toArray(), 0f, "bias gradient " + rows + "x" + cols);

            Tensor x = random(seed + 2, rows, cols);
            Tensor[] want = layerNorm(SCALAR, x, random(seed + 3, cols), random(seed + 4, cols), dOut);
            Tensor[] got = layerNorm(simd, x, random(seed + 3, cols), random(seed + 4, cols), dOut);
            // dGamma and dBeta sum over ~1000 rows in float against the reference's sums.
            assertClose("layerNorm dX " + rows + "x" + cols, want[1].toArray(), got[1].toArray(), 2e-4, 1e-4);
            assertClose("layerNorm dGamma " + rows + "x" + cols, want[2].toArray(), got[2].toArray(), 5e-3, 1e-4);
            assertClose("layerNorm dBeta " + rows + "x" + cols, want[3].toArray(), got[3].toArray(), 5e-3, 1e-4);
        }
    }

    @Test
    void groupNormMatchesTheReference() {
        int[][] channelsAndGroups = {{1, 1}, {4, 2}, {6, 3}, {16, 8}, {12, 1}, {32, 8}};
        int[] spatials = {1, 3, 7, 8, 9, 17, 64, 100};
        WorkerPool three = new WorkerPool(3);
        try {
            SimdBackend simd3 = new SimdBackend(three);
            for (int batch : new int[] {1, 2, 3}) {
                for (int[] cg : channelsAndGroups) {
                    for (int spatial : spatials) {
                        long seed = batch * 10_000L + cg[0] * 100L + spatial;
                        Tensor x = random(seed, batch, cg[0], spatial);
                        // An offset, so the statistics must not cancel it.
                        Tensor shifted = Tensor.zeros(arena, batch, cg[0], spatial);
                        SCALAR.scale(x, 1f, shifted);
                        SCALAR.axpy(1f, Tensor.of(arena, filled(x.size(), 3f), batch, cg[0], spatial), shifted);
                        Tensor gamma = random(seed + 1, cg[0]);
                        Tensor beta = random(seed + 2, cg[0]);
                        Tensor dOut = random(seed + 3, batch, cg[0], spatial);
                        Tensor[] want = groupNorm(SCALAR, shifted, cg[1], gamma, beta, dOut);
                        Tensor[] got = groupNorm(simd, shifted, cg[1], gamma, beta, dOut);
                        Tensor[] got3 = groupNorm(simd3, shifted, cg[1], gamma, beta, dOut);
                        String[] parts = {"out", "dX", "dGamma", "dBeta"};
                        String what = batch + "x" + cg[0] + "x" + spatial + " in " + cg[1] + " groups";
                        for (int p = 0; p < parts.length; p++) {
                            // Float statistics over ≤ 3200 values against double ones; dGamma sums ≤ 300 terms.
                            assertClose("groupNorm " + parts[p] + " " + what, want[p].toArray(), got[p].toArray(),
                                    5e-4, 2e-4);
                            assertArrayEquals(got[p].toArray(), got3[p].toArray(), 0f,
                                    "groupNorm " + parts[p] + " " + what + ": 2 and 3 threads differ");
                        }
                    }
                }
            }
        } finally {
            three.close();
        }
    }

    private static float[] filled(long n, float value) {
        float[] a = new float[(int) n];
        java.util.Arrays.fill(a, value);
        return a;
    }

    private static Tensor[] groupNorm(Backend backend, Tensor x, int groups, Tensor gamma, Tensor beta, Tensor dOut) {
        int batch = x.dim(0);
        int channels = x.dim(1);
        Tensor out = Tensor.zeros(arena, x.shape());
        Tensor mean = Tensor.zeros(arena, batch * groups);
        Tensor rstd = Tensor.zeros(arena, batch * groups);
        backend.groupNorm(x, groups, gamma, beta, out, mean, rstd, 1e-5f);
        Tensor dX = Tensor.zeros(arena, x.shape());
        Tensor dGamma = Tensor.zeros(arena, channels);
        Tensor dBeta = Tensor.zeros(arena, channels);
        backend.groupNormBackward(x, groups, gamma, mean, rstd, dOut, dX, dGamma, dBeta);
        return new Tensor[] {out, dX, dGamma, dBeta};
    }

    private static Tensor[] layerNorm(Backend backend, Tensor x, Tensor gamma, Tensor beta, Tensor dOut) {
        int rows = x.dim(0);
        int cols = x.dim(1);
        Tensor out = Tensor.zeros(arena, rows, cols);
        Tensor mean = Tensor.zeros(arena, rows);
        Tensor rstd = Tensor.zeros(arena, rows);
        backend.layerNorm(x, gamma, beta, out, mean, rstd, 1e-5f);
        Tensor dX = Tensor.zeros(arena, rows, cols);
        Tensor dGamma = Tensor.zeros(arena, cols);
        Tensor dBeta = Tensor.zeros(arena, cols);
        backend.layerNormBackward(x, gamma, mean, rstd, dOut, dX, dGamma, dBeta);
        return new Tensor[] {out, dX, dGamma, dBeta};
    }

    @Test
    void layerNormVarianceSurvivesALargeOffset() {
        // x = 10⁴ + u with u uniform in [−2, 2): E[x²] − E[x]² in float would lose the variance (~1.3) entirely
        // (ulp(10⁸) = 8). The inputs are the same floats for both backends; float statistics of them differ from
        // the double reference by about ulp(10⁴)·rstd, the rounding of the mean itself.
        int rows = 5;
        int cols = 64;
        Tensor x = random(99, rows, cols);
        float[] values = x.toArray();
        for (int i = 0; i < values.length; i++) {
            values[i] += 1e4f;
        }
        x.copyFrom(values);
        Tensor gamma = Tensor.uniform(arena, 5, 0.5f, 1f, cols);
        Tensor beta = Tensor.zeros(arena, cols);
        Tensor[] stats = new Tensor[4];
        float[][] outs = new float[2][];
        Backend[] backends = {SCALAR, simd};
        for (int b = 0; b < 2; b++) {
            Tensor out = Tensor.zeros(arena, rows, cols);
            stats[2 * b] = Tensor.zeros(arena, rows);
            stats[2 * b + 1] = Tensor.zeros(arena, rows);
            backends[b].layerNorm(x, gamma, beta, out, stats[2 * b], stats[2 * b + 1], 1e-5f);
            outs[b] = out.toArray();
        }
        assertClose("rstd", stats[1].toArray(), stats[3].toArray(), 0, 1e-3);
        double inherent = 2 * Math.ulp(1e4f) * stats[1].get(0);
        assertClose("out", outs[0], outs[1], inherent + 1e-4, 0);
    }

    @Test
    void softmaxIsStableForHugeLogits() {
        Tensor x = Tensor.of(arena, new float[] {1e30f, 0f, -1e30f, 3e38f}, 1, 4);
        for (Backend backend : new Backend[] {SCALAR, simd}) {
            Tensor out = Tensor.zeros(arena, 1, 4);
            backend.softmax(x, out);
            assertArrayEquals(new float[] {0f, 0f, 0f, 1f}, out.toArray(), 0f, backend.name());
        }
    }

    // ------------------------------------------------------------------ finite-difference checks of the reference

    /** Checks d(Σ dOut ∘ f(x))/dx from {@code backward} against finite differences, in the scalar backend. */
    private static void gradCheck(String what, Tensor x, Tensor dOut, BiConsumer<Tensor, Tensor> forward,
                                  BiConsumer<Tensor, Tensor> backwardIntoDx) {
        float[] dOutValues = dOut.toArray();
        float[] xValues = x.toArray();
        Tensor dX = Tensor.zeros(arena, x.shape());
        backwardIntoDx.accept(x, dX);
        GradientCheck.Result result = GradientCheck.check(values -> {
            Tensor xi = Tensor.of(arena, values, x.shape());
            Tensor out = Tensor.zeros(arena, dOut.shape());
            forward.accept(xi, out);
            float[] y = out.toArray();
            double loss = 0;
            for (int i = 0; i < y.length; i++) {
                loss += (double) dOutValues[i] * y[i];
            }
            return loss;
        }, xValues, dX.toArray(), 1e-2);
        assertTrue(result.passes(2e-2), what + ": " + result);
    }

    @Test
    void referenceBackwardPassesMatchFiniteDifferences() {
        int rows = 3;
        int cols = 5;
        Tensor x = random(11, rows, cols);
        Tensor dOut = random(12, rows, cols);
        Tensor gamma = random(13, cols);
        Tensor beta = random(14, cols);
        gradCheck("gelu", x, dOut, SCALAR::gelu, (xi, dX) -> SCALAR.geluBackward(xi, dOut, dX));
        gradCheck("silu", x, dOut, SCALAR::silu, (xi, dX) -> SCALAR.siluBackward(xi, dOut, dX));
        gradCheck("relu", x, dOut, SCALAR::relu, (xi, dX) -> SCALAR.reluBackward(xi, dOut, dX));
        gradCheck("softmax", x, dOut, SCALAR::softmax, (xi, dX) -> {
            Tensor y = Tensor.zeros(arena, rows, cols);
            SCALAR.softmax(xi, y);
            SCALAR.softmaxBackward(y, dOut, dX);
        });
        gradCheck("logSoftmax", x, dOut, SCALAR::logSoftmax, (xi, dX) -> {
            Tensor y = Tensor.zeros(arena, rows, cols);
            SCALAR.logSoftmax(xi, y);
            SCALAR.logSoftmaxBackward(y, dOut, dX);
        });
        Tensor mean = Tensor.zeros(arena, rows);
        Tensor rstd = Tensor.zeros(arena, rows);
        gradCheck("layerNorm (x)", x, dOut, (xi, out) -> SCALAR.layerNorm(xi, gamma, beta, out, mean, rstd, 1e-5f),
                (xi, dX) -> {
                    Tensor out = Tensor.zeros(arena, rows, cols);
                    SCALAR.layerNorm(xi, gamma, beta, out, mean, rstd, 1e-5f);
                    SCALAR.layerNormBackward(xi, gamma, mean, rstd, dOut, dX, Tensor.zeros(arena, cols),
                            Tensor.zeros(arena, cols));
                });
        gradCheck("layerNorm (gamma)", gamma, dOut, (g, out) -> SCALAR.layerNorm(x, g, beta, out, mean, rstd, 1e-5f),
                (g, dGamma) -> {
                    Tensor out = Tensor.zeros(arena, rows, cols);
                    SCALAR.layerNorm(x, g, beta, out, mean, rstd, 1e-5f);
                    SCALAR.layerNormBackward(x, g, mean, rstd, dOut, Tensor.zeros(arena, rows, cols), dGamma,
                            Tensor.zeros(arena, cols));
                });
        gradCheck("rmsNorm", x, dOut, (xi, out) -> SCALAR.rmsNorm(xi, gamma, out, rstd, 1e-5f), (xi, dX) -> {
            Tensor out = Tensor.zeros(arena, rows, cols);
            SCALAR.rmsNorm(xi, gamma, out, rstd, 1e-5f);
            SCALAR.rmsNormBackward(xi, gamma, rstd, dOut, dX, Tensor.zeros(arena, cols));
        });
        Tensor image = random(15, 2, 4, 3);
        Tensor imageGrad = random(16, 2, 4, 3);
        Tensor channelGamma = random(17, 4);
        Tensor channelBeta = random(18, 4);
        Tensor groupMean = Tensor.zeros(arena, 4);
        Tensor groupRstd = Tensor.zeros(arena, 4);
        gradCheck("groupNorm", image, imageGrad,
                (xi, out) -> SCALAR.groupNorm(xi, 2, channelGamma, channelBeta, out, groupMean, groupRstd, 1e-5f),
                (xi, dX) -> {
                    Tensor out = Tensor.zeros(arena, 2, 4, 3);
                    SCALAR.groupNorm(xi, 2, channelGamma, channelBeta, out, groupMean, groupRstd, 1e-5f);
                    SCALAR.groupNormBackward(xi, 2, channelGamma, groupMean, groupRstd, imageGrad, dX,
                            Tensor.zeros(arena, 4), Tensor.zeros(arena, 4));
                });
        gradCheck("addBias (bias)", gamma, dOut, (b, out) -> SCALAR.addBias(x, b, out),
                (b, dBias) -> SCALAR.addBiasBackward(dOut, dBias));
    }

    @Test
    void lossGradientsMatchFiniteDifferences() {
        Tensor logits = random(21, 4, 6);
        int[] targets = {2, -100, 5, 0};
        Tensor probs = Tensor.zeros(arena, 4, 6);
        Tensor dLogits = Tensor.zeros(arena, 4, 6);
        SCALAR.crossEntropy(logits, targets, -100, probs);
        SCALAR.crossEntropyBackward(probs, targets, -100, 1f, dLogits);
        var ce = GradientCheck.check(v -> SCALAR.crossEntropy(Tensor.of(arena, v, 4, 6), targets, -100,
                Tensor.zeros(arena, 4, 6)), logits.toArray(), dLogits.toArray(), 1e-2);
        assertTrue(ce.passes(1e-2), "cross-entropy: " + ce);
        float[] ignoredRow = java.util.Arrays.copyOfRange(dLogits.toArray(), 6, 12);
        assertArrayEquals(new float[6], ignoredRow, 0f, "an ignored target gets no gradient");

        Tensor pred = random(22, 3, 4);
        Tensor target = random(23, 3, 4);
        Tensor dPred = Tensor.zeros(arena, 3, 4);
        SCALAR.mseBackward(pred, target, 1f, dPred);
        var mse = GradientCheck.check(v -> SCALAR.mse(Tensor.of(arena, v, 3, 4), target), pred.toArray(),
                dPred.toArray(), 1e-2);
        assertTrue(mse.passes(1e-2), "mse: " + mse);
    }

    @Test
    void embeddingAndConcatMoveTheRightData() {
        Tensor table = Tensor.of(arena, new float[] {0, 1, 10, 11, 20, 21}, 3, 2);
        for (Backend backend : new Backend[] {SCALAR, simd}) {
            Tensor out = Tensor.zeros(arena, 4, 2);
            backend.embedding(table, new int[] {2, 0, 2, 1}, out);
            assertArrayEquals(new float[] {20, 21, 0, 1, 20, 21, 10, 11}, out.toArray(), 0f);
            Tensor dTable = Tensor.zeros(arena, 3, 2);
            backend.embeddingBackward(new int[] {2, 0, 2, 1}, Tensor.of(arena, new float[] {1, 1, 2, 2, 3, 3, 4, 4}, 4, 2),
                    dTable);
            assertArrayEquals(new float[] {2, 2, 4, 4, 4, 4}, dTable.toArray(), 0f, "repeated ids accumulate");

            Tensor a = Tensor.of(arena, new float[] {1, 2, 3, 4}, 2, 1, 2);
            Tensor b = Tensor.of(arena, new float[] {5, 6, 7, 8, 9, 10, 11, 12}, 2, 2, 2);
            Tensor cat = Tensor.zeros(arena, 2, 3, 2);
            backend.concatChannels(a, b, cat);
            assertArrayEquals(new float[] {1, 2, 5, 6, 7, 8, 3, 4, 9, 10, 11, 12}, cat.toArray(), 0f);
            Tensor dA = Tensor.zeros(arena, 2, 1, 2);
            Tensor dB = Tensor.zeros(arena, 2, 2, 2);
            backend.concatChannelsBackward(cat, dA, dB);
            assertArrayEquals(a.toArray(), dA.toArray(), 0f);
            assertArrayEquals(b.toArray(), dB.toArray(), 0f);
        }
    }

    @Test
    void simdConcatEqualsTheScalarReference() {
        SplittableRandom random = new SplittableRandom(17);
        int[] channels = {1, 2, 3, 5, 16};
        int[] spatial = {1, 3, 7, 9, 64};
        for (int trial = 0; trial < 40; trial++) {
            int batch = 1 + random.nextInt(5);
            int ca = channels[random.nextInt(channels.length)];
            int cb = channels[random.nextInt(channels.length)];
            int hw = spatial[random.nextInt(spatial.length)];
            Tensor a = random(trial * 3L, batch, ca, hw);
            Tensor b = random(trial * 3L + 1, batch, cb, hw);
            Tensor dOut = random(trial * 3L + 2, batch, ca + cb, hw);
            float[][] results = new float[2][];
            float[][] gradients = new float[2][];
            Backend[] backends = {SCALAR, simd};
            for (int k = 0; k < 2; k++) {
                Tensor cat = Tensor.zeros(arena, batch, ca + cb, hw);
                backends[k].concatChannels(a, b, cat);
                results[k] = cat.toArray();
                // Non-zero starting gradients: the backward accumulates.
                Tensor dA = random(7, batch, ca, hw);
                Tensor dB = random(8, batch, cb, hw);
                backends[k].concatChannelsBackward(dOut, dA, dB);
                float[] both = new float[(int) (dA.size() + dB.size())];
                System.arraycopy(dA.toArray(), 0, both, 0, (int) dA.size());
                System.arraycopy(dB.toArray(), 0, both, (int) dA.size(), (int) dB.size());
                gradients[k] = both;
            }
            String shape = "batch " + batch + ", channels " + ca + " + " + cb + ", " + hw + " pixels";
            assertArrayEquals(results[0], results[1], 0f, "concatChannels, " + shape);
            assertArrayEquals(gradients[0], gradients[1], 0f, "concatChannelsBackward, " + shape);
        }
    }

    @Test
    void transposeAndChannelBiasMoveTheRightData() {
        int[] sizes = {1, 2, 3, 7, 16, 17};
        SplittableRandom random = new SplittableRandom(5);
        for (int rows : sizes) {
            for (int cols : sizes) {
                int batch = 1 + random.nextInt(3);
                Tensor x = random(rows * 31L + cols, batch, rows, cols);
                float[] xs = x.toArray();
                for (Backend backend : new Backend[] {SCALAR, simd}) {
                    Tensor out = Tensor.zeros(arena, batch, cols, rows);
                    backend.transpose(x, out);
                    float[] got = out.toArray();
                    for (int b = 0; b < batch; b++) {
                        for (int i = 0; i < rows; i++) {
                            for (int j = 0; j < cols; j++) {
                                assertEquals(xs[(b * rows + i) * cols + j], got[(b * cols + j) * rows + i], 0f,
                                        backend.name() + " transpose " + rows + "x" + cols);
                            }
                        }
                    }
                    // x [batch, rows, cols] read as [N = batch, C = rows, spatial = cols]
                    Tensor bias = random(7, batch, rows);
                    float[] bs = bias.toArray();
                    Tensor sum = Tensor.zeros(arena, batch, rows, cols);
                    backend.addChannelBias(x, bias, sum);
                    float[] sums = sum.toArray();
                    Tensor dBias = Tensor.of(arena, bs.clone(), batch, rows);
                    backend.addChannelBiasBackward(x, dBias);
                    float[] dbs = dBias.toArray();
                    for (int p = 0; p < batch * rows; p++) {
                        double total = bs[p];
                        for (int j = 0; j < cols; j++) {
                            assertEquals(xs[p * cols + j] + bs[p], sums[p * cols + j], 0f, "addChannelBias");
                            total += xs[p * cols + j];
                        }
                        assertEquals(total, dbs[p], 1e-5 * (1 + Math.abs(total)), "addChannelBiasBackward accumulates");
                    }
                }
            }
        }
        for (Backend backend : new Backend[] {SCALAR, simd}) {
            var e = assertThrows(IllegalArgumentException.class, () -> backend.transpose(Tensor.zeros(arena, 2, 3, 4),
                    Tensor.zeros(arena, 2, 3, 4)));
            assertTrue(e.getMessage().contains("transpose") && e.getMessage().contains("[2, 3, 4]"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> backend.addChannelBias(Tensor.zeros(arena, 2, 3, 4),
                    Tensor.zeros(arena, 2, 4), Tensor.zeros(arena, 2, 3, 4)));
            assertTrue(e.getMessage().contains("bias is [2, 4]") && e.getMessage().contains("needs [2, 3]"),
                    e.getMessage());
        }
    }

    @Test
    void badInputNamesTheOpAndShapes() {
        Tensor x = Tensor.zeros(arena, 2, 3);
        Tensor y = Tensor.zeros(arena, 3, 2);
        for (Backend backend : new Backend[] {SCALAR, simd}) {
            var e = assertThrows(IllegalArgumentException.class, () -> backend.add(x, y, x));
            assertTrue(e.getMessage().contains("add") && e.getMessage().contains("[3, 2]")
                    && e.getMessage().contains("[2, 3]"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> backend.groupNorm(Tensor.zeros(arena, 1, 6, 4), 4,
                    Tensor.zeros(arena, 6), Tensor.zeros(arena, 6), Tensor.zeros(arena, 1, 6, 4),
                    Tensor.zeros(arena, 4), Tensor.zeros(arena, 4), 1e-5f));
            assertTrue(e.getMessage().contains("4 groups do not divide the 6 channels"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> backend.crossEntropy(x, new int[] {0, 3}, -100,
                    Tensor.zeros(arena, 2, 3)));
            assertTrue(e.getMessage().contains("targets[1] = 3"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> backend.embedding(x, new int[] {5}, Tensor.zeros(arena, 1, 3)));
            assertTrue(e.getMessage().contains("ids[0] = 5"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> backend.layerNorm(x, Tensor.zeros(arena, 3),
                    Tensor.zeros(arena, 3), Tensor.zeros(arena, 2, 3), Tensor.zeros(arena, 2), Tensor.zeros(arena, 2), 0f));
            assertTrue(e.getMessage().contains("eps"), e.getMessage());
        }
    }
}
