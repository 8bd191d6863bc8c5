package dev.panamax.engine.nn;

import dev.panamax.engine.Tensor;
import dev.panamax.engine.autograd.ConvOps;
import dev.panamax.engine.autograd.Tape;
import dev.panamax.engine.autograd.Var;
import java.lang.foreign.Arena;
import java.util.List;

/**
 * A 2-D convolution in NCHW, weight [out, in, k, k] (PyTorch's layout), initialised like PyTorch: uniform in
 * ±1/√(in·k·k).
 */
public final class Conv2d implements Layer {

    private final Parameter weight;
    private final Parameter bias;
    private final int stride;
    private final int padding;

    public Conv2d(Arena arena, String name, int in, int out, int kernel, int stride, int padding, boolean withBias,
                  long seed) {
        if (in < 1 || out < 1 || kernel < 1 || stride < 1 || padding < 0) {
            throw new IllegalArgumentException("Conv2d " + name + ": in, out, kernel, stride must be >= 1 and "
                    + "padding >= 0, got " + in + ", " + out + ", " + kernel + ", " + stride + ", " + padding);
        }
        float bound = (float) (1 / Math.sqrt((double) in * kernel * kernel));
        this.weight = Parameter.initialised(arena, name + ".weight", true,
                scratch -> Tensor.uniform(scratch, seed, -bound, bound, out, in, kernel, kernel));
        this.bias = withBias
                ? Parameter.initialised(arena, name + ".bias", false,
                        scratch -> Tensor.uniform(scratch, seed + 1, -bound, bound, out))
                : null;
        this.stride = stride;
        this.padding = padding;
    }

    public Parameter weight() {
        return weight;
    }

    @Override
    public Var forward(Tape tape, Var x) {
        return ConvOps.conv2d(tape, x, tape.param(weight), bias == null ? null : tape.param(bias), stride, padding);
    }

    @Override
    public List<Parameter> parameters() {
        return bias == null ? List.of(weight) : List.of(weight, bias);
    }
}
