package dev.panamax.engine;

import dev.panamax.engine.kernel.ConvShape;
import dev.panamax.engine.kernel.GemmShape;
import dev.panamax.engine.kernel.scalar.ScalarConv2d;
import dev.panamax.engine.kernel.scalar.ScalarGemm;
import dev.panamax.engine.kernel.scalar.ScalarResample;

/** The reference backend: plain single-threaded loops, obviously correct; the oracle for every other backend. */
public final class ScalarBackend implements Backend {

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public void gemm(Transpose transA, Transpose transB, int m, int n, int k,
                     float alpha, Tensor a, long aOffset, int lda, Tensor b, long bOffset, int ldb,
                     float beta, Tensor c, long cOffset, int ldc) {
        GemmShape.check("gemm", transA, transB, m, n, k, a, aOffset, lda, 0, b, bOffset, ldb, 0,
                c, cOffset, ldc, 0, 1);
        ScalarGemm.gemm(transA.isTransposed(), transB.isTransposed(), m, n, k, alpha, a.segment(), aOffset, lda,
                b.segment(), bOffset, ldb, beta, c.segment(), cOffset, ldc);
    }

    @Override
    public void gemmStridedBatched(Transpose transA, Transpose transB, int m, int n, int k,
                                   float alpha, Tensor a, long aOffset, int lda, long strideA,
                                   Tensor b, long bOffset, int ldb, long strideB,
                                   float beta, Tensor c, long cOffset, int ldc, long strideC, int batch) {
        GemmShape.check("gemmStridedBatched", transA, transB, m, n, k, a, aOffset, lda, strideA, b, bOffset, ldb,
                strideB, c, cOffset, ldc, strideC, batch);
        for (int i = 0; i < batch; i++) {
            ScalarGemm.gemm(transA.isTransposed(), transB.isTransposed(), m, n, k, alpha,
                    a.segment(), aOffset + i * strideA, lda, b.segment(), bOffset + i * strideB, ldb,
                    beta, c.segment(), cOffset + i * strideC, ldc);
        }
    }

    @Override
    public void conv2d(Tensor input, Tensor weight, Tensor bias, Tensor output, int stride, int padding) {
        ConvShape s = ConvShape.forward(input, weight, bias, output, stride, padding);
        ScalarConv2d.forward(s, input.segment(), weight.segment(), bias == null ? null : bias.segment(),
                output.segment());
    }

    @Override
    public void conv2dBackwardInput(Tensor dOutput, Tensor weight, Tensor dInput, int stride, int padding) {
        ConvShape s = ConvShape.backwardInput(dOutput, weight, dInput, stride, padding);
        ScalarConv2d.backwardInput(s, dOutput.segment(), weight.segment(), dInput.segment());
    }

    @Override
    public void conv2dBackwardWeight(Tensor input, Tensor dOutput, Tensor dWeight, Tensor dBias, int stride,
                                     int padding) {
        ConvShape s = ConvShape.backwardWeight(input, dOutput, dWeight, dBias, stride, padding);
        ScalarConv2d.backwardWeight(s, input.segment(), dOutput.segment(), dWeight.segment(),
                dBias == null ? null : dBias.segment());
    }

    @Override
    public void upsampleNearest2x(Tensor input, Tensor output) {
        int[] d = ConvShape.resample("upsampleNearest2x", "output", output, "input", input, false);
        ScalarResample.upsampleNearest2x(input.segment(), output.segment(), d[0] * d[1], d[2], d[3]);
    }

    @Override
    public void upsampleNearest2xBackward(Tensor dOutput, Tensor dInput) {
        int[] d = ConvShape.resample("upsampleNearest2xBackward", "dOutput", dOutput, "dInput", dInput, false);
        ScalarResample.upsampleNearest2xBackward(dOutput.segment(), dInput.segment(), d[0] * d[1], d[2], d[3]);
    }

    @Override
    public void avgPool2x2(Tensor input, Tensor output) {
        int[] d = ConvShape.resample("avgPool2x2", "input", input, "output", output, true);
        ScalarResample.avgPool2x2(input.segment(), output.segment(), d[0] * d[1], input.dim(2), input.dim(3));
    }

    @Override
    public void avgPool2x2Backward(Tensor dOutput, Tensor dInput) {
        int[] d = ConvShape.resample("avgPool2x2Backward", "dInput", dInput, "dOutput", dOutput, true);
        ScalarResample.avgPool2x2Backward(dOutput.segment(), dInput.segment(), d[0] * d[1], dInput.dim(2),
                dInput.dim(3));
    }

    @Override
    public String toString() {
        return "ScalarBackend";
    }
}
