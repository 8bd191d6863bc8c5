package dev.panamax.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.panamax.engine.kernel.ConvShape;
import dev.panamax.engine.kernel.simd.conv.SimdConv2d;
import dev.panamax.engine.parallel.WorkerPool;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The SIMD convolution (forward, input, weight and bias gradients) against the scalar reference and a double
 * oracle ({@link ConvOracle}: an error bound from the reduction length) over random shapes, on 1, 2 and 3
 * threads, which must agree bit for bit. Backward calls start from non-zero gradients, so accumulation is tested.
 */
class ConvTest {

    private static final int[] CHANNELS = {1, 3, 5, 16, 17};
    private static final int[][] KERNELS = {{1, 1}, {3, 3}, {5, 5}, {2, 3}};
    /** Multiply-adds per case for one pass: keeps the scalar reference and the oracle quick. */
    private static final long MAX_WORK = 3_000_000L;

    private static final ScalarBackend SCALAR = new ScalarBackend();
    private static WorkerPool[] pools;

    @BeforeAll
    static void startPools() {
        pools = new WorkerPool[] {new WorkerPool(1), new WorkerPool(2), new WorkerPool(3)};
    }

    @AfterAll
    static void stopPools() {
        for (WorkerPool pool : pools) {
            pool.close();
        }
    }

    record Case(int n, int c, int h, int w, int o, int kh, int kw, int stride, int pad, boolean bias, long seed) {
        @Override
        public String toString() {
            return "x[" + n + "," + c + "," + h + "," + w + "] w[" + o + "," + c + "," + kh + "," + kw + "] stride "
                    + stride + " pad " + pad + (bias ? " +bias" : "");
        }
    }

