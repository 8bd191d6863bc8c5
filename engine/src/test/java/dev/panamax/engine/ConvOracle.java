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
 *
 * <p>The SIMD backend computes 3×3, stride-1, padding-1 layers by Winograd's F(2×2, 3×3) ({@code
 * WinogradConv3x3}): the same sum in another order, through transforms. The same theorem bounds any evaluation of
 * a sum of products by {@code γ(d)} times that evaluation on absolute values, with d the most roundings on a path
 * from an input to the result (multiplications by ½ and ±1 are exact): 2 in the input transform, 4 in the filter
 * transform, one per input channel k in the product sums (each FMA rounds once), 4 in the output transform and 1
 * for the bias or the accumulated gradient, so {@code d = k + 11}; {@link #winograd} computes that magnitude.
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

    /** |Aᵀ| (rows 0 and 1) and |G|, |Bᵀ| of F(2×2, 3×3), for {@link #winograd}. */
    private static final double[][] ABS_AT = {{1, 1, 1, 0}, {0, 1, 1, 1}};
    private static final double[][] ABS_G = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, 0.5, 0.5}, {0, 0, 1}};
    private static final double[][] ABS_BT = {{1, 0, 1, 0}, {0, 1, 1, 0}, {0, 1, 1, 0}, {0, 1, 0, 1}};

    /** The forward pass's exact values with the Winograd bound (a 3×3, stride-1, padding-1 shape). */
    Exact winogradForward(Exact direct, float[] x, float[] wt, float[] bias) {
        double[] added = new double[direct.value().length];
        for (int i = 0; i < added.length; i++) {
            added[i] = bias == null ? 0 : Math.abs(bias[i / (oh * ow) % o]);
        }
        return new Exact(direct.value(), winograd(x, c, wt, o, false, added), c + 11);
    }

    /** The input gradient's exact values with the Winograd bound: dy convolved with w flipped and transposed. */
    Exact winogradBackwardInput(Exact direct, float[] dy, float[] wt, float[] dx0) {
        double[] added = new double[dx0.length];
        for (int i = 0; i < added.length; i++) {
            added[i] = Math.abs(dx0[i]);
        }
        return new Exact(direct.value(), winograd(dy, o, wt, c, true, added), o + 11);
    }

    /**
     * Per output element, {@code added + Σ_k Σ_ξ |Aᵀ|·(Ū_k ⊙ V̄_k)·|A|}: Winograd's evaluation on absolute values,
     * with {@code Ū = |G|·|g|·|G|ᵀ} and {@code V̄ = |Bᵀ|·|d|·|B|} for the 4×4 input patch d of the output's tile.
     * g[m, r] is {@code wt[m, r]}, or {@code wt[r, m]} rotated by 180° when transposed.
     */
    private double[] winograd(float[] in, int k, float[] wt, int m, boolean transposed, double[] added) {
        int tilesH = (h + 1) / 2;
        int tilesW = (w + 1) / 2;
        double[][][] filters = new double[m * k][][];
        for (int im = 0; im < m; im++) {
            for (int r = 0; r < k; r++) {
                double[][] g = new double[3][3];
                for (int a = 0; a < 3; a++) {
                    for (int b = 0; b < 3; b++) {
                        g[a][b] = Math.abs(transposed ? wt[((r * m + im) * 3 + 2 - a) * 3 + 2 - b]
                                : wt[((im * k + r) * 3 + a) * 3 + b]);
                    }
                }
                filters[im * k + r] = sandwich(ABS_G, g);
            }
        }
        double[] mag = added.clone();
        for (int in0 = 0; in0 < n; in0++) {
            for (int ty = 0; ty < tilesH; ty++) {
                for (int tx = 0; tx < tilesW; tx++) {
                    for (int r = 0; r < k; r++) {
                        double[][] v = sandwich(ABS_BT, absPatch(in, in0 * k + r, ty, tx));
                        for (int im = 0; im < m; im++) {
                            double[][] u = filters[im * k + r];
                            for (int i = 0; i < 2 && 2 * ty + i < h; i++) {
                                for (int j = 0; j < 2 && 2 * tx + j < w; j++) {
                                    double sum = 0;
                                    for (int p = 0; p < 4; p++) {
                                        for (int q = 0; q < 4; q++) {
                                            sum += ABS_AT[i][p] * ABS_AT[j][q] * u[p][q] * v[p][q];
                                        }
                                    }
                                    mag[((in0 * m + im) * h + 2 * ty + i) * w + 2 * tx + j] += sum;
                                }
                            }
                        }
                    }
                }
            }
        }
        return mag;
    }

    private static final double[][] ABS_A = {{1, 0}, {1, 1}, {1, 1}, {0, 1}};
    private static final double[][] ABS_GT = {{1, 0.5, 0.5, 0}, {0, 0.5, 0.5, 0}, {0, 0.5, 0.5, 1}};

    /**
     * The weight gradient's exact values with the bound of {@code WinogradWeightGradient}: per (o, c), the sum over
     * images and tiles of {@code Gᵀ·[(A·dY·Aᵀ) ⊙ (Bᵀ·d·B)]·G} on absolute values, plus |dw0|. Roundings on a path:
     * 2 in each transform, one per tile in the product sums and at most one more per reduction block and image
     * (so at most 2·n·tiles), the groups' partial sums (≤ 8), 4 in Gᵀ·dU·G and the final addition: at most
     * {@code 2·n·tiles + 16}.
     */
    Exact winogradBackwardWeight(Exact direct, float[] x, float[] dy, float[] dw0) {
        int tilesH = (h + 1) / 2;
        int tilesW = (w + 1) / 2;
        double[] mag = new double[dw0.length];
        for (int i = 0; i < mag.length; i++) {
            mag[i] = Math.abs(dw0[i]);
        }
        for (int in0 = 0; in0 < n; in0++) {
            for (int ty = 0; ty < tilesH; ty++) {
                for (int tx = 0; tx < tilesW; tx++) {
                    double[][][] wBar = new double[o][][];
                    for (int io = 0; io < o; io++) {
                        double[][] g = new double[2][2];
                        for (int i = 0; i < 2; i++) {
                            for (int j = 0; j < 2; j++) {
                                int y = 2 * ty + i;
                                int xx = 2 * tx + j;
                                if (y < h && xx < w) {
                                    g[i][j] = Math.abs(dy[((in0 * o + io) * h + y) * w + xx]);
                                }
                            }
                        }
                        wBar[io] = sandwich(ABS_A, g);
                    }
                    for (int ic = 0; ic < c; ic++) {
                        double[][] v = sandwich(ABS_BT, absPatch(x, in0 * c + ic, ty, tx));
                        for (int io = 0; io < o; io++) {
                            double[][] product = new double[4][4];
                            for (int p = 0; p < 4; p++) {
                                for (int q = 0; q < 4; q++) {
                                    product[p][q] = wBar[io][p][q] * v[p][q];
                                }
                            }
                            double[][] g3 = sandwich(ABS_GT, product);
                            for (int a = 0; a < 3; a++) {
                                for (int b = 0; b < 3; b++) {
                                    mag[((io * c + ic) * 3 + a) * 3 + b] += g3[a][b];
                                }
                            }
                        }
                    }
                }
            }
        }
        return new Exact(direct.value(), mag, 2 * n * tilesH * tilesW + 16);
    }

    /** {@code L·X·Lᵀ}. */
    /** |values| of the 4×4 input patch of Winograd tile (ty, tx) in plane {@code plane} of {@code in}, zero outside. */
    private double[][] absPatch(float[] in, int plane, int ty, int tx) {
        double[][] d = new double[4][4];
        for (int a = 0; a < 4; a++) {
            for (int b = 0; b < 4; b++) {
                int iy = 2 * ty - 1 + a;
                int ix = 2 * tx - 1 + b;
                if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                    d[a][b] = Math.abs(in[(plane * h + iy) * w + ix]);
                }
            }
        }
        return d;
    }

    private static double[][] sandwich(double[][] l, double[][] x) {
        int rows = l.length;
        int inner = x.length;
        double[][] lx = new double[rows][inner];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < inner; j++) {
                for (int a = 0; a < inner; a++) {
                    lx[i][j] += l[i][a] * x[a][j];
                }
            }
        }
        double[][] out = new double[rows][rows];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < rows; j++) {
                for (int b = 0; b < inner; b++) {
                    out[i][j] += lx[i][b] * l[j][b];
                }
            }
        }
        return out;
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
