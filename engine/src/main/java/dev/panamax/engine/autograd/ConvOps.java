package dev.panamax.engine.autograd;

import dev.panamax.engine.Backend;
import dev.panamax.engine.Tensor;

/** Convolution and 2× resampling (NCHW) with their backward rules, for the U-Net. */
public final class ConvOps {

    private ConvOps() {
    }

    /** output = conv2d(x, weight) + bias; x [n, c, h, w], weight [o, c, kh, kw], bias [o] or null. */
    public static Var conv2d(Tape tape, Var x, Var weight, Var bias, int stride, int padding) {
        Backend backend = tape.backend();
        int[] in = x.shape();
        int[] w = weight.shape();
        if (in.length != 4 || w.length != 4) {
            throw new IllegalArgumentException("conv2d: x " + x.value().shapeString() + " and weight "
                    + weight.value().shapeString() + " must both be 4-D (NCHW, OCHW)");
        }
        if (stride < 1 || padding < 0) {
            throw new IllegalArgumentException("conv2d: stride must be >= 1 and padding >= 0, got stride " + stride
                    + ", padding " + padding);
        }
        int outH = (in[2] + 2 * padding - w[2]) / stride + 1;
        int outW = (in[3] + 2 * padding - w[3]) / stride + 1;
        if (outH < 1 || outW < 1) {
            throw new IllegalArgumentException("conv2d: kernel " + w[2] + "x" + w[3] + " is larger than the padded "
                    + "input " + (in[2] + 2 * padding) + "x" + (in[3] + 2 * padding) + " of x "
                    + x.value().shapeString());
        }
        Tensor y = tape.allocateUninitialized(in[0], w[0], outH, outW);
        backend.conv2d(x.value(), weight.value(), bias == null ? null : bias.value(), y, stride, padding);
        Var out = bias == null ? tape.output(y, x, weight) : tape.output(y, x, weight, bias);
        tape.onBackward(out, () -> {
            if (x.requiresGrad()) {
                backend.conv2dBackwardInput(out.grad(), weight.value(), x.gradForAccumulation(), stride, padding);
            }
            boolean biasGrad = bias != null && bias.requiresGrad();
            if (weight.requiresGrad()) {
                backend.conv2dBackwardWeight(x.value(), out.grad(), weight.gradForAccumulation(),
                        biasGrad ? bias.gradForAccumulation() : null, stride, padding);
            } else if (biasGrad) {
                backend.conv2dBackwardWeight(x.value(), out.grad(), tape.allocate(weight.shape()),
                        bias.gradForAccumulation(), stride, padding);
            }
        });
        return out;
    }

    /** Nearest-neighbour 2× upsampling. */
    public static Var upsample2x(Tape tape, Var x) {
        Backend backend = tape.backend();
        int[] s = x.shape();
        if (s.length != 4) {
            throw new IllegalArgumentException("upsample2x: x must be [n, c, h, w], got " + x.value().shapeString());
        }
        Tensor y = tape.allocateUninitialized(s[0], s[1], 2 * s[2], 2 * s[3]);
        backend.upsampleNearest2x(x.value(), y);
        Var out = tape.output(y, x);
        tape.onBackward(out, () -> backend.upsampleNearest2xBackward(out.grad(), x.gradForAccumulation()));
        return out;
    }

    /** 2×2 average pooling with stride 2. */
    public static Var avgPool2x2(Tape tape, Var x) {
        Backend backend = tape.backend();
        int[] s = x.shape();
        if (s.length != 4 || s[2] < 2 || s[3] < 2) {
            throw new IllegalArgumentException("avgPool2x2: x must be [n, c, h, w] with h, w >= 2, got "
                    + x.value().shapeString());
        }
        Tensor y = tape.allocateUninitialized(s[0], s[1], s[2] / 2, s[3] / 2);
        backend.avgPool2x2(x.value(), y);
        Var out = tape.output(y, x);
        tape.onBackward(out, () -> backend.avgPool2x2Backward(out.grad(), x.gradForAccumulation()));
        return out;
    }
}
