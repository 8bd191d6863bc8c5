package dev.panamax.engine;

import dev.panamax.engine.kernel.OpShape;
import dev.panamax.engine.kernel.scalar.ScalarElementwise;
import dev.panamax.engine.kernel.scalar.ScalarLeastSquares;
import dev.panamax.engine.kernel.scalar.ScalarNorms;
import dev.panamax.engine.kernel.scalar.ScalarSoftmax;
import dev.panamax.engine.kernel.scalar.ScalarTensorOps;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The argument checks of every {@link Backend} operation except GEMM, done once here (template method): each
 * public operation validates its tensors, then calls a kernel method that receives raw segments and dimensions
 * and may trust them. A new backend implements the {@code protected abstract} kernels only.
 */
public abstract class CheckedBackend implements Backend {

    private static final String[] AB_OUT = {"a", "b", "out"};
    private static final String[] X_OUT = {"x", "out"};
    private static final String[] X_DOUT_DX = {"x", "dOut", "dX"};

    // ------------------------------------------------------------------ kernels a backend provides
    // The abstract ones every backend implements; the concrete ones run the scalar reference, for operations that
    // are rare or cheap in a training step and have no faster kernel yet (a backend may override them).

    protected abstract void addKernel(MemorySegment a, MemorySegment b, MemorySegment out, long n);

    protected abstract void subKernel(MemorySegment a, MemorySegment b, MemorySegment out, long n);

    protected abstract void mulKernel(MemorySegment a, MemorySegment b, MemorySegment out, long n);

    protected abstract void scaleKernel(MemorySegment a, float s, MemorySegment out, long n);

    protected abstract void axpyKernel(float alpha, MemorySegment x, MemorySegment y, long n);

    protected abstract void addBiasKernel(MemorySegment x, MemorySegment bias, MemorySegment out, int rows, int cols);

    protected abstract void addBiasBackwardKernel(MemorySegment dOut, MemorySegment dBias, int rows, int cols);

    protected double sumKernel(MemorySegment x, long n) {
        return ScalarElementwise.sum(x, n);
    }

    /** Activation kinds share one kernel entry point each way. */
    protected enum Activation { GELU, SILU, RELU }

    protected abstract void activationKernel(Activation kind, MemorySegment x, MemorySegment out, long n);

    protected abstract void activationBackwardKernel(Activation kind, MemorySegment x, MemorySegment dOut,
                                                     MemorySegment dX, long n);

    protected abstract void layerNormKernel(MemorySegment x, MemorySegment gamma, MemorySegment beta,
                                            MemorySegment out, MemorySegment mean, MemorySegment rstd, int rows,
                                            int cols, float eps);

    protected abstract void layerNormBackwardKernel(MemorySegment x, MemorySegment gamma, MemorySegment mean,
                                                    MemorySegment rstd, MemorySegment dOut, MemorySegment dX,
                                                    MemorySegment dGamma, MemorySegment dBeta, int rows, int cols);

    protected void rmsNormKernel(MemorySegment x, MemorySegment gamma, MemorySegment out, MemorySegment rstd,
                                 int rows, int cols, float eps) {
        ScalarNorms.rmsNorm(x, gamma, out, rstd, rows, cols, eps);
    }

    protected void rmsNormBackwardKernel(MemorySegment x, MemorySegment gamma, MemorySegment rstd,
                                         MemorySegment dOut, MemorySegment dX, MemorySegment dGamma, int rows,
                                         int cols) {
        ScalarNorms.rmsNormBackward(x, gamma, rstd, dOut, dX, dGamma, rows, cols);
    }

    protected void groupNormKernel(MemorySegment x, MemorySegment gamma, MemorySegment beta, MemorySegment out,
                                   MemorySegment mean, MemorySegment rstd, int batch, int channels, int spatial,
                                   int groups, float eps) {
        ScalarNorms.groupNorm(x, gamma, beta, out, mean, rstd, batch, channels, spatial, groups, eps);
    }

    protected void groupNormBackwardKernel(MemorySegment x, MemorySegment gamma, MemorySegment mean,
                                           MemorySegment rstd, MemorySegment dOut, MemorySegment dX,
                                           MemorySegment dGamma, MemorySegment dBeta, int batch, int channels,
                                           int spatial, int groups) {
        ScalarNorms.groupNormBackward(x, gamma, mean, rstd, dOut, dX, dGamma, dBeta, batch, channels, spatial,
                groups);
    }

