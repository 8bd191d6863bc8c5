package dev.panamax.engine.autograd;

import dev.panamax.engine.Backend;
import dev.panamax.engine.Tensor;

/** Elementwise arithmetic and activations with their backward rules. */
public final class ElementwiseOps {

    private ElementwiseOps() {
    }

    public static Var add(Tape tape, Var a, Var b) {
        Backend backend = tape.backend();
        Tensor y = tape.allocateUninitialized(a.shape());
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
        Tensor y = tape.allocateUninitialized(a.shape());
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
        Tensor y = tape.allocateUninitialized(a.shape());
        backend.mul(a.value(), b.value(), y);
        Var out = tape.output(y, a, b);
        tape.onBackward(out, () -> {
            Tensor product = tape.allocateUninitialized(a.shape());
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
        Tensor y = tape.allocateUninitialized(a.shape());
        backend.scale(a.value(), s, y);
        Var out = tape.output(y, a);
        tape.onBackward(out, () -> accumulate(backend, s, out.grad(), a));
        return out;
    }

    /** x [N, C, ...] + bias [N, C] broadcast over the spatial positions (a U-Net's time embedding). */
    public static Var addChannelBias(Tape tape, Var x, Var bias) {
        Backend backend = tape.backend();
        Tensor y = tape.allocateUninitialized(x.shape());
        backend.addChannelBias(x.value(), bias.value(), y);
        Var out = tape.output(y, x, bias);
        tape.onBackward(out, () -> {
            accumulate(backend, 1f, out.grad(), x);
            if (bias.requiresGrad()) {
                backend.addChannelBiasBackward(out.grad(), bias.gradForAccumulation());
            }
        });
        return out;
    }

    public static Var gelu(Tape tape, Var x) {
        return pointwise(tape, x, Backend::gelu, Backend::geluBackward, false);
    }

    public static Var silu(Tape tape, Var x) {
        return pointwise(tape, x, Backend::silu, Backend::siluBackward, false);
    }

    public static Var relu(Tape tape, Var x) {
        return pointwise(tape, x, Backend::relu, Backend::reluBackward, false);
    }

    /** Softmax over the last dimension; its backward reads the output. */
    public static Var softmax(Tape tape, Var x) {
        return pointwise(tape, x, Backend::softmax, Backend::softmaxBackward, true);
    }

    /** Log-softmax over the last dimension; its backward reads the output. */
    public static Var logSoftmax(Tape tape, Var x) {
        return pointwise(tape, x, Backend::logSoftmax, Backend::logSoftmaxBackward, true);
    }

    /** A backend forward kernel {@code out = f(in)}. */
    @FunctionalInterface
    private interface Forward {
        void run(Backend backend, Tensor in, Tensor out);
    }

    /** A backend backward kernel {@code dX += dOut · f'(saved)}, saved being the op's input or output. */
    @FunctionalInterface
    private interface Backward {
        void run(Backend backend, Tensor saved, Tensor dOut, Tensor dX);
    }

    /** The shared shape of a one-input op: forward now, backward from the input or (softmax) the output. */
    private static Var pointwise(Tape tape, Var x, Forward forward, Backward backward, boolean backwardFromOutput) {
        Backend backend = tape.backend();
        Tensor y = tape.allocateUninitialized(x.shape());
        forward.run(backend, x.value(), y);
        Var out = tape.output(y, x);
        Tensor saved = backwardFromOutput ? y : x.value();
        tape.onBackward(out, () -> backward.run(backend, saved, out.grad(), x.gradForAccumulation()));
        return out;
    }

    /** target.grad += s·grad, when target needs a gradient. */
    static void accumulate(Backend backend, float s, Tensor grad, Var target) {
        if (target.requiresGrad()) {
            backend.axpy(s, grad, target.gradForAccumulation());
        }
    }
}
