package dev.panamax.engine;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * A double-precision convolution and its error bound, the yardstick for both float backends.
 *
 * <p>Every element a convolution kernel produces is a sum of {@code n} terms: products of an input and a weight
 * (or of two gradients) plus at most one value added last (the bias, or the old gradient being accumulated into).
 * Whatever the order of the sum and whether products are fused into FMAs, the float result differs from the exact
 * one by at most {@code γ(n)·Σ|terms|} with {@code γ(n) = n·u/(1 − n·u)} and {@code u = 2⁻²⁴} (Higham,
 * "Accuracy and Stability of Numerical Algorithms", §3.1). So this class computes, per element, the exact value
 * and {@code Σ|terms|} in double (whose own error, about {@code n·2⁻⁵³·Σ|terms|}, is covered by a {@code 2⁻⁴⁰}
 * margin), and each backend must lie within the bound; two backends then differ by at most twice the bound. The
 * term counts are the reduction lengths: {@code c·kh·kw + 1} forward, {@code o·kh·kw + 1} for the input gradient,
 * {@code n·oh·ow + 1} for the weight and bias gradients. Nothing here is tuned to make a test pass.
 */
final class ConvOracle {

    private static final double UNIT_ROUNDOFF = Math.scalb(1.0, -24);

    /** The exact values and the magnitudes Σ|terms| of one result tensor, and its term count. */
    record Exact(double[] value, double[] magnitude, int terms) {
        double bound(int i) {
            double gamma = terms * UNIT_ROUNDOFF / (1 - terms * UNIT_ROUNDOFF);
            return gamma * magnitude[i] + Math.scalb(magnitude[i], -40);
        }

        void assertWithin(String what, float[] actual) {
            for (int i = 0; i < value.length; i++) {
                double diff = Math.abs(actual[i] - value[i]);
                if (!(diff <= bound(i))) {
                    fail(what + ": element " + i + " is " + actual[i] + ", exact " + value[i] + ", error " + diff
                            + " exceeds the bound " + bound(i) + " (" + terms + " terms of total magnitude "
                            + magnitude[i] + ")");
                }
            }
        }
    }

    private final int n, c, h, w, o, kh, kw, stride, pad, oh, ow;

    ConvOracle(int n, int c, int h, int w, int o, int kh, int kw, int stride, int pad) {
        this.n = n;
        this.c = c;
        this.h = h;
        this.w = w;
        this.o = o;
        this.kh = kh;
        this.kw = kw;
        this.stride = stride;
        this.pad = pad;
        this.oh = (h + 2 * pad - kh) / stride + 1;
        this.ow = (w + 2 * pad - kw) / stride + 1;
    }

    int oh() {
        return oh;
    }

    int ow() {
        return ow;
    }

    /** y = conv(x, wt) + bias (bias may be null). */
    Exact forward(float[] x, float[] wt, float[] bias) {
        double[] value = new double[n * o * oh * ow];
        double[] mag = new double[value.length];
        for (int in = 0; in < n; in++) {
            for (int io = 0; io < o; io++) {
                for (int y = 0; y < oh; y++) {
                    for (int xx = 0; xx < ow; xx++) {
                        double s = bias == null ? 0 : bias[io];
                        double m = Math.abs(s);
                        for (int ic = 0; ic < c; ic++) {
                            for (int a = 0; a < kh; a++) {
                                for (int b = 0; b < kw; b++) {
                                    int iy = y * stride - pad + a;
                                    int ix = xx * stride - pad + b;
                                    if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                                        double t = (double) wt[((io * c + ic) * kh + a) * kw + b]
                                                * x[((in * c + ic) * h + iy) * w + ix];
                                        s += t;
                                        m += Math.abs(t);
                                    }
                                }
                            }
                        }
                        int at = ((in * o + io) * oh + y) * ow + xx;
                        value[at] = s;
                        mag[at] = m;
                    }
                }
            }
        }
        return new Exact(value, mag, c * kh * kw + 1);
    }

    /** dx0 + ∂/∂x of Σ y·dy. */
    Exact backwardInput(float[] dy, float[] wt, float[] dx0) {
        double[] value = new double[dx0.length];
        double[] mag = new double[dx0.length];
        for (int i = 0; i < dx0.length; i++) {
            value[i] = dx0[i];
            mag[i] = Math.abs(dx0[i]);
        }
        for (int in = 0; in < n; in++) {
            for (int io = 0; io < o; io++) {
                for (int y = 0; y < oh; y++) {
                    for (int xx = 0; xx < ow; xx++) {
                        double g = dy[((in * o + io) * oh + y) * ow + xx];
                        for (int ic = 0; ic < c; ic++) {
                            for (int a = 0; a < kh; a++) {
                                for (int b = 0; b < kw; b++) {
                                    int iy = y * stride - pad + a;
                                    int ix = xx * stride - pad + b;
                                    if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                                        int at = ((in * c + ic) * h + iy) * w + ix;
                                        double t = g * wt[((io * c + ic) * kh + a) * kw + b];
                                        value[at] += t;
                                        mag[at] += Math.abs(t);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return new Exact(value, mag, o * kh * kw + 1);
    }

    /** {dw0 + ∂/∂w, db0 + ∂/∂bias} of Σ y·dy. */
    Exact[] backwardWeight(float[] x, float[] dy, float[] dw0, float[] db0) {
        double[] value = new double[dw0.length];
        double[] mag = new double[dw0.length];
        double[] bValue = new double[o];
        double[] bMag = new double[o];
        for (int i = 0; i < dw0.length; i++) {
            value[i] = dw0[i];
            mag[i] = Math.abs(dw0[i]);
        }
        for (int i = 0; i < o; i++) {
            bValue[i] = db0[i];
            bMag[i] = Math.abs(db0[i]);
        }
        for (int in = 0; in < n; in++) {
            for (int io = 0; io < o; io++) {
                for (int y = 0; y < oh; y++) {
                    for (int xx = 0; xx < ow; xx++) {
                        double g = dy[((in * o + io) * oh + y) * ow + xx];
                        bValue[io] += g;
                        bMag[io] += Math.abs(g);
                        for (int ic = 0; ic < c; ic++) {
                            for (int a = 0; a < kh; a++) {
                                for (int b = 0; b < kw; b++) {
                                    int iy = y * stride - pad + a;
                                    int ix = xx * stride - pad + b;
                                    if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                                        int at = ((io * c + ic) * kh + a) * kw + b;
                                        double t = g * x[((in * c + ic) * h + iy) * w + ix];
                                        value[at] += t;
                                        mag[at] += Math.abs(t);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        int terms = n * oh * ow + 1;
        return new Exact[] {new Exact(value, mag, terms), new Exact(bValue, bMag, terms)};
    }
}