    protected void groupNormSiluKernel(MemorySegment x, MemorySegment gamma, MemorySegment beta, MemorySegment out,
                                       MemorySegment mean, MemorySegment rstd, int batch, int channels, int spatial,
                                       int groups, float eps) {
        ScalarNorms.groupNormSilu(x, gamma, beta, out, mean, rstd, batch, channels, spatial, groups, eps);
    }

    /** eps is GroupNorm's: the fused kernels do not need it, a composition that recomputes the forward does. */
    protected void groupNormSiluBackwardKernel(MemorySegment x, MemorySegment gamma, MemorySegment beta,
                                               MemorySegment mean, MemorySegment rstd, MemorySegment dOut,
                                               MemorySegment dX, MemorySegment dGamma, MemorySegment dBeta,
                                               int batch, int channels, int spatial, int groups, float eps) {
        ScalarNorms.groupNormSiluBackward(x, gamma, beta, mean, rstd, dOut, dX, dGamma, dBeta, batch, channels,
                spatial, groups);
    }

    protected abstract void softmaxKernel(MemorySegment x, MemorySegment out, int rows, int cols, boolean log);

    protected void softmaxBackwardKernel(MemorySegment y, MemorySegment dOut, MemorySegment dX, int rows, int cols,
                                         boolean log) {
        if (log) {
            ScalarSoftmax.logSoftmaxBackward(y, dOut, dX, rows, cols);
        } else {
            ScalarSoftmax.softmaxBackward(y, dOut, dX, rows, cols);
        }
    }

    protected abstract double crossEntropyKernel(MemorySegment logits, int[] targets, int ignoreIndex,
                                                 MemorySegment probs, int rows, int cols);

    protected abstract void crossEntropyBackwardKernel(MemorySegment probs, int[] targets, int ignoreIndex,
                                                       float dLoss, MemorySegment dLogits, int rows, int cols);

    protected double mseKernel(MemorySegment pred, MemorySegment target, long n) {
        return ScalarTensorOps.mse(pred, target, n);
    }

    protected void mseBackwardKernel(MemorySegment pred, MemorySegment target, float dLoss, MemorySegment dPred,
                                     long n) {
        ScalarTensorOps.mseBackward(pred, target, dLoss, dPred, n);
    }

    protected void embeddingKernel(MemorySegment table, int[] ids, MemorySegment out, int width) {
        ScalarTensorOps.embedding(table, ids, out, width);
    }

    protected void embeddingBackwardKernel(int[] ids, MemorySegment dOut, MemorySegment dTable, int width) {
        ScalarTensorOps.embeddingBackward(ids, dOut, dTable, width);
    }

    protected void concatChannelsKernel(MemorySegment a, MemorySegment b, MemorySegment out, int batch, long aBlock,
                                        long bBlock) {
        ScalarTensorOps.concatChannels(a, b, out, batch, aBlock, bBlock);
    }

    protected void concatChannelsBackwardKernel(MemorySegment dOut, MemorySegment dA, MemorySegment dB, int batch,
                                                long aBlock, long bBlock) {
        ScalarTensorOps.concatChannelsBackward(dOut, dA, dB, batch, aBlock, bBlock);
    }

    protected double crossProductsKernel(double[][] x, double[] y, int from, int to, double[] center,
                                         double[] gram, double[] sum, double[] crossTarget) {
        return ScalarLeastSquares.crossProducts(x, y, from, to, center, gram, sum, crossTarget);
    }

    protected void residualGradientKernel(double[][] x, double[] y, int from, int to, double intercept,
                                          double[] coefficients, double[] means, double[] gradient) {
        ScalarLeastSquares.residualGradient(x, y, from, to, intercept, coefficients, means, gradient);
    }

    /**
     * The memory a kernel receives for tensor {@code t}: {@link Tensor#kernelSegment()} for the CPU backends. A
     * device backend overrides it to register the tensor's memory with the device and maps it there itself.
     */
    protected MemorySegment memoryOf(Tensor t) {
        return t.segment();
    }

    protected void transposeKernel(MemorySegment x, MemorySegment out, int batch, int rows, int cols) {
        ScalarTensorOps.transpose(x, out, batch, rows, cols);
    }

    protected void addChannelBiasKernel(MemorySegment x, MemorySegment bias, MemorySegment out, int planes,
                                        int spatial) {
        ScalarTensorOps.addChannelBias(x, bias, out, planes, spatial);
    }

