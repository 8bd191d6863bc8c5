package dev.panamax.engine.autograd;

import dev.panamax.engine.Backend;
import dev.panamax.engine.Tensor;

/** Losses: scalar Vars whose backward starts the chain. */
public final class LossOps {

    private LossOps() {
    }

    /**
     * Mean cross-entropy of softmax(logits) over the last dimension against one target class per row; rows whose
     * target equals {@code ignoreIndex} do not count.
     */
    public static Var crossEntropy(Tape tape, Var logits, int[] targets, int ignoreIndex) {
        Backend backend = tape.backend();
        Tensor probs = tape.allocateUninitialized(logits.shape());
        double loss = backend.crossEntropy(logits.value(), targets, ignoreIndex, probs);
        Var out = tape.output(scalar(tape, loss), logits);
        int[] savedTargets = targets.clone();   // the caller may reuse its array before backward
        tape.onBackward(out, () -> backend.crossEntropyBackward(probs, savedTargets, ignoreIndex, out.grad().get(0),
                logits.gradForAccumulation()));
        return out;
    }

    /** mean((pred − target)²); target needs no gradient. */
    public static Var mse(Tape tape, Var pred, Var target) {
        Backend backend = tape.backend();
        double loss = backend.mse(pred.value(), target.value());
        Var out = tape.output(scalar(tape, loss), pred, target);
        tape.onBackward(out, () -> {
            float dLoss = out.grad().get(0);
            if (pred.requiresGrad()) {
                backend.mseBackward(pred.value(), target.value(), dLoss, pred.gradForAccumulation());
            }
            if (target.requiresGrad()) {
                backend.mseBackward(target.value(), pred.value(), dLoss, target.gradForAccumulation());
            }
        });
        return out;
    }

    static Tensor scalar(Tape tape, double value) {
        Tensor t = tape.allocateUninitialized(1);
        t.set((float) value, 0);
        return t;
    }
}
