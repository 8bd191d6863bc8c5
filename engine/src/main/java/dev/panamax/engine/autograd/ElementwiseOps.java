package dev.panamax.engine.autograd;

import dev.panamax.engine.Backend;
import dev.panamax.engine.Tensor;

/** Elementwise arithmetic and activations with their backward rules. */
public final class ElementwiseOps {

    private ElementwiseOps() {
    }

    public static Var add(Tape tape, Var a, Var b) {
        Backend backend = tape.backend();
        Tensor y = tape.allocate(a.shape());
        backend.add(a.value(), b.value(), y);
        Var out = tape.output(y, a, b);
        tape.onBackward(out, () -> {
            accumulate(backend, 1f, out.grad(), a);
            accumulate(backend, 1f, out.grad(), b);
        });
        return out;
    }

    public static Var sub(Tape tape, Var a, Var b) {
        Backend backend = tape.backend();
        Tensor y = tape.allocate(a.shape());
        backend.sub(a.value(), b.value(), y);
        Var out = tape.output(y, a, b);
        tape.onBackward(out, () -> {
            accumulate(backend, 1f, out.grad(), a);
            accumulate(backend, -1f, out.grad(), b);
        });
        return out;
    }

    public static Var mul(Tape tape, Var a, Var b) {
        Backend backend = tape.backend();
        Tensor y = tape.allocate(a.shape());
        backend.mul(a.value(), b.value(), y);
        Var out = tape.output(y, a, b);
        tape.onBackward(out, () -> {
            Tensor product = tape.allocate(a.shape());
            if (a.requiresGrad()) {      // dA += dY ∘ B
                backend.mul(out.grad(), b.value(), product);
                backend.axpy(1f, product, a.gradForAccumulation());
            }
            if (b.requiresGrad()) {      // dB += dY ∘ A
                backend.mul(out.grad(), a.value(), product);
                backend.axpy(1f, product, b.gradForAccumulation());
            }
        });
        return out;
    }

    public static Var scale(Tape tape, Var a, float s) {
        Backend backend = tape.backend();
        Tensor y = tape.allocate(a.shape());
        backend.scale(a.value(), s, y);
        Var out = tape.output(y, a);
        tape.onBackward(out, () -> accumulate(backend, s, out.grad(), a));
        return out;
    }

    public static Var gelu(Tape tape, Var x) {
        Backend backend = tape.backend();
        Tensor y = tape.allocate(x.shape());
        backend.gelu(x.value(), y);
        Var out = tape.output(y, x);
        tape.onBackward(out, () -> backend.geluBackward(x.value(), out.grad(), x.gradForAccumulation()));
        return out;
    }

    public static Var silu(Tape tape, Var x) {
        Backend backend = tape.backend();
        Tensor y = tape.allocate(x.shape());
        backend.silu(x.value(), y);
        Var out = tape.output(y, x);
        tape.onBackward(out, () -> backend.siluBackward(x.value(), out.grad(), x.gradForAccumulation()));
        return out;
    }

    public static Var relu(Tape tape, Var x) {
        Backend backend = tape.backend();
        Tensor y = tape.allocate(x.shape());
        backend.relu(x.value(), y);
        Var out = tape.output(y, x);
        tape.onBackward(out, () -> backend.reluBackward(x.value(), out.grad(), x.gradForAccumulation()));
        return out;
    }

    public static Var softmax(Tape tape, Var x) {
        Backend backend = tape.backend();
        Tensor y = tape.allocate(x.shape());
        backend.softmax(x.value(), y);
        Var out = tape.output(y, x);
        tape.onBackward(out, () -> backend.softmaxBackward(y, out.grad(), x.gradForAccumulation()));
        return out;
    }

    public static Var logSoftmax(Tape tape, Var x) {
        Backend backend = tape.backend();
        Tensor y = tape.allocate(x.shape());
        backend.logSoftmax(x.value(), y);
        Var out = tape.output(y, x);
        tape.onBackward(out, () -> backend.logSoftmaxBackward(y, out.grad(), x.gradForAccumulation()));
        return out;
    }

    /** target.grad += s·grad, when target needs a gradient. */
    static void accumulate(Backend backend, float s, Tensor grad, Var target) {
        if (target.requiresGrad()) {
            backend.axpy(s, grad, target.gradForAccumulation());
        }
    }
}