    protected void addChannelBiasBackwardKernel(MemorySegment dOut, MemorySegment dBias, int planes, int spatial) {
        ScalarTensorOps.addChannelBiasBackward(dOut, dBias, planes, spatial);
    }

    // ------------------------------------------------------------------ checked operations

    @Override
    public final void add(Tensor a, Tensor b, Tensor out) {
        OpShape.same("add", AB_OUT, a, b, out);
        addKernel(memoryOf(a), memoryOf(b), memoryOf(out), a.size());
    }

    @Override
    public final void sub(Tensor a, Tensor b, Tensor out) {
        OpShape.same("sub", AB_OUT, a, b, out);
        subKernel(memoryOf(a), memoryOf(b), memoryOf(out), a.size());
    }

    @Override
    public final void mul(Tensor a, Tensor b, Tensor out) {
        OpShape.same("mul", AB_OUT, a, b, out);
        mulKernel(memoryOf(a), memoryOf(b), memoryOf(out), a.size());
    }

    @Override
    public final void scale(Tensor a, float s, Tensor out) {
        OpShape.same("scale", new String[] {"a", "out"}, a, out);
        scaleKernel(memoryOf(a), s, memoryOf(out), a.size());
    }

    @Override
    public final void axpy(float alpha, Tensor x, Tensor y) {
        OpShape.same("axpy", new String[] {"x", "y"}, x, y);
        axpyKernel(alpha, memoryOf(x), memoryOf(y), x.size());
    }

    @Override
    public final void addBias(Tensor x, Tensor bias, Tensor out) {
        OpShape.same("addBias", X_OUT, x, out);
        int cols = x.dim(-1);
        OpShape.size("addBias", "bias", bias, cols, "the last dimension of x " + x.shapeString());
        addBiasKernel(memoryOf(x), memoryOf(bias), memoryOf(out), (int) (x.size() / cols), cols);
    }

    @Override
    public final void addBiasBackward(Tensor dOut, Tensor dBias) {
        int cols = OpShape.lastDim("addBiasBackward", "dOut", dOut);
        OpShape.size("addBiasBackward", "dBias", dBias, cols, "the last dimension of dOut " + dOut.shapeString());
        addBiasBackwardKernel(memoryOf(dOut), memoryOf(dBias), (int) (dOut.size() / cols), cols);
    }

    @Override
    public final double sum(Tensor x) {
        OpShape.lastDim("sum", "x", x);
        return sumKernel(memoryOf(x), x.size());
    }

    private void activation(String op, Activation kind, Tensor x, Tensor out) {
        OpShape.same(op, X_OUT, x, out);
        activationKernel(kind, memoryOf(x), memoryOf(out), x.size());
    }

    private void activationBackward(String op, Activation kind, Tensor x, Tensor dOut, Tensor dX) {
        OpShape.same(op, X_DOUT_DX, x, dOut, dX);
        activationBackwardKernel(kind, memoryOf(x), memoryOf(dOut), memoryOf(dX), x.size());
    }

    @Override
    public final void gelu(Tensor x, Tensor out) {
        activation("gelu", Activation.GELU, x, out);
    }

    @Override
    public final void geluBackward(Tensor x, Tensor dOut, Tensor dX) {
        activationBackward("geluBackward", Activation.GELU, x, dOut, dX);
    }

    @Override
    public final void silu(Tensor x, Tensor out) {
        activation("silu", Activation.SILU, x, out);
    }

    @Override
    public final void siluBackward(Tensor x, Tensor dOut, Tensor dX) {
        activationBackward("siluBackward", Activation.SILU, x, dOut, dX);
    }

    @Override
    public final void relu(Tensor x, Tensor out) {
        activation("relu", Activation.RELU, x, out);
    }

    @Override
    public final void reluBackward(Tensor x, Tensor dOut, Tensor dX) {
        activationBackward("reluBackward", Activation.RELU, x, dOut, dX);
    }

    /** Checks a last-dimension normalization and returns {rows, cols}. */
    private static int[] rowStats(String op, Tensor x, Tensor gamma, Tensor mean, Tensor rstd) {
        int cols = OpShape.lastDim(op, "x", x);
        int rows = (int) (x.size() / cols);
        String perRow = "one per row of x " + x.shapeString();
        OpShape.size(op, "gamma", gamma, cols, "the last dimension of x " + x.shapeString());
        if (mean != null) {
            OpShape.size(op, "mean", mean, rows, perRow);
        }
        OpShape.size(op, "rstd", rstd, rows, perRow);
        return new int[] {rows, cols};
    }

