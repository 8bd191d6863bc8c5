package dev.panamax.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panamax.engine.autograd.ElementwiseOps;
import dev.panamax.engine.autograd.NormOps;
import dev.panamax.engine.autograd.ShapeOps;
import dev.panamax.engine.autograd.Tape;
import dev.panamax.engine.autograd.Var;
import dev.panamax.engine.nn.Parameter;
import dev.panamax.engine.parallel.WorkerPool;
import java.lang.foreign.Arena;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The fused SiLU(GroupNorm(x)): the SIMD kernel against the scalar reference over odd and tiny shapes and thread
 * counts (bit-identical across thread counts), the reference against GroupNorm followed by SiLU, the autograd op
 * against the unfused pair on a tape, and bad input. Finite-difference checks of the op are in AutogradTest.
 */
class GroupNormSiluTest {

    private static final ScalarBackend SCALAR = new ScalarBackend();
    private static final float EPS = 1e-5f;
    private static Arena arena;

    @BeforeAll
    static void setUp() {
        arena = Arena.ofShared();
    }

    @AfterAll
    static void tearDown() {
        arena.close();
    }

    /** out, mean, rstd, dX, dGamma, dBeta of one forward and backward call (dX starts at 1: it accumulates). */
    private static float[][] fused(Backend backend, Tensor x, int groups, Tensor gamma, Tensor beta, Tensor dOut) {
        int batch = x.dim(0);
        int channels = x.dim(1);
        Tensor out = Tensor.zeros(arena, x.shape());
        Tensor mean = Tensor.zeros(arena, batch * groups);
        Tensor rstd = Tensor.zeros(arena, batch * groups);
        backend.groupNormSilu(x, groups, gamma, beta, out, mean, rstd, EPS);
        Tensor dX = Tensor.zeros(arena, x.shape());
        dX.fill(1f);
        Tensor dGamma = Tensor.zeros(arena, channels);
        Tensor dBeta = Tensor.zeros(arena, channels);
        dBeta.fill(-1f);
        backend.groupNormSiluBackward(x, groups, gamma, beta, mean, rstd, EPS, dOut, dX, dGamma, dBeta);
        return new float[][] {out.toArray(), mean.toArray(), rstd.toArray(), dX.toArray(), dGamma.toArray(),
            dBeta.toArray()};
    }

    /** The same through the separate GroupNorm and SiLU operations of the scalar backend. */
    private static float[][] composed(Tensor x, int groups, Tensor gamma, Tensor beta, Tensor dOut) {
        int batch = x.dim(0);
        int channels = x.dim(1);
        Tensor y = Tensor.zeros(arena, x.shape());
        Tensor out = Tensor.zeros(arena, x.shape());
        Tensor mean = Tensor.zeros(arena, batch * groups);
        Tensor rstd = Tensor.zeros(arena, batch * groups);
        SCALAR.groupNorm(x, groups, gamma, beta, y, mean, rstd, EPS);
        SCALAR.silu(y, out);
        Tensor dY = Tensor.zeros(arena, x.shape());
        SCALAR.siluBackward(y, dOut, dY);
        Tensor dX = Tensor.zeros(arena, x.shape());
        dX.fill(1f);
        Tensor dGamma = Tensor.zeros(arena, channels);
        Tensor dBeta = Tensor.zeros(arena, channels);
        dBeta.fill(-1f);
        SCALAR.groupNormBackward(x, groups, gamma, mean, rstd, dY, dX, dGamma, dBeta);
        return new float[][] {out.toArray(), mean.toArray(), rstd.toArray(), dX.toArray(), dGamma.toArray(),
            dBeta.toArray()};
    }

