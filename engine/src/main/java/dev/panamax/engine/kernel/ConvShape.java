package dev.panamax.engine.kernel;

import dev.panamax.engine.Tensor;
import java.util.Arrays;

/**
 * The dimensions of one 2-D convolution in NCHW layout, and the argument checks of the convolution and resampling
 * operations, shared by every backend (the role {@link GemmShape} plays for GEMM).
 *
 * <pre>
 * input  [n, c, h, w]      weight [o, c, kh, kw]      bias [o]      output [n, o, oh, ow]
 * oh = (h + 2·padding − kh) / stride + 1               ow = (w + 2·padding − kw) / stride + 1
 * </pre>
 *
 * Once a factory returns, kernels may trust the shape: every dimension is ≥ 1, the kernel fits the padded input,
 * every tensor is alive and has exactly the expected shape, no output overlaps an input, and per-image sizes and
 * reduction lengths fit in an {@code int}. Messages name the operation, the argument and the shapes.
 */
public record ConvShape(int n, int c, int h, int w, int o, int kh, int kw, int stride, int padding, int oh, int ow) {

    /** Floats of one input image, {@code c·h·w}. */
    public long inputImage() {
        return (long) c * h * w;
    }

    /** Floats of one output image, {@code o·oh·ow}. */
    public long outputImage() {
        return (long) o * oh * ow;
    }

    /** The forward reduction length {@code c·kh·kw} (terms in one output element). */
    public int k() {
        return c * kh * kw;
    }

    /** Output pixels per image, {@code oh·ow}. */
    public int pixels() {
        return oh * ow;
    }

    /** Whether the convolution is a plain matrix product per image: 1×1 kernel, stride 1, no padding. */
    public boolean isPointwise() {
        return kh == 1 && kw == 1 && stride == 1 && padding == 0;
    }

    public int[] inputShape() {
        return new int[] {n, c, h, w};
    }

    public int[] weightShape() {
        return new int[] {o, c, kh, kw};
    }

    public int[] outputShape() {
        return new int[] {n, o, oh, ow};
    }

    @Override
    public String toString() {
        return "conv2d input " + Arrays.toString(inputShape()) + ", weight " + Arrays.toString(weightShape())
                + ", stride " + stride + ", padding " + padding + " -> " + Arrays.toString(outputShape());
    }

    // ---------------------------------------------------------------- convolution

    /** Checks {@code output = conv2d(input, weight) + bias}; {@code bias} may be null. */
    public static ConvShape forward(Tensor input, Tensor weight, Tensor bias, Tensor output, int stride,
                                    int padding) {
        String op = "conv2d";
        live(op, "input", input);
        live(op, "weight", weight);
        live(op, "output", output);
        ConvShape s = of(op, input, "input", weight, stride, padding);
        if (bias != null) {
            checkBias(op, "bias", bias, s, weight);
        }
        expect(op, "output", output, s.outputShape(), s);
        disjoint(op, "output", output, "input", input);
        disjoint(op, "output", output, "weight", weight);
        if (bias != null) {
            disjoint(op, "output", output, "bias", bias);
        }
        return s;
    }

    /**
     * Checks {@code dInput += conv2dᵀ(dOutput, weight)}. The input's spatial size comes from {@code dInput}, since
     * with a stride above 1 several input sizes give the same output size.
     */
    public static ConvShape backwardInput(Tensor dOutput, Tensor weight, Tensor dInput, int stride, int padding) {
        String op = "conv2dBackwardInput";
        live(op, "dOutput", dOutput);
        live(op, "weight", weight);
        live(op, "dInput", dInput);
        ConvShape s = of(op, dInput, "dInput", weight, stride, padding);
        expect(op, "dOutput", dOutput, s.outputShape(), s);
        disjoint(op, "dInput", dInput, "dOutput", dOutput);
        disjoint(op, "dInput", dInput, "weight", weight);
        return s;
    }