    @Override
    public final void layerNorm(Tensor x, Tensor gamma, Tensor beta, Tensor out, Tensor mean, Tensor rstd, float eps) {
        OpShape.same("layerNorm", X_OUT, x, out);
        int[] rc = rowStats("layerNorm", x, gamma, mean, rstd);
        OpShape.size("layerNorm", "beta", beta, rc[1], "the last dimension of x " + x.shapeString());
        OpShape.epsilon("layerNorm", eps);
        layerNormKernel(memoryOf(x), memoryOf(gamma), memoryOf(beta), memoryOf(out), memoryOf(mean), memoryOf(rstd),
                rc[0], rc[1], eps);
    }

    @Override
    public final void layerNormBackward(Tensor x, Tensor gamma, Tensor mean, Tensor rstd, Tensor dOut, Tensor dX,
                                        Tensor dGamma, Tensor dBeta) {
        OpShape.same("layerNormBackward", X_DOUT_DX, x, dOut, dX);
        int[] rc = rowStats("layerNormBackward", x, gamma, mean, rstd);
        OpShape.same("layerNormBackward", new String[] {"gamma", "dGamma", "dBeta"}, gamma, dGamma, dBeta);
        layerNormBackwardKernel(memoryOf(x), memoryOf(gamma), memoryOf(mean), memoryOf(rstd), memoryOf(dOut),
                memoryOf(dX), memoryOf(dGamma), memoryOf(dBeta), rc[0], rc[1]);
    }

    @Override
    public final void rmsNorm(Tensor x, Tensor gamma, Tensor out, Tensor rstd, float eps) {
        OpShape.same("rmsNorm", X_OUT, x, out);
        int[] rc = rowStats("rmsNorm", x, gamma, null, rstd);
        OpShape.epsilon("rmsNorm", eps);
        rmsNormKernel(memoryOf(x), memoryOf(gamma), memoryOf(out), memoryOf(rstd), rc[0], rc[1], eps);
    }

    @Override
    public final void rmsNormBackward(Tensor x, Tensor gamma, Tensor rstd, Tensor dOut, Tensor dX, Tensor dGamma) {
        OpShape.same("rmsNormBackward", X_DOUT_DX, x, dOut, dX);
        int[] rc = rowStats("rmsNormBackward", x, gamma, null, rstd);
        OpShape.same("rmsNormBackward", new String[] {"gamma", "dGamma"}, gamma, dGamma);
        rmsNormBackwardKernel(memoryOf(x), memoryOf(gamma), memoryOf(rstd), memoryOf(dOut), memoryOf(dX),
                memoryOf(dGamma), rc[0], rc[1]);
    }

    /** Checks a GroupNorm call and returns {batch, channels, spatial}. */
    private static int[] groupDims(String op, Tensor x, int groups, Tensor gamma, Tensor mean, Tensor rstd) {
        OpShape.lastDim(op, "x", x);
        if (x.rank() < 2) {
            throw new IllegalArgumentException(op + ": x must be [N, C, ...], got " + x.shapeString());
        }
        int batch = x.dim(0);
        int channels = x.dim(1);
        if (groups < 1 || channels % groups != 0) {
            throw new IllegalArgumentException(op + ": " + groups + " groups do not divide the " + channels
                    + " channels of x " + x.shapeString());
        }
        OpShape.size(op, "gamma", gamma, channels, "one per channel of x " + x.shapeString());
        OpShape.size(op, "mean", mean, (long) batch * groups, "batch × groups");
        OpShape.size(op, "rstd", rstd, (long) batch * groups, "batch × groups");
        return new int[] {batch, channels, (int) (x.size() / ((long) batch * channels))};
    }

    @Override
    public final void groupNorm(Tensor x, int groups, Tensor gamma, Tensor beta, Tensor out, Tensor mean, Tensor rstd,
                                float eps) {
        OpShape.same("groupNorm", X_OUT, x, out);
        int[] d = groupDims("groupNorm", x, groups, gamma, mean, rstd);
        OpShape.size("groupNorm", "beta", beta, d[1], "one per channel of x " + x.shapeString());
        OpShape.epsilon("groupNorm", eps);
        groupNormKernel(memoryOf(x), memoryOf(gamma), memoryOf(beta), memoryOf(out), memoryOf(mean), memoryOf(rstd),
                d[0], d[1], d[2], groups, eps);
    }

