package dev.panamax.engine.kernel.scalar;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Reference normalizations, forward and backward, with statistics in double. The variance is computed in two
 * passes (mean first, then Σ(x − mean)²), so a large common offset does not cancel it away. The forward stores
 * the mean and 1/σ per normalized group for the backward; backward kernels accumulate into dX, dGamma, dBeta.
 */
public final class ScalarNorms {

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    private ScalarNorms() {
    }

    /** LayerNorm over the last dimension of {@code rows × cols}: out = (x − μ)/σ · gamma + beta. */
    public static void layerNorm(MemorySegment x, MemorySegment gamma, MemorySegment beta, MemorySegment out,
                                 MemorySegment mean, MemorySegment rstd, int rows, int cols, float eps) {
        for (int r = 0; r < rows; r++) {
            long row = (long) r * cols;
            double m = 0;
            for (int c = 0; c < cols; c++) {
                m += x.getAtIndex(F, row + c);
            }
            m /= cols;
            double v = 0;
            for (int c = 0; c < cols; c++) {
                double d = x.getAtIndex(F, row + c) - m;
                v += d * d;
            }
            v /= cols;
            double s = 1 / Math.sqrt(v + eps);
            for (int c = 0; c < cols; c++) {
                double norm = (x.getAtIndex(F, row + c) - m) * s;
                out.setAtIndex(F, row + c, (float) (norm * gamma.getAtIndex(F, c) + beta.getAtIndex(F, c)));
            }
            mean.setAtIndex(F, r, (float) m);
            rstd.setAtIndex(F, r, (float) s);
        }
    }