    /** Checks {@code dWeight += ∂/∂weight} and {@code dBias += Σ dOutput} ({@code dBias} may be null). */
    public static ConvShape backwardWeight(Tensor input, Tensor dOutput, Tensor dWeight, Tensor dBias, int stride,
                                           int padding) {
        String op = "conv2dBackwardWeight";
        live(op, "input", input);
        live(op, "dOutput", dOutput);
        live(op, "dWeight", dWeight);
        ConvShape s = of(op, input, "input", dWeight, stride, padding);
        expect(op, "dOutput", dOutput, s.outputShape(), s);
        disjoint(op, "dWeight", dWeight, "input", input);
        disjoint(op, "dWeight", dWeight, "dOutput", dOutput);
        if (dBias != null) {
            checkBias(op, "dBias", dBias, s, dWeight);
            disjoint(op, "dBias", dBias, "input", input);
            disjoint(op, "dBias", dBias, "dOutput", dOutput);
            disjoint(op, "dBias", dBias, "dWeight", dWeight);
        }
        return s;
    }

    private static ConvShape of(String op, Tensor input, String inputName, Tensor weight, int stride, int padding) {
        if (input.rank() != 4) {
            throw new IllegalArgumentException(op + ": " + inputName + " must be 4-D [batch, channels, height, "
                    + "width] (NCHW), got " + input.shapeString());
        }
        if (weight.rank() != 4) {
            throw new IllegalArgumentException(op + ": weight must be 4-D [out channels, in channels, kernel height, "
                    + "kernel width], got " + weight.shapeString());
        }
        if (stride < 1) {
            throw new IllegalArgumentException(op + ": stride must be >= 1, got " + stride);
        }
        if (padding < 0) {
            throw new IllegalArgumentException(op + ": padding must be >= 0, got " + padding);
        }
        int n = input.dim(0);
        int c = input.dim(1);
        int h = input.dim(2);
        int w = input.dim(3);
        int o = weight.dim(0);
        int kh = weight.dim(2);
        int kw = weight.dim(3);
        if (weight.dim(1) != c) {
            throw new IllegalArgumentException(op + ": " + inputName + " " + input.shapeString() + " has " + c
                    + " channels but weight " + weight.shapeString() + " expects " + weight.dim(1)
                    + " (weight is [out channels, in channels, kh, kw])");
        }
        long paddedH = h + 2L * padding;
        long paddedW = w + 2L * padding;
        if (kh > paddedH || kw > paddedW) {
            throw new IllegalArgumentException(op + ": kernel " + kh + "x" + kw + " (weight " + weight.shapeString()
                    + ") is larger than the padded input " + paddedH + "x" + paddedW + " (" + inputName + " "
                    + input.shapeString() + " with padding " + padding + ")");
        }
        int oh = (int) ((paddedH - kh) / stride + 1);
        int ow = (int) ((paddedW - kw) / stride + 1);
        ConvShape s = new ConvShape(n, c, h, w, o, kh, kw, stride, padding, oh, ow);
        long k = (long) c * kh * kw;
        long kBackward = (long) o * kh * kw;
        long reduction = (long) n * oh * ow;
        long paddedImage = (paddedH + kh) * (paddedW + kw) * (Math.max(c, o) + 64L);
        if (k > Integer.MAX_VALUE / 2 || kBackward > Integer.MAX_VALUE / 2 || reduction > Integer.MAX_VALUE / 2
                || s.inputImage() > Integer.MAX_VALUE / 2 || s.outputImage() > Integer.MAX_VALUE / 2
                || paddedImage > Integer.MAX_VALUE / 2) {
            throw new IllegalArgumentException(op + ": " + s + " is too large: per-image sizes, batch·oh·ow and "
                    + "channels·kh·kw must each stay below 2^30");
        }
        return s;
    }

    private static void checkBias(String op, String name, Tensor bias, ConvShape s, Tensor weight) {
        live(op, name, bias);
        if (bias.rank() != 1 || bias.dim(0) != s.o()) {
            throw new IllegalArgumentException(op + ": " + name + " must be [" + s.o() + "] (one value per output "
                    + "channel of weight " + weight.shapeString() + "), got " + bias.shapeString());
        }
    }