    @Override
    public final void groupNormBackward(Tensor x, int groups, Tensor gamma, Tensor mean, Tensor rstd, Tensor dOut,
                                        Tensor dX, Tensor dGamma, Tensor dBeta) {
        OpShape.same("groupNormBackward", X_DOUT_DX, x, dOut, dX);
        int[] d = groupDims("groupNormBackward", x, groups, gamma, mean, rstd);
        OpShape.same("groupNormBackward", new String[] {"gamma", "dGamma", "dBeta"}, gamma, dGamma, dBeta);
        groupNormBackwardKernel(memoryOf(x), memoryOf(gamma), memoryOf(mean), memoryOf(rstd), memoryOf(dOut),
                memoryOf(dX), memoryOf(dGamma), memoryOf(dBeta), d[0], d[1], d[2], groups);
    }

    @Override
    public final void groupNormSilu(Tensor x, int groups, Tensor gamma, Tensor beta, Tensor out, Tensor mean,
                                    Tensor rstd, float eps) {
        OpShape.same("groupNormSilu", X_OUT, x, out);
        int[] d = groupDims("groupNormSilu", x, groups, gamma, mean, rstd);
        OpShape.size("groupNormSilu", "beta", beta, d[1], "one per channel of x " + x.shapeString());
        OpShape.epsilon("groupNormSilu", eps);
        groupNormSiluKernel(memoryOf(x), memoryOf(gamma), memoryOf(beta), memoryOf(out), memoryOf(mean),
                memoryOf(rstd), d[0], d[1], d[2], groups, eps);
    }

    @Override
    public final void groupNormSiluBackward(Tensor x, int groups, Tensor gamma, Tensor beta, Tensor mean,
                                            Tensor rstd, float eps, Tensor dOut, Tensor dX, Tensor dGamma,
                                            Tensor dBeta) {
        OpShape.same("groupNormSiluBackward", X_DOUT_DX, x, dOut, dX);
        int[] d = groupDims("groupNormSiluBackward", x, groups, gamma, mean, rstd);
        OpShape.same("groupNormSiluBackward", new String[] {"gamma", "beta", "dGamma", "dBeta"}, gamma, beta, dGamma,
                dBeta);
        OpShape.epsilon("groupNormSiluBackward", eps);
        groupNormSiluBackwardKernel(memoryOf(x), memoryOf(gamma), memoryOf(beta), memoryOf(mean), memoryOf(rstd),
                memoryOf(dOut), memoryOf(dX), memoryOf(dGamma), memoryOf(dBeta), d[0], d[1], d[2], groups, eps);
    }

    @Override
    public final void softmax(Tensor x, Tensor out) {
        OpShape.same("softmax", X_OUT, x, out);
        softmaxKernel(memoryOf(x), memoryOf(out), (int) (x.size() / x.dim(-1)), x.dim(-1), false);
    }

    @Override
    public final void logSoftmax(Tensor x, Tensor out) {
        OpShape.same("logSoftmax", X_OUT, x, out);
        softmaxKernel(memoryOf(x), memoryOf(out), (int) (x.size() / x.dim(-1)), x.dim(-1), true);
    }

    @Override
    public final void softmaxBackward(Tensor y, Tensor dOut, Tensor dX) {
        OpShape.same("softmaxBackward", new String[] {"y", "dOut", "dX"}, y, dOut, dX);
        softmaxBackwardKernel(memoryOf(y), memoryOf(dOut), memoryOf(dX), (int) (y.size() / y.dim(-1)), y.dim(-1),
                false);
    }

    @Override
    public final void logSoftmaxBackward(Tensor y, Tensor dOut, Tensor dX) {
        OpShape.same("logSoftmaxBackward", new String[] {"y", "dOut", "dX"}, y, dOut, dX);
        softmaxBackwardKernel(memoryOf(y), memoryOf(dOut), memoryOf(dX), (int) (y.size() / y.dim(-1)), y.dim(-1),
                true);
    }