    /** The LayerNorm backward (as llm.c): dX += (dNorm − mean(dNorm) − norm·mean(dNorm·norm))·rstd. */
    public static void layerNormBackward(MemorySegment x, MemorySegment gamma, MemorySegment mean, MemorySegment rstd,
                                         MemorySegment dOut, MemorySegment dX, MemorySegment dGamma,
                                         MemorySegment dBeta, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            long row = (long) r * cols;
            double m = mean.getAtIndex(F, r);
            double s = rstd.getAtIndex(F, r);
            double dNormMean = 0;
            double dNormNormMean = 0;
            for (int c = 0; c < cols; c++) {
                double norm = (x.getAtIndex(F, row + c) - m) * s;
                double dNorm = (double) gamma.getAtIndex(F, c) * dOut.getAtIndex(F, row + c);
                dNormMean += dNorm;
                dNormNormMean += dNorm * norm;
            }
            dNormMean /= cols;
            dNormNormMean /= cols;
            for (int c = 0; c < cols; c++) {
                double norm = (x.getAtIndex(F, row + c) - m) * s;
                double g = dOut.getAtIndex(F, row + c);
                double dNorm = gamma.getAtIndex(F, c) * g;
                dX.setAtIndex(F, row + c, (float) (dX.getAtIndex(F, row + c) + (dNorm - dNormMean - norm * dNormNormMean) * s));
                dGamma.setAtIndex(F, c, (float) (dGamma.getAtIndex(F, c) + norm * g));
                dBeta.setAtIndex(F, c, (float) (dBeta.getAtIndex(F, c) + g));
            }
        }
    }

    /** RMSNorm over the last dimension: out = x / √(mean(x²) + eps) · gamma. */
    public static void rmsNorm(MemorySegment x, MemorySegment gamma, MemorySegment out, MemorySegment rstd,
                               int rows, int cols, float eps) {
        for (int r = 0; r < rows; r++) {
            long row = (long) r * cols;
            double ms = 0;
            for (int c = 0; c < cols; c++) {
                double v = x.getAtIndex(F, row + c);
                ms += v * v;
            }
            double s = 1 / Math.sqrt(ms / cols + eps);
            for (int c = 0; c < cols; c++) {
                out.setAtIndex(F, row + c, (float) (x.getAtIndex(F, row + c) * s * gamma.getAtIndex(F, c)));
            }
            rstd.setAtIndex(F, r, (float) s);
        }
    }

    /** RMSNorm backward: dX += rstd·(dNorm − norm·mean(dNorm·norm)), dGamma += dOut·norm. */
    public static void rmsNormBackward(MemorySegment x, MemorySegment gamma, MemorySegment rstd, MemorySegment dOut,
                                       MemorySegment dX, MemorySegment dGamma, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            long row = (long) r * cols;
            double s = rstd.getAtIndex(F, r);
            double dNormNormMean = 0;
            for (int c = 0; c < cols; c++) {
                double norm = x.getAtIndex(F, row + c) * s;
                dNormNormMean += (double) gamma.getAtIndex(F, c) * dOut.getAtIndex(F, row + c) * norm;
            }
            dNormNormMean /= cols;
            for (int c = 0; c < cols; c++) {
                double norm = x.getAtIndex(F, row + c) * s;
                double g = dOut.getAtIndex(F, row + c);
                double dNorm = gamma.getAtIndex(F, c) * g;
                dX.setAtIndex(F, row + c, (float) (dX.getAtIndex(F, row + c) + s * (dNorm - norm * dNormNormMean)));
                dGamma.setAtIndex(F, c, (float) (dGamma.getAtIndex(F, c) + norm * g));
            }
        }
    }

    /**
     * GroupNorm on {@code [batch, channels, spatial]}: statistics over each group of {@code channels/groups}
     * channels × spatial, gain and bias per channel. mean and rstd are {@code [batch, groups]}.
     */
    public static void groupNorm(MemorySegment x, MemorySegment gamma, MemorySegment beta, MemorySegment out,
                                 MemorySegment mean, MemorySegment rstd, int batch, int channels, int spatial,
                                 int groups, float eps) {
        int perGroup = channels / groups;
        long groupSize = (long) perGroup * spatial;
        for (int n = 0; n < batch; n++) {
            for (int g = 0; g < groups; g++) {
                long start = ((long) n * channels + (long) g * perGroup) * spatial;
                double m = 0;
                for (long i = 0; i < groupSize; i++) {
                    m += x.getAtIndex(F, start + i);
                }
                m /= groupSize;
                double v = 0;
                for (long i = 0; i < groupSize; i++) {
                    double d = x.getAtIndex(F, start + i) - m;
                    v += d * d;
                }
                double s = 1 / Math.sqrt(v / groupSize + eps);
                for (int c = 0; c < perGroup; c++) {
                    int channel = g * perGroup + c;
                    double gain = gamma.getAtIndex(F, channel);
                    double shift = beta.getAtIndex(F, channel);
                    long base = start + (long) c * spatial;
                    for (int i = 0; i < spatial; i++) {
                        out.setAtIndex(F, base + i, (float) ((x.getAtIndex(F, base + i) - m) * s * gain + shift));
                    }
                }
                mean.setAtIndex(F, (long) n * groups + g, (float) m);
                rstd.setAtIndex(F, (long) n * groups + g, (float) s);
            }
        }
    }

    /** GroupNorm backward, accumulating into dX, dGamma and dBeta. */
    public static void groupNormBackward(MemorySegment x, MemorySegment gamma, MemorySegment mean, MemorySegment rstd,
                                         MemorySegment dOut, MemorySegment dX, MemorySegment dGamma,
                                         MemorySegment dBeta, int batch, int channels, int spatial, int groups) {
        int perGroup = channels / groups;
        long groupSize = (long) perGroup * spatial;
        for (int n = 0; n < batch; n++) {
            for (int g = 0; g < groups; g++) {
                long start = ((long) n * channels + (long) g * perGroup) * spatial;
                double m = mean.getAtIndex(F, (long) n * groups + g);
                double s = rstd.getAtIndex(F, (long) n * groups + g);
                double dNormMean = 0;
                double dNormNormMean = 0;
                for (int c = 0; c < perGroup; c++) {
                    int channel = g * perGroup + c;
                    double gain = gamma.getAtIndex(F, channel);
                    long base = start + (long) c * spatial;
                    double dGammaSum = 0;
                    double dBetaSum = 0;
                    for (int i = 0; i < spatial; i++) {
                        double norm = (x.getAtIndex(F, base + i) - m) * s;
                        double go = dOut.getAtIndex(F, base + i);
                        dNormMean += gain * go;
                        dNormNormMean += gain * go * norm;
                        dGammaSum += go * norm;
                        dBetaSum += go;
                    }
                    dGamma.setAtIndex(F, channel, (float) (dGamma.getAtIndex(F, channel) + dGammaSum));
                    dBeta.setAtIndex(F, channel, (float) (dBeta.getAtIndex(F, channel) + dBetaSum));
                }
                dNormMean /= groupSize;
                dNormNormMean /= groupSize;
                for (int c = 0; c < perGroup; c++) {
                    double gain = gamma.getAtIndex(F, g * perGroup + c);
                    long base = start + (long) c * spatial;
                    for (int i = 0; i < spatial; i++) {
                        double norm = (x.getAtIndex(F, base + i) - m) * s;
                        double dNorm = gain * dOut.getAtIndex(F, base + i);
                        dX.setAtIndex(F, base + i,
                                (float) (dX.getAtIndex(F, base + i) + (dNorm - dNormMean - norm * dNormNormMean) * s));
                    }
                }
            }
        }
    }

    /**
     * SiLU(GroupNorm(x)): out = y·sigmoid(y) with y = (x − μ)/σ·gamma + beta, y kept in double (never rounded to
     * float in between). Stores μ and 1/σ per (sample, group) like {@link #groupNorm}.
     */
    public static void groupNormSilu(MemorySegment x, MemorySegment gamma, MemorySegment beta, MemorySegment out,
                                     MemorySegment mean, MemorySegment rstd, int batch, int channels, int spatial,
                                     int groups, float eps) {
        groupNorm(x, gamma, beta, out, mean, rstd, batch, channels, spatial, groups, eps);
        int perGroup = channels / groups;
        for (int n = 0; n < batch; n++) {
            for (int g = 0; g < groups; g++) {
                double m = mean.getAtIndex(F, (long) n * groups + g);
                double s = rstd.getAtIndex(F, (long) n * groups + g);
                for (int c = g * perGroup; c < (g + 1) * perGroup; c++) {
                    long base = ((long) n * channels + c) * spatial;
                    for (int i = 0; i < spatial; i++) {
                        double y = normalized(x, base + i, m, s, gamma, beta, c);
                        out.setAtIndex(F, base + i, (float) ScalarActivations.silu(y));
                    }
                }
            }
        }
    }

    /**
     * The backward of {@link #groupNormSilu}, accumulating into dX, dGamma and dBeta: the GroupNorm output y is
     * recomputed from x, μ and 1/σ, and dY = dOut·SiLU'(y) (rounded to float, as the SIMD kernel keeps it) goes
     * through {@link #groupNormBackward}.
     */
    public static void groupNormSiluBackward(MemorySegment x, MemorySegment gamma, MemorySegment beta,
                                             MemorySegment mean, MemorySegment rstd, MemorySegment dOut,
                                             MemorySegment dX, MemorySegment dGamma, MemorySegment dBeta, int batch,
                                             int channels, int spatial, int groups) {
        int perGroup = channels / groups;
        // Off-heap, like every segment in the engine: a heap segment here would make the JDK's shared segment
        // access code bimorphic for the whole JVM, slowing every SIMD kernel after it (see SimdGemm).
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment dY = scratch.allocate((long) batch * channels * spatial * Float.BYTES, Float.BYTES);
            groupNormSiluGradient(x, gamma, beta, mean, rstd, dOut, dY, batch, channels, spatial, groups, perGroup);
            groupNormBackward(x, gamma, mean, rstd, dY, dX, dGamma, dBeta, batch, channels, spatial, groups);
        }
    }

    /** {@code dY = dOut·SiLU'(y)} with y the GroupNorm output, rounded to float. */
    private static void groupNormSiluGradient(MemorySegment x, MemorySegment gamma, MemorySegment beta,
                                              MemorySegment mean, MemorySegment rstd, MemorySegment dOut,
                                              MemorySegment dY, int batch, int channels, int spatial, int groups,
                                              int perGroup) {
        for (int n = 0; n < batch; n++) {
            for (int g = 0; g < groups; g++) {
                double m = mean.getAtIndex(F, (long) n * groups + g);
                double s = rstd.getAtIndex(F, (long) n * groups + g);
                for (int c = g * perGroup; c < (g + 1) * perGroup; c++) {
                    long base = ((long) n * channels + c) * spatial;
                    for (int i = 0; i < spatial; i++) {
                        double y = normalized(x, base + i, m, s, gamma, beta, c);
                        dY.setAtIndex(F, base + i,
                                (float) (dOut.getAtIndex(F, base + i) * ScalarActivations.siluDerivative(y)));
                    }
                }
            }
        }
    }

    /** The GroupNorm output at index i of channel c, in double. */
    private static double normalized(MemorySegment x, long i, double mean, double rstd, MemorySegment gamma,
                                     MemorySegment beta, int c) {
        return (x.getAtIndex(F, i) - mean) * rstd * gamma.getAtIndex(F, c) + beta.getAtIndex(F, c);
    }
}