    private static final String[] PARTS = {"out", "mean", "rstd", "dX", "dGamma", "dBeta"};

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
    void simdMatchesTheReferenceAndTheThreadCountDoesNotChangeTheBits() {
        int[][] channelsAndGroups = {{1, 1}, {4, 2}, {6, 3}, {16, 8}, {12, 1}, {32, 8}};
        int[] spatials = {1, 3, 7, 8, 9, 17, 49, 100};
        try (WorkerPool one = new WorkerPool(1); WorkerPool two = new WorkerPool(2);
             WorkerPool three = new WorkerPool(3)) {
            Backend[] simd = {new SimdBackend(one), new SimdBackend(two), new SimdBackend(three)};
            for (int batch : new int[] {1, 2, 3}) {
                for (int[] cg : channelsAndGroups) {
                    for (int spatial : spatials) {
                        long seed = batch * 10_000L + cg[0] * 100L + spatial;
                        // Values around 3 with spread 2..6 (via gamma): SiLU's curved part and both tails.
                        Tensor x = Tensor.uniform(arena, seed, 1f, 5f, batch, cg[0], spatial);
                        Tensor gamma = Tensor.uniform(arena, seed + 1, -3f, 3f, cg[0]);
                        Tensor beta = Tensor.uniform(arena, seed + 2, -2f, 2f, cg[0]);
                        Tensor dOut = Tensor.uniform(arena, seed + 3, -1f, 1f, batch, cg[0], spatial);
                        String what = batch + "x" + cg[0] + "x" + spatial + " in " + cg[1] + " groups";
                        float[][] want = fused(SCALAR, x, cg[1], gamma, beta, dOut);
                        float[][] first = fused(simd[0], x, cg[1], gamma, beta, dOut);
                        // dX's three terms are of size rstd·|gamma·dY| and cancel down to their difference: in
                        // a group of 2 values rstd reaches 10² and more, and so does dX's float rounding.
                        float maxRstd = 1;
                        for (float r : want[2]) {
                            maxRstd = Math.max(maxRstd, r);
                        }
                        for (int p = 0; p < PARTS.length; p++) {
                            // Float statistics over ≤ 3200 values against double ones; dGamma sums ≤ 300 terms.
                            double abs = PARTS[p].equals("dX") ? 5e-4 * maxRstd : 5e-4;
                            assertClose("groupNormSilu " + PARTS[p] + " " + what + " (rstd up to " + maxRstd + ")",
                                    want[p], first[p], abs, 2e-4);
                        }
                        for (int t = 1; t < simd.length; t++) {
                            float[][] got = fused(simd[t], x, cg[1], gamma, beta, dOut);
                            for (int p = 0; p < PARTS.length; p++) {
                                assertArrayEquals(first[p], got[p], 0f, "groupNormSilu " + PARTS[p] + " " + what
                                        + ": 1 and " + (t + 1) + " threads differ");
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void theReferenceEqualsGroupNormFollowedBySilu() {
        for (int spatial : new int[] {1, 5, 64}) {
            Tensor x = Tensor.uniform(arena, spatial, -2f, 2f, 2, 6, spatial);
            Tensor gamma = Tensor.uniform(arena, spatial + 1, 0.5f, 2f, 6);
            Tensor beta = Tensor.uniform(arena, spatial + 2, -1f, 1f, 6);
            Tensor dOut = Tensor.uniform(arena, spatial + 3, -1f, 1f, 2, 6, spatial);
            float[][] want = composed(x, 3, gamma, beta, dOut);
            float[][] got = fused(SCALAR, x, 3, gamma, beta, dOut);
            for (int p = 0; p < PARTS.length; p++) {
                // The composition rounds GroupNorm's output to float before SiLU; the fused reference does not.
                assertClose("fused vs composed " + PARTS[p] + " at " + spatial, want[p], got[p], 1e-5, 1e-5);
            }
        }
    }

    @Test
    void theAutogradOpGivesTheGradientsOfGroupNormThenSilu() {
        try (WorkerPool two = new WorkerPool(2)) {
            Backend simd = new SimdBackend(two);
            Tensor image = Tensor.uniform(arena, 5, -2f, 2f, 3, 8, 5, 5);
            Tensor weights = Tensor.uniform(arena, 6, -1f, 1f, 3, 8, 5, 5);
            Parameter x = Parameter.of(arena, "x", image, true);
            Parameter gamma = Parameter.of(arena, "gamma", Tensor.uniform(arena, 7, 0.5f, 1.5f, 8), true);
            Parameter beta = Parameter.of(arena, "beta", Tensor.uniform(arena, 8, -0.5f, 0.5f, 8), true);
            float[][] want = new float[4][];
            float[][] got = new float[4][];
            for (boolean fuse : new boolean[] {false, true}) {
                x.grad().fill(0f);
                gamma.grad().fill(0f);
                beta.grad().fill(0f);
                try (Tape tape = new Tape(simd)) {
                    Var in = tape.param(x);
                    Var y = fuse
                            ? NormOps.groupNormSilu(tape, in, 4, tape.param(gamma), tape.param(beta), EPS)
                            : ElementwiseOps.silu(tape, NormOps.groupNorm(tape, in, 4, tape.param(gamma),
                                    tape.param(beta), EPS));
                    Var loss = ShapeOps.sum(tape, ElementwiseOps.mul(tape, y, tape.constant(weights)));
                    tape.backward(loss);
                    float[][] into = fuse ? got : want;
                    into[0] = y.value().toArray();
                    into[1] = x.grad().toArray();
                    into[2] = gamma.grad().toArray();
                    into[3] = beta.grad().toArray();
                }
            }
            String[] names = {"output", "dX", "dGamma", "dBeta"};
            for (int p = 0; p < names.length; p++) {
                assertClose("fused op " + names[p], want[p], got[p], 1e-5, 1e-4);
            }
        }
    }

    @Test
    void badInputNamesTheOpAndTheShapes() {
        for (Backend backend : new Backend[] {SCALAR, new SimdBackend()}) {
            Tensor x = Tensor.zeros(arena, 2, 6, 4);
            Tensor six = Tensor.zeros(arena, 6);
            var e = assertThrows(IllegalArgumentException.class, () -> backend.groupNormSilu(x, 4, six, six,
                    Tensor.zeros(arena, 2, 6, 4), Tensor.zeros(arena, 8), Tensor.zeros(arena, 8), EPS));
            assertTrue(e.getMessage().contains("groupNormSilu") && e.getMessage().contains(
                    "4 groups do not divide the 6 channels"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> backend.groupNormSilu(x, 3, six,
                    Tensor.zeros(arena, 5), Tensor.zeros(arena, 2, 6, 4), Tensor.zeros(arena, 6),
                    Tensor.zeros(arena, 6), EPS));
            assertTrue(e.getMessage().contains("beta") && e.getMessage().contains("[2, 6, 4]"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> backend.groupNormSiluBackward(x, 3, six, six,
                    Tensor.zeros(arena, 6), Tensor.zeros(arena, 6), EPS, Tensor.zeros(arena, 2, 6, 5),
                    Tensor.zeros(arena, 2, 6, 4), six, six));
            assertTrue(e.getMessage().contains("groupNormSiluBackward") && e.getMessage().contains("dOut")
                    && e.getMessage().contains("[2, 6, 5]"), e.getMessage());
        }
    }
}
