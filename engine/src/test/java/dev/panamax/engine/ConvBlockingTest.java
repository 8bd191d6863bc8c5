package dev.panamax.engine;

import dev.panamax.engine.kernel.ConvShape;
import dev.panamax.engine.kernel.simd.conv.SimdConv2d;
import dev.panamax.engine.kernel.simd.gemm.GemmBlocking;
import dev.panamax.engine.kernel.simd.gemm.MicroKernel;
import dev.panamax.engine.kernel.simd.gemm.MicroKernel4x2;
import dev.panamax.engine.kernel.simd.gemm.MicroKernel6x2;
import dev.panamax.engine.kernel.simd.gemm.MicroKernel8x2;
import dev.panamax.engine.parallel.WorkerPool;
import java.lang.foreign.Arena;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The convolution on every micro-kernel (not only the one this CPU picks) with a tiny KC, so that the reduction
 * is cut into many blocks (accumulated through C) in the forward, the input gradient and the weight gradient, and
 * so that the 6-row kernel exercises the non-4-row packing paths. Checked against the double oracle.
 */
class ConvBlockingTest {

    static Stream<MicroKernel> kernels() {
        return Stream.of(new MicroKernel4x2(), new MicroKernel6x2(), new MicroKernel8x2());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernels")
    void tinyReductionBlocksMatchTheOracle(MicroKernel kernel) {
        SimdConv2d conv = new SimdConv2d(GemmBlocking.of(kernel, 2 * kernel.mr(), 7, 2 * kernel.nr()));
        int[][] shapes = {{2, 5, 9, 11, 7, 3, 3, 1, 1}, {1, 16, 8, 8, 13, 3, 3, 2, 1}, {3, 3, 6, 17, 9, 1, 1, 1, 0},
                {1, 9, 12, 5, 4, 2, 3, 1, 2}};
        SplittableRandom random = new SplittableRandom(kernel.mr());
        try (Arena arena = Arena.ofShared(); WorkerPool pool = new WorkerPool(2)) {
            for (int[] d : shapes) {
                ConvOracle oracle = new ConvOracle(d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8]);
                ConvShape s = new ConvShape(d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], oracle.oh(),
                        oracle.ow());
                float[] x = ConvTest.uniform(random, s.inputShape());
                float[] w = ConvTest.uniform(random, s.weightShape());
                float[] bias = ConvTest.uniform(random, s.o());
                float[] dy = ConvTest.uniform(random, s.outputShape());
                float[] dx0 = ConvTest.uniform(random, s.inputShape());
                float[] dw0 = ConvTest.uniform(random, s.weightShape());
                float[] db0 = ConvTest.uniform(random, s.o());
                Tensor xt = Tensor.of(arena, x, s.inputShape());
                Tensor wt = Tensor.of(arena, w, s.weightShape());
                Tensor bt = Tensor.of(arena, bias, s.o());
                Tensor dyt = Tensor.of(arena, dy, s.outputShape());
                Tensor y = Tensor.zeros(arena, s.outputShape());
                Tensor dx = Tensor.of(arena, dx0, s.inputShape());
                Tensor dw = Tensor.of(arena, dw0, s.weightShape());
                Tensor db = Tensor.of(arena, db0, s.o());
                conv.forward(s, xt.segment(), wt.segment(), bt.segment(), y.segment(), pool);
                conv.backwardInput(s, dyt.segment(), wt.segment(), dx.segment(), pool);
                conv.backwardWeight(s, xt.segment(), dyt.segment(), dw.segment(), db.segment(), pool);
                String what = kernel.getClass().getSimpleName() + " " + s;
                oracle.forward(x, w, bias).assertWithin(what + " forward", y.toArray());
                oracle.backwardInput(dy, w, dx0).assertWithin(what + " input gradient", dx.toArray());
                ConvOracle.Exact[] dwdb = oracle.backwardWeight(x, dy, dw0, db0);
                dwdb[0].assertWithin(what + " weight gradient", dw.toArray());
                dwdb[1].assertWithin(what + " bias gradient", db.toArray());
            }
        }
    }
}