    @Override
    public final double crossEntropy(Tensor logits, int[] targets, int ignoreIndex, Tensor probs) {
        OpShape.same("crossEntropy", new String[] {"logits", "probs"}, logits, probs);
        int cols = logits.dim(-1);
        int rows = (int) (logits.size() / cols);
        OpShape.ids("crossEntropy", "targets", targets, rows, cols, ignoreIndex);
        return crossEntropyKernel(memoryOf(logits), targets, ignoreIndex, memoryOf(probs), rows, cols);
    }

    @Override
    public final void crossEntropyBackward(Tensor probs, int[] targets, int ignoreIndex, float dLoss, Tensor dLogits) {
        OpShape.same("crossEntropyBackward", new String[] {"probs", "dLogits"}, probs, dLogits);
        int cols = probs.dim(-1);
        int rows = (int) (probs.size() / cols);
        OpShape.ids("crossEntropyBackward", "targets", targets, rows, cols, ignoreIndex);
        crossEntropyBackwardKernel(memoryOf(probs), targets, ignoreIndex, dLoss, memoryOf(dLogits), rows, cols);
    }

    @Override
    public final double mse(Tensor pred, Tensor target) {
        OpShape.same("mse", new String[] {"pred", "target"}, pred, target);
        return mseKernel(memoryOf(pred), memoryOf(target), pred.size());
    }

    @Override
    public final void mseBackward(Tensor pred, Tensor target, float dLoss, Tensor dPred) {
        OpShape.same("mseBackward", new String[] {"pred", "target", "dPred"}, pred, target, dPred);
        mseBackwardKernel(memoryOf(pred), memoryOf(target), dLoss, memoryOf(dPred), pred.size());
    }

    @Override
    public final void embedding(Tensor table, int[] ids, Tensor out) {
        embeddingChecks("embedding", table, ids, out, "out");
        embeddingKernel(memoryOf(table), ids, memoryOf(out), table.dim(1));
    }

    @Override
    public final void embeddingBackward(int[] ids, Tensor dOut, Tensor dTable) {
        embeddingChecks("embeddingBackward", dTable, ids, dOut, "dOut");
        embeddingBackwardKernel(ids, memoryOf(dOut), memoryOf(dTable), dTable.dim(1));
    }

    private static void embeddingChecks(String op, Tensor table, int[] ids, Tensor rows, String rowsName) {
        OpShape.lastDim(op, "table", table);
        if (table.rank() != 2) {
            throw new IllegalArgumentException(op + ": the table must be [vocab, width], got " + table.shapeString());
        }
        if (ids == null) {
            throw new IllegalArgumentException(op + ": ids is null");
        }
        OpShape.size(op, rowsName, rows, (long) ids.length * table.dim(1),
                ids.length + " ids × width " + table.dim(1));
        OpShape.ids(op, "ids", ids, ids.length, table.dim(0), null);
    }

    /** Checks a channel concatenation and returns {batch, aBlock, bBlock} (elements per batch entry). */
    private static long[] concatDims(String op, Tensor a, Tensor b, Tensor out, String outName) {
        OpShape.lastDim(op, "a", a);
        OpShape.lastDim(op, "b", b);
        OpShape.lastDim(op, outName, out);
        boolean ok = a.rank() >= 2 && a.rank() == b.rank() && a.rank() == out.rank() && a.dim(0) == b.dim(0)
                && a.dim(0) == out.dim(0) && out.dim(1) == a.dim(1) + b.dim(1);
        for (int i = 2; ok && i < a.rank(); i++) {
            ok = a.dim(i) == b.dim(i) && a.dim(i) == out.dim(i);
        }
        if (!ok) {
            throw new IllegalArgumentException(op + ": cannot concatenate a " + a.shapeString() + " and b "
                    + b.shapeString() + " along channels into " + outName + " " + out.shapeString());
        }
        int batch = a.dim(0);
        return new long[] {batch, a.size() / batch, b.size() / batch};
    }

    @Override
    public final void concatChannels(Tensor a, Tensor b, Tensor out) {
        long[] d = concatDims("concatChannels", a, b, out, "out");
        concatChannelsKernel(memoryOf(a), memoryOf(b), memoryOf(out), (int) d[0], d[1], d[2]);
    }

    @Override
    public final void concatChannelsBackward(Tensor dOut, Tensor dA, Tensor dB) {
        long[] d = concatDims("concatChannelsBackward", dA, dB, dOut, "dOut");
        concatChannelsBackwardKernel(memoryOf(dOut), memoryOf(dA), memoryOf(dB), (int) d[0], d[1], d[2]);
    }

