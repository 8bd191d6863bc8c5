package dev.panamax.engine;

import static dev.panamax.engine.CudaGemmTest.assertClose;

import dev.panamax.engine.cuda.CudaBackend;
import dev.panamax.engine.cuda.CudaTestSupport;
import java.lang.foreign.Arena;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The CUDA implicit-GEMM convolution (forward, input, weight and bias gradients) against the exact oracle with
 * the error bound of {@link ConvTest}, over the same random and edge shapes; and the 2× resampling kernels against
 * the scalar reference. Skipped without a GPU.
 */
class CudaConvTest {

    private static CudaBackend cuda;

    @BeforeAll
    static void device() {
        cuda = CudaTestSupport.backendOrSkip();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.panamax.engine.ConvTest#cases")
    void cudaMatchesTheOracle(ConvTest.Case tc) {
        SplittableRandom random = new SplittableRandom(tc.seed());
        ConvOracle oracle = new ConvOracle(tc.n(), tc.c(), tc.h(), tc.w(), tc.o(), tc.kh(), tc.kw(), tc.stride(),
                tc.pad());
        int[] xShape = {tc.n(), tc.c(), tc.h(), tc.w()};
        int[] wShape = {tc.o(), tc.c(), tc.kh(), tc.kw()};
        int[] yShape = {tc.n(), tc.o(), oracle.oh(), oracle.ow()};
        float[] x = ConvTest.uniform(random, xShape);
        float[] wt = ConvTest.uniform(random, wShape);
        float[] bias = tc.bias() ? ConvTest.uniform(random, tc.o()) : null;
        float[] dy = ConvTest.uniform(random, yShape);
        float[] dx0 = ConvTest.uniform(random, xShape);
        float[] dw0 = ConvTest.uniform(random, wShape);
        float[] db0 = ConvTest.uniform(random, tc.o());
        try (Arena arena = Arena.ofShared()) {
            Tensor xt = Tensor.of(arena, x, xShape);
            Tensor wtt = Tensor.of(arena, wt, wShape);
            Tensor bt = bias == null ? null : Tensor.of(arena, bias, tc.o());
            Tensor dyt = Tensor.of(arena, dy, yShape);
            Tensor[] got = ConvTest.run(cuda, arena, tc, xt, wtt, bt, dyt, dx0, dw0, db0, xShape, wShape, yShape);
            oracle.forward(x, wt, bias).assertWithin(tc + " cuda forward", got[0].toArray());
            oracle.backwardInput(dy, wt, dx0).assertWithin(tc + " cuda input gradient", got[1].toArray());
            ConvOracle.Exact[] dwdb = oracle.backwardWeight(x, dy, dw0, db0);
            dwdb[0].assertWithin(tc + " cuda weight gradient", got[2].toArray());
            dwdb[1].assertWithin(tc + " cuda bias gradient", got[3].toArray());
        }
    }

    @Test
    void resamplingMatchesTheScalarReference() {
        ScalarBackend scalar = new ScalarBackend();
        int[][] shapes = {{1, 1, 1, 1}, {2, 3, 5, 7}, {1, 4, 16, 16}, {3, 2, 9, 4}};
        for (int[] s : shapes) {
            try (Arena arena = Arena.ofShared()) {
                Tensor small = Tensor.randn(arena, 1, s);
                Tensor big = Tensor.randn(arena, 2, s[0], s[1], 2 * s[2] + 1, 2 * s[3] + 1);  // odd: pooling drops
                Tensor bigEven = Tensor.randn(arena, 3, s[0], s[1], 2 * s[2], 2 * s[3]);
                Tensor up = Tensor.zeros(arena, s[0], s[1], 2 * s[2], 2 * s[3]);
                Tensor upWant = Tensor.zeros(arena, s[0], s[1], 2 * s[2], 2 * s[3]);
                cuda.upsampleNearest2x(small, up);
                scalar.upsampleNearest2x(small, upWant);
                assertClose(upWant.toArray(), up.toArray(), 0f);
                Tensor dSmall = Tensor.randn(arena, 4, s);
                Tensor dSmallWant = Tensor.of(arena, dSmall.toArray(), s);
                cuda.upsampleNearest2xBackward(bigEven, dSmall);
                scalar.upsampleNearest2xBackward(bigEven, dSmallWant);
                assertClose(dSmallWant.toArray(), dSmall.toArray(), 1e-6f);
                Tensor pooled = Tensor.zeros(arena, s);
                Tensor pooledWant = Tensor.zeros(arena, s);
                cuda.avgPool2x2(big, pooled);
                scalar.avgPool2x2(big, pooledWant);
                assertClose(pooledWant.toArray(), pooled.toArray(), 0f);
                Tensor dBig = Tensor.randn(arena, 5, big.shape());
                Tensor dBigWant = Tensor.of(arena, dBig.toArray(), big.shape());
                cuda.avgPool2x2Backward(small, dBig);
                scalar.avgPool2x2Backward(small, dBigWant);
                assertClose(dBigWant.toArray(), dBig.toArray(), 0f);
            }
        }
    }
}