    private static void expect(String op, String name, Tensor t, int[] shape, ConvShape s) {
        if (!Arrays.equals(t.shape(), shape)) {
            throw new IllegalArgumentException(op + ": " + name + " is " + t.shapeString() + " but input "
                    + Arrays.toString(s.inputShape()) + " with weight " + Arrays.toString(s.weightShape())
                    + ", stride " + s.stride() + " and padding " + s.padding() + " gives "
                    + Arrays.toString(shape));
        }
    }

    // ---------------------------------------------------------------- resampling

    /**
     * Checks a 2× resampling pair: {@code small} is [n, c, h, w] and {@code large} is [n, c, 2h, 2w] for
     * nearest-neighbour upsampling, or, for 2×2 average pooling, {@code large} is [n, c, H, W] and {@code small} is
     * [n, c, H/2, W/2] (an odd last row or column is dropped, as in PyTorch). Returns {n, c, h, w} of the small
     * tensor. The two tensors must not overlap.
     */
    public static int[] resample(String op, String largeName, Tensor large, String smallName, Tensor small,
                                 boolean pooling) {
        live(op, largeName, large);
        live(op, smallName, small);
        Tensor given = pooling ? large : small;
        String givenName = pooling ? largeName : smallName;
        if (given.rank() != 4) {
            throw new IllegalArgumentException(op + ": " + givenName + " must be 4-D [batch, channels, height, "
                    + "width] (NCHW), got " + given.shapeString());
        }
        int n = given.dim(0);
        int c = given.dim(1);
        int[] expected;
        int[] smallShape;
        if (pooling) {
            if (large.dim(2) < 2 || large.dim(3) < 2) {
                throw new IllegalArgumentException(op + ": " + largeName + " " + large.shapeString()
                        + " is smaller than the 2x2 pooling window");
            }
            smallShape = new int[] {n, c, large.dim(2) / 2, large.dim(3) / 2};
            expected = smallShape;
            if (!Arrays.equals(small.shape(), expected)) {
                throw new IllegalArgumentException(op + ": " + smallName + " is " + small.shapeString() + " but "
                        + largeName + " " + large.shapeString() + " pooled 2x2 gives " + Arrays.toString(expected));
            }
        } else {
            if (2L * small.dim(2) > Integer.MAX_VALUE / 4 || 2L * small.dim(3) > Integer.MAX_VALUE / 4) {
                throw new IllegalArgumentException(op + ": " + smallName + " " + small.shapeString()
                        + " is too large to upsample");
            }
            smallShape = small.shape();
            expected = new int[] {n, c, 2 * small.dim(2), 2 * small.dim(3)};
            if (!Arrays.equals(large.shape(), expected)) {
                throw new IllegalArgumentException(op + ": " + largeName + " is " + large.shapeString() + " but "
                        + smallName + " " + small.shapeString() + " upsampled 2x gives " + Arrays.toString(expected));
            }
        }
        disjoint(op, largeName, large, smallName, small);
        return smallShape;
    }

    // ---------------------------------------------------------------- helpers

    private static void live(String op, String name, Tensor t) {
        if (t == null) {
            throw new IllegalArgumentException(op + ": " + name + " is null");
        }
        t.requireAlive(op + " (" + name + ")");
    }

    private static void disjoint(String op, String outName, Tensor out, String inName, Tensor in) {
        long outLo = out.address();
        long outHi = outLo + out.size() * Float.BYTES;
        long inLo = in.address();
        long inHi = inLo + in.size() * Float.BYTES;
        if (outLo < inHi && inLo < outHi) {
            throw new IllegalArgumentException(op + ": " + outName + " " + out.shapeString() + " overlaps "
                    + inName + " " + in.shapeString() + " in memory; write the result to a separate tensor");
        }
    }
}