    @Override
    public final void transpose(Tensor x, Tensor out) {
        OpShape.lastDim("transpose", "x", x);
        OpShape.lastDim("transpose", "out", out);
        int rank = x.rank();
        boolean ok = rank >= 2 && out.rank() == rank && out.dim(-1) == x.dim(-2) && out.dim(-2) == x.dim(-1);
        for (int i = 0; ok && i < rank - 2; i++) {
            ok = x.dim(i) == out.dim(i);
        }
        if (!ok) {
            throw new IllegalArgumentException("transpose: x " + x.shapeString() + " and out " + out.shapeString()
                    + " are not [..., m, n] and [..., n, m]");
        }
        int rows = x.dim(-2);
        int cols = x.dim(-1);
        transposeKernel(memoryOf(x), memoryOf(out), (int) (x.size() / ((long) rows * cols)), rows, cols);
    }

    /** Checks a per-(sample, channel) bias and returns {N·C, spatial}. */
    private static int[] channelBiasDims(String op, Tensor x, String xName, Tensor bias, String biasName) {
        OpShape.lastDim(op, xName, x);
        if (x.rank() < 2) {
            throw new IllegalArgumentException(op + ": " + xName + " must be [N, C, ...], got " + x.shapeString());
        }
        if (bias.rank() != 2 || bias.dim(0) != x.dim(0) || bias.dim(1) != x.dim(1)) {
            throw new IllegalArgumentException(op + ": " + biasName + " is " + bias.shapeString() + " but " + xName
                    + " " + x.shapeString() + " needs [" + x.dim(0) + ", " + x.dim(1) + "] (one per sample and channel)");
        }
        int planes = x.dim(0) * x.dim(1);
        return new int[] {planes, (int) (x.size() / planes)};
    }

    @Override
    public final void addChannelBias(Tensor x, Tensor bias, Tensor out) {
        OpShape.same("addChannelBias", X_OUT, x, out);
        int[] d = channelBiasDims("addChannelBias", x, "x", bias, "bias");
        addChannelBiasKernel(memoryOf(x), memoryOf(bias), memoryOf(out), d[0], d[1]);
    }

    @Override
    public final void addChannelBiasBackward(Tensor dOut, Tensor dBias) {
        int[] d = channelBiasDims("addChannelBiasBackward", dOut, "dOut", dBias, "dBias");
        addChannelBiasBackwardKernel(memoryOf(dOut), memoryOf(dBias), d[0], d[1]);
    }

    @Override
    public final double crossProducts(double[][] x, double[] y, int from, int to, double[] center, double[] gram,
                                      double[] sum, double[] crossTarget) {
        int d = sum.length;
        rowRange("crossProducts", x, y, from, to, d);
        length("crossProducts", "center", center, d + 1, "d + 1 (the target's center last)");
        length("crossProducts", "gram", gram, d * d, "d × d");
        length("crossProducts", "crossTarget", crossTarget, d, "d");
        return crossProductsKernel(x, y, from, to, center, gram, sum, crossTarget);
    }

    @Override
    public final void residualGradient(double[][] x, double[] y, int from, int to, double intercept,
                                       double[] coefficients, double[] means, double[] gradient) {
        int d = coefficients.length;
        rowRange("residualGradient", x, y, from, to, d);
        length("residualGradient", "means", means, d, "d (coefficients.length)");
        length("residualGradient", "gradient", gradient, d, "d (coefficients.length)");
        residualGradientKernel(x, y, from, to, intercept, coefficients, means, gradient);
    }

    /** Rows {@code [from, to)} exist in x and y and have d entries each. */
    private static void rowRange(String op, double[][] x, double[] y, int from, int to, int d) {
        if (from < 0 || from > to || to > x.length || to > y.length) {
            throw new IllegalArgumentException(op + ": rows [" + from + ", " + to + ") are not within x ("
                    + x.length + " rows) and y (" + y.length + " values)");
        }
        for (int i = from; i < to; i++) {
            if (x[i].length != d) {
                throw new IllegalArgumentException(op + ": row " + i + " of x has " + x[i].length
                        + " values, expected d = " + d);
            }
        }
    }

    private static void length(String op, String name, double[] a, int expected, String what) {
        if (a.length != expected) {
            throw new IllegalArgumentException(op + ": " + name + " has " + a.length + " entries, expected "
                    + what + " = " + expected);
        }
    }
}