    static Stream<Case> cases() {
        SplittableRandom random = new SplittableRandom(20261130);
        List<Case> cases = new ArrayList<>();
        while (cases.size() < 44) {
            int[] k = KERNELS[random.nextInt(KERNELS.length)];
            int stride = 1 + random.nextInt(2);
            int pad = random.nextInt(3);
            int h = 1 + random.nextInt(33);
            int w = 1 + random.nextInt(33);
            int n = 1 + random.nextInt(3);
            int c = CHANNELS[random.nextInt(CHANNELS.length)];
            int o = CHANNELS[random.nextInt(CHANNELS.length)];
            if (k[0] > h + 2 * pad || k[1] > w + 2 * pad) {
                continue;
            }
            long work = (long) n * o * c * k[0] * k[1] * ((h + 2L * pad - k[0]) / stride + 1)
                    * ((w + 2L * pad - k[1]) / stride + 1);
            if (work > MAX_WORK) {
                continue;
            }
            cases.add(new Case(n, c, h, w, o, k[0], k[1], stride, pad, random.nextBoolean(), random.nextLong()));
        }
        // The shapes of the fast paths and their edges: a U-Net 3×3 layer, rows shorter than a micro-panel (8, 4,
        // 1 wide), odd sizes, 1×1 as a plain GEMM, a padding wider than the input, the kernel filling the input,
        // strided downsampling.
        cases.add(new Case(2, 16, 32, 32, 16, 3, 3, 1, 1, true, 1));
        cases.add(new Case(3, 17, 8, 8, 16, 3, 3, 1, 1, true, 2));
        cases.add(new Case(1, 5, 4, 4, 17, 3, 3, 1, 1, false, 3));
        cases.add(new Case(2, 3, 33, 1, 5, 3, 3, 1, 1, true, 4));
        cases.add(new Case(1, 16, 17, 31, 3, 1, 1, 1, 0, true, 5));
        cases.add(new Case(3, 17, 9, 7, 16, 1, 1, 1, 0, false, 6));
        cases.add(new Case(1, 3, 1, 1, 5, 3, 3, 1, 2, true, 7));
        cases.add(new Case(2, 5, 5, 5, 3, 5, 5, 1, 0, true, 8));
        cases.add(new Case(2, 16, 16, 16, 16, 3, 3, 2, 1, true, 9));
        cases.add(new Case(1, 17, 15, 13, 5, 1, 1, 2, 0, false, 10));
        // Strides whose phases lack taps (kernel narrower than the stride) or pixels (input narrower than it).
        cases.add(new Case(2, 5, 10, 11, 3, 2, 3, 3, 1, true, 11));
        cases.add(new Case(1, 3, 2, 9, 4, 1, 2, 3, 0, false, 12));
        // The U-Net's 14- and 7-wide levels and a 4-wide image: vectors of pixels straddling two and three output
        // rows, packed as blended loads.
        cases.add(new Case(2, 16, 14, 14, 17, 3, 3, 1, 1, true, 14));
        cases.add(new Case(3, 5, 7, 7, 16, 3, 3, 1, 1, true, 15));
        cases.add(new Case(2, 3, 6, 4, 5, 3, 3, 1, 1, true, 16));
        // Images larger than one channels-last group of the weight gradient: the reduction spans several groups.
        cases.add(new Case(3, 1, 128, 130, 2, 3, 3, 1, 1, true, 13));
        // Several images per group and a short last group (7 + 1 images of 16 channels at 32×32), whose units the
        // threads split in the middle of a group.
        cases.add(new Case(8, 16, 32, 32, 4, 3, 3, 1, 1, false, 17));
        // Weight gradients whose columns fit one micro-panel (im2col + GEMM): a first layer (1 → 16 channels),
        // two channels of 2×3 taps with stride 2, and 5×5 of one channel, 17 outputs split over the threads.
        cases.add(new Case(4, 1, 28, 28, 16, 3, 3, 1, 1, true, 18));
        cases.add(new Case(3, 2, 11, 9, 6, 2, 3, 2, 1, false, 19));
        cases.add(new Case(2, 1, 9, 10, 17, 5, 5, 1, 2, true, 20));
        // Winograd F(2×2, 3×3): odd heights and widths (tiles half outside the image), one row of tiles, panels
        // that run across two images (3 chunks of tiles per image), 15-wide rows (a vector of 8 tiles, one
        // discarded), reductions of 8, 9 and 33 channels, and more input channels than one reduction block
        // (KC = 512 on AVX2, 256 on AVX-512): forward over 520 channels, input gradient over 520 outputs.
        cases.add(new Case(3, 8, 5, 15, 9, 3, 3, 1, 1, true, 21));
        cases.add(new Case(2, 9, 1, 16, 8, 3, 3, 1, 1, false, 22));
        cases.add(new Case(2, 33, 6, 30, 5, 3, 3, 1, 1, true, 23));
        cases.add(new Case(3, 12, 5, 14, 12, 3, 3, 1, 1, true, 24));
        cases.add(new Case(1, 520, 2, 14, 3, 3, 3, 1, 1, true, 25));
        cases.add(new Case(1, 4, 3, 14, 520, 3, 3, 1, 1, false, 26));
        // The Winograd weight gradient (at least 128 tiles per image): odd sizes, one row of 129 tiles, 33 output
        // channels, 9 images in groups with a short last one, and 576 tiles per image (two reduction blocks of
        // the micro-kernel on AVX2).
        cases.add(new Case(2, 9, 23, 25, 8, 3, 3, 1, 1, true, 27));
        cases.add(new Case(1, 8, 2, 257, 9, 3, 3, 1, 1, false, 28));
        cases.add(new Case(2, 8, 24, 22, 33, 3, 3, 1, 1, true, 29));
        cases.add(new Case(9, 8, 22, 24, 8, 3, 3, 1, 1, false, 30));
        cases.add(new Case(2, 16, 48, 48, 12, 3, 3, 1, 1, true, 31));
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void simdMatchesScalarAndOracleOnEveryThreadCount(Case tc) {
        SplittableRandom random = new SplittableRandom(tc.seed());
        ConvOracle oracle = new ConvOracle(tc.n(), tc.c(), tc.h(), tc.w(), tc.o(), tc.kh(), tc.kw(), tc.stride(),
                tc.pad());
        int[] xShape = {tc.n(), tc.c(), tc.h(), tc.w()};
        int[] wShape = {tc.o(), tc.c(), tc.kh(), tc.kw()};
        int[] yShape = {tc.n(), tc.o(), oracle.oh(), oracle.ow()};
        float[] x = uniform(random, xShape);
        float[] wt = uniform(random, wShape);
        float[] bias = tc.bias() ? uniform(random, tc.o()) : null;
        float[] dy = uniform(random, yShape);
        float[] dx0 = uniform(random, xShape);
        float[] dw0 = uniform(random, wShape);
        float[] db0 = uniform(random, tc.o());

        ConvOracle.Exact y = oracle.forward(x, wt, bias);
        ConvOracle.Exact dx = oracle.backwardInput(dy, wt, dx0);
        ConvOracle.Exact[] dwdb = oracle.backwardWeight(x, dy, dw0, db0);
        // 3×3, stride-1, padding-1 layers run by Winograd's algorithm in the SIMD backend, with their own bound.
        ConvShape shape = new ConvShape(tc.n(), tc.c(), tc.h(), tc.w(), tc.o(), tc.kh(), tc.kw(), tc.stride(),
                tc.pad(), oracle.oh(), oracle.ow());
        ConvOracle.Exact ySimd = SimdConv2d.forwardUsesWinograd(shape) ? oracle.winogradForward(y, x, wt, bias) : y;
        ConvOracle.Exact dxSimd = SimdConv2d.backwardInputUsesWinograd(shape)
                ? oracle.winogradBackwardInput(dx, dy, wt, dx0) : dx;
        ConvOracle.Exact dwSimd = SimdConv2d.backwardWeightUsesWinograd(shape)
                ? oracle.winogradBackwardWeight(dwdb[0], x, dy, dw0) : dwdb[0];

        try (Arena arena = Arena.ofShared()) {
            Tensor xt = Tensor.of(arena, x, xShape);
            Tensor wtt = Tensor.of(arena, wt, wShape);
            Tensor bt = bias == null ? null : Tensor.of(arena, bias, tc.o());
            Tensor dyt = Tensor.of(arena, dy, yShape);

            // The scalar reference obeys the same bound.
            Tensor[] scalar = run(SCALAR, arena, tc, xt, wtt, bt, dyt, dx0, dw0, db0, xShape, wShape, yShape);
            y.assertWithin(tc + " scalar forward", scalar[0].toArray());
            dx.assertWithin(tc + " scalar input gradient", scalar[1].toArray());
            dwdb[0].assertWithin(tc + " scalar weight gradient", scalar[2].toArray());
            dwdb[1].assertWithin(tc + " scalar bias gradient", scalar[3].toArray());

            float[][] first = null;
            for (WorkerPool pool : pools) {
                Tensor[] simd = run(new SimdBackend(pool), arena, tc, xt, wtt, bt, dyt, dx0, dw0, db0, xShape,
                        wShape, yShape);
                String where = tc + " threads=" + pool.threads();
                float[][] got = {simd[0].toArray(), simd[1].toArray(), simd[2].toArray(), simd[3].toArray()};
                ySimd.assertWithin(where + " forward", got[0]);
                dxSimd.assertWithin(where + " input gradient", got[1]);
                dwSimd.assertWithin(where + " weight gradient", got[2]);
                dwdb[1].assertWithin(where + " bias gradient", got[3]);
                if (first == null) {
                    first = got;
                } else {
                    String[] names = {"forward", "input gradient", "weight gradient", "bias gradient"};
                    for (int i = 0; i < names.length; i++) {
                        assertArrayEquals(first[i], got[i], 0f, where + ": the " + names[i]
                                + " must be bit-identical for 1 and " + pool.threads() + " threads");
                    }
                }
            }
        }
    }

    /** Forward, input gradient (from dx0), weight and bias gradients (from dw0, db0) on one backend. */
    static Tensor[] run(Backend backend, Arena arena, Case tc, Tensor x, Tensor wt, Tensor bias, Tensor dy,
                        float[] dx0, float[] dw0, float[] db0, int[] xShape, int[] wShape, int[] yShape) {
        Tensor y = Tensor.zeros(arena, yShape);
        y.fill(Float.NaN);     // the forward writes every element and never reads the old ones
        backend.conv2d(x, wt, bias, y, tc.stride(), tc.pad());
        Tensor dx = Tensor.of(arena, dx0, xShape);
        backend.conv2dBackwardInput(dy, wt, dx, tc.stride(), tc.pad());
        Tensor dw = Tensor.of(arena, dw0, wShape);
        Tensor db = Tensor.of(arena, db0, tc.o());
        backend.conv2dBackwardWeight(x, dy, dw, db, tc.stride(), tc.pad());
        return new Tensor[] {y, dx, dw, db};
    }

    static float[] uniform(SplittableRandom random, int... shape) {
        int size = 1;
        for (int d : shape) {
            size *= d;
        }
        float[] v = new float[size];
        for (int i = 0; i < size; i++) {
            v[i] = (float) random.nextDouble(-1, 1);
        }
        return v;
    }
}
