package dev.panamax.engine.autograd;

import dev.panamax.engine.Backend;
import dev.panamax.engine.Tensor;

/** LayerNorm, RMSNorm, GroupNorm and GroupNorm + SiLU with their backward rules; statistics are saved on the tape. */
public final class NormOps {

    private NormOps() {
    }

    /** LayerNorm over the last dimension; gamma and beta are [C]. */
    public static Var layerNorm(Tape tape, Var x, Var gamma, Var beta, float eps) {
        Backend backend = tape.backend();
        int rows = (int) (x.value().size() / x.value().dim(-1));
        Tensor y = tape.allocateUninitialized(x.shape());
        Tensor mean = tape.allocateUninitialized(rows);
        Tensor rstd = tape.allocateUninitialized(rows);
        backend.layerNorm(x.value(), gamma.value(), beta.value(), y, mean, rstd, eps);
        Var out = tape.output(y, x, gamma, beta);
        tape.onBackward(out, () -> backend.layerNormBackward(x.value(), gamma.value(), mean, rstd, out.grad(),
                x.gradForAccumulation(), gamma.gradForAccumulation(), beta.gradForAccumulation()));
        return out;
    }

    /** RMSNorm over the last dimension; gamma is [C]. */
    public static Var rmsNorm(Tape tape, Var x, Var gamma, float eps) {
        Backend backend = tape.backend();
        int rows = (int) (x.value().size() / x.value().dim(-1));
        Tensor y = tape.allocateUninitialized(x.shape());
        Tensor rstd = tape.allocateUninitialized(rows);
        backend.rmsNorm(x.value(), gamma.value(), y, rstd, eps);
        Var out = tape.output(y, x, gamma);
        tape.onBackward(out, () -> backend.rmsNormBackward(x.value(), gamma.value(), rstd, out.grad(),
                x.gradForAccumulation(), gamma.gradForAccumulation()));
        return out;
    }

    /** GroupNorm of x [N, C, ...] in {@code groups} groups; gamma and beta are [C]. */
    public static Var groupNorm(Tape tape, Var x, int groups, Var gamma, Var beta, float eps) {
        Backend backend = tape.backend();
        int batch = x.value().dim(0);
        Tensor y = tape.allocateUninitialized(x.shape());
        Tensor mean = tape.allocateUninitialized(batch * Math.max(1, groups));
        Tensor rstd = tape.allocateUninitialized(batch * Math.max(1, groups));
        backend.groupNorm(x.value(), groups, gamma.value(), beta.value(), y, mean, rstd, eps);
        Var out = tape.output(y, x, gamma, beta);
        tape.onBackward(out, () -> backend.groupNormBackward(x.value(), groups, gamma.value(), mean, rstd,
                out.grad(), x.gradForAccumulation(), gamma.gradForAccumulation(), beta.gradForAccumulation()));
        return out;
    }

    /**
     * SiLU(GroupNorm(x)) as one operation (a U-Net's "normalize, then activate"): one pass over x each way, and
     * GroupNorm's output and its gradient are never stored (the backward recomputes them from x, mean and rstd).
     */
    public static Var groupNormSilu(Tape tape, Var x, int groups, Var gamma, Var beta, float eps) {
        Backend backend = tape.backend();
        int batch = x.value().dim(0);
        Tensor y = tape.allocateUninitialized(x.shape());
        Tensor mean = tape.allocateUninitialized(batch * Math.max(1, groups));
        Tensor rstd = tape.allocateUninitialized(batch * Math.max(1, groups));
        backend.groupNormSilu(x.value(), groups, gamma.value(), beta.value(), y, mean, rstd, eps);
        Var out = tape.output(y, x, gamma, beta);
        tape.onBackward(out, () -> backend.groupNormSiluBackward(x.value(), groups, gamma.value(), beta.value(),
                mean, rstd, eps, out.grad(), x.gradForAccumulation(), gamma.gradForAccumulation(),
                beta.gradForAccumulation()));
        return out;
    }
}
