package dev.panamax.engine;

import dev.panamax.engine.kernel.AttentionShape;
import dev.panamax.engine.kernel.ConvShape;
import dev.panamax.engine.kernel.GemmShape;
import dev.panamax.engine.kernel.scalar.ScalarActivations;
import dev.panamax.engine.kernel.scalar.ScalarAttention;
import dev.panamax.engine.kernel.scalar.ScalarConv2d;
import dev.panamax.engine.kernel.scalar.ScalarElementwise;
import dev.panamax.engine.kernel.scalar.ScalarGemm;
import dev.panamax.engine.kernel.scalar.ScalarNorms;
import dev.panamax.engine.kernel.scalar.ScalarResample;
import dev.panamax.engine.kernel.scalar.ScalarSoftmax;
import java.lang.foreign.MemorySegment;

/** The reference backend: plain single-threaded loops, obviously correct; the oracle for every other backend. */
public final class ScalarBackend extends CheckedBackend {

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
    public void syrk(Transpose trans, int n, int k, float alpha, Tensor a, long aOffset, int lda,
                     float beta, Tensor c, long cOffset, int ldc) {
        Transpose other = trans == Transpose.N ? Transpose.T : Transpose.N;
        GemmShape.check("syrk", trans, other, n, n, k, a, aOffset, lda, 0, a, aOffset, lda, 0, c, cOffset, ldc, 0, 1);
        ScalarGemm.syrkLower(trans.isTransposed(), n, k, alpha, a.segment(), aOffset, lda, beta, c.segment(),
                cOffset, ldc);
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
    public void attention(Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, boolean causal, float scale) {
        AttentionShape.Dims d = AttentionShape.forward("attention", q, k, v, out, lse, causal, scale);
        ScalarAttention.forward(q.segment(), k.segment(), v.segment(), out.segment(),
                lse == null ? null : lse.segment(), d.batchHeads(), d.tq(), d.tk(), d.headDim(),
                (long) d.tk() * d.headDim(), causal, scale);
    }

    @Override
    public void attentionBackward(Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, Tensor dOut,
                                  Tensor dQ, Tensor dK, Tensor dV, boolean causal, float scale) {
        AttentionShape.Dims d = AttentionShape.backward("attentionBackward", q, k, v, out, lse, dOut, dQ, dK, dV,
                causal, scale);
        ScalarAttention.backward(q.segment(), k.segment(), v.segment(), out.segment(), lse.segment(),
                dOut.segment(), dQ.segment(), dK.segment(), dV.segment(), d.batchHeads(), d.tq(), d.tk(),
                d.headDim(), causal, scale);
    }

    @Override
    public void attentionDecode(Tensor q, Tensor kNew, Tensor vNew, Tensor kCache, Tensor vCache, int cached,
                                Tensor out, boolean causal, float scale) {
        AttentionShape.Dims d = AttentionShape.decode("attentionDecode", q, kNew, vNew, kCache, vCache, cached, out,
                causal, scale);
        ScalarAttention.decode(q.segment(), kNew.segment(), vNew.segment(), kCache.segment(), vCache.segment(),
                out.segment(), d.batchHeads(), d.tq(), cached, d.maxT(), d.headDim(), causal, scale);
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

    @Override
    protected void addKernel(MemorySegment a, MemorySegment b, MemorySegment out, long n) {
        ScalarElementwise.add(a, b, out, n);
    }

    @Override
    protected void subKernel(MemorySegment a, MemorySegment b, MemorySegment out, long n) {
        ScalarElementwise.sub(a, b, out, n);
    }

    @Override
    protected void mulKernel(MemorySegment a, MemorySegment b, MemorySegment out, long n) {
        ScalarElementwise.mul(a, b, out, n);
    }

    @Override
    protected void scaleKernel(MemorySegment a, float s, MemorySegment out, long n) {
        ScalarElementwise.scale(a, s, out, n);
    }

    @Override
    protected void axpyKernel(float alpha, MemorySegment x, MemorySegment y, long n) {
        ScalarElementwise.axpy(alpha, x, y, n);
    }

    @Override
    protected void addBiasKernel(MemorySegment x, MemorySegment bias, MemorySegment out, int rows, int cols) {
        ScalarElementwise.addBias(x, bias, out, rows, cols);
    }

    @Override
    protected void addBiasBackwardKernel(MemorySegment dOut, MemorySegment dBias, int rows, int cols) {
        ScalarElementwise.accumulateColumnSums(dOut, dBias, rows, cols);
    }

    @Override
    protected void activationKernel(Activation kind, MemorySegment x, MemorySegment out, long n) {
        switch (kind) {
            case GELU -> ScalarActivations.gelu(x, out, n);
            case SILU -> ScalarActivations.silu(x, out, n);
            case RELU -> ScalarActivations.relu(x, out, n);
        }
    }

    @Override
    protected void activationBackwardKernel(Activation kind, MemorySegment x, MemorySegment dOut, MemorySegment dX,
                                            long n) {
        switch (kind) {
            case GELU -> ScalarActivations.geluBackward(x, dOut, dX, n);
            case SILU -> ScalarActivations.siluBackward(x, dOut, dX, n);
            case RELU -> ScalarActivations.reluBackward(x, dOut, dX, n);
        }
    }

    @Override
    protected void layerNormKernel(MemorySegment x, MemorySegment gamma, MemorySegment beta, MemorySegment out,
                                   MemorySegment mean, MemorySegment rstd, int rows, int cols, float eps) {
        ScalarNorms.layerNorm(x, gamma, beta, out, mean, rstd, rows, cols, eps);
    }

    @Override
    protected void layerNormBackwardKernel(MemorySegment x, MemorySegment gamma, MemorySegment mean,
                                           MemorySegment rstd, MemorySegment dOut, MemorySegment dX,
                                           MemorySegment dGamma, MemorySegment dBeta, int rows, int cols) {
        ScalarNorms.layerNormBackward(x, gamma, mean, rstd, dOut, dX, dGamma, dBeta, rows, cols);
    }

    @Override
    protected void softmaxKernel(MemorySegment x, MemorySegment out, int rows, int cols, boolean log) {
        if (log) {
            ScalarSoftmax.logSoftmax(x, out, rows, cols);
        } else {
            ScalarSoftmax.softmax(x, out, rows, cols);
        }
    }

    @Override
    protected double crossEntropyKernel(MemorySegment logits, int[] targets, int ignoreIndex, MemorySegment probs,
                                        int rows, int cols) {
        return ScalarSoftmax.crossEntropy(logits, targets, ignoreIndex, probs, rows, cols);
    }

    @Override
    protected void crossEntropyBackwardKernel(MemorySegment probs, int[] targets, int ignoreIndex, float dLoss,
                                              MemorySegment dLogits, int rows, int cols) {
        ScalarSoftmax.crossEntropyBackward(probs, targets, ignoreIndex, dLoss, dLogits, rows, cols);
    }

}
