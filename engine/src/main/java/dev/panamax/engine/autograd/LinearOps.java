package dev.panamax.engine.autograd;

import dev.panamax.engine.Backend;
import dev.panamax.engine.Tensor;
import dev.panamax.engine.Transpose;

/** Matrix products with their backward rules (all through the backend's GEMM, accumulating with beta = 1). */
public final class LinearOps {

    private LinearOps() {
    }

    /** c = a·b for a [m, k] and b [k, n]. */
    public static Var matmul(Tape tape, Var a, Var b) {
        Tensor av = a.value();
        Tensor bv = b.value();
        if (av.rank() != 2 || bv.rank() != 2 || av.dim(1) != bv.dim(0)) {
            throw new IllegalArgumentException("matmul: a is " + av.shapeString() + ", b is " + bv.shapeString()
                    + ": expected [m, k] and [k, n]");
        }
        int m = av.dim(0);
        int k = av.dim(1);
        int n = bv.dim(1);
        Backend backend = tape.backend();
        Tensor c = tape.allocateUninitialized(m, n);
        backend.gemm(Transpose.N, Transpose.N, m, n, k, 1f, av, 0, k, bv, 0, n, 0f, c, 0, n);
        Var out = tape.output(c, a, b);
        tape.onBackward(out, () -> {
            Tensor dc = out.grad();
            if (a.requiresGrad()) {      // dA += dC·Bᵀ
                backend.gemm(Transpose.N, Transpose.T, m, k, n, 1f, dc, 0, n, bv, 0, n, 1f, a.gradForAccumulation(), 0, k);
            }
            if (b.requiresGrad()) {      // dB += Aᵀ·dC
                backend.gemm(Transpose.T, Transpose.N, k, n, m, 1f, av, 0, k, dc, 0, n, 1f, b.gradForAccumulation(), 0, n);
            }
        });
        return out;
    }

    /**
     * y = x·Wᵀ + b over the last dimension of x (PyTorch's {@code nn.Linear} layout): x [..., in], weight
     * [out, in], bias [out] or null; y [..., out].
     */
    public static Var linear(Tape tape, Var x, Var weight, Var bias) {
        Tensor xv = x.value();
        Tensor wv = weight.value();
        int in = xv.dim(-1);
        if (wv.rank() != 2 || wv.dim(1) != in) {
            throw new IllegalArgumentException("linear: x is " + xv.shapeString() + " but weight is "
                    + wv.shapeString() + ": expected [out, " + in + "]");
        }
        int outFeatures = wv.dim(0);
        if (bias != null && bias.value().size() != outFeatures) {
            throw new IllegalArgumentException("linear: bias is " + bias.value().shapeString() + " but weight "
                    + wv.shapeString() + " has " + outFeatures + " outputs");
        }
        int rows = (int) (xv.size() / in);
        int[] outShape = xv.shape();
        outShape[outShape.length - 1] = outFeatures;
        Backend backend = tape.backend();
        Tensor y = tape.allocateUninitialized(outShape);
        backend.gemm(Transpose.N, Transpose.T, rows, outFeatures, in, 1f, xv, 0, in, wv, 0, in, 0f, y, 0, outFeatures);
        if (bias != null) {
            backend.addBias(y, bias.value(), y);
        }
        Var out = bias == null ? tape.output(y, x, weight) : tape.output(y, x, weight, bias);
        tape.onBackward(out, () -> {
            Tensor dy = out.grad();
            if (x.requiresGrad()) {      // dX += dY·W
                backend.gemm(Transpose.N, Transpose.N, rows, in, outFeatures, 1f, dy, 0, outFeatures, wv, 0, in, 1f,
                        x.gradForAccumulation(), 0, in);
            }
            if (weight.requiresGrad()) { // dW += dYᵀ·X
                backend.gemm(Transpose.T, Transpose.N, outFeatures, in, rows, 1f, dy, 0, outFeatures, xv, 0, in, 1f,
                        weight.gradForAccumulation(), 0, in);
            }
            if (bias != null && bias.requiresGrad()) {
                backend.addBiasBackward(dy, bias.gradForAccumulation());
            }
        });
        return out;
    }
}
