package dev.panamax.engine.kernel.scalar;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Reference kernels that move data rather than compute: embedding lookup, channel concatenation, and MSE. */
public final class ScalarTensorOps {

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    private ScalarTensorOps() {
    }

    /** out[r, :] = table[ids[r], :] for a {@code [vocab, width]} table. */
    public static void embedding(MemorySegment table, int[] ids, MemorySegment out, int width) {
        for (int r = 0; r < ids.length; r++) {
            MemorySegment.copy(table, (long) ids[r] * width * Float.BYTES, out, (long) r * width * Float.BYTES,
                    (long) width * Float.BYTES);
        }
    }

    /** dTable[ids[r], :] += dOut[r, :], rows in ascending order (repeated ids accumulate deterministically). */
    public static void embeddingBackward(int[] ids, MemorySegment dOut, MemorySegment dTable, int width) {
        for (int r = 0; r < ids.length; r++) {
            long src = (long) r * width;
            long dst = (long) ids[r] * width;
            for (int c = 0; c < width; c++) {
                dTable.setAtIndex(F, dst + c, dTable.getAtIndex(F, dst + c) + dOut.getAtIndex(F, src + c));
            }
        }
    }

    /**
     * out[n] = [a[n]; b[n]] along channels: a is {@code [batch, channelsA·spatial]}, b {@code [batch,
     * channelsB·spatial]} per batch entry (U-Net skip connections).
     */
    public static void concatChannels(MemorySegment a, MemorySegment b, MemorySegment out, int batch, long aBlock,
                                      long bBlock) {
        for (int n = 0; n < batch; n++) {
            long outStart = n * (aBlock + bBlock) * Float.BYTES;
            MemorySegment.copy(a, n * aBlock * Float.BYTES, out, outStart, aBlock * Float.BYTES);
            MemorySegment.copy(b, n * bBlock * Float.BYTES, out, outStart + aBlock * Float.BYTES, bBlock * Float.BYTES);
        }
    }

    /** The backward of {@link #concatChannels}: dA += dOut's first part, dB += its second part. */
    public static void concatChannelsBackward(MemorySegment dOut, MemorySegment dA, MemorySegment dB, int batch,
                                              long aBlock, long bBlock) {
        for (int n = 0; n < batch; n++) {
            long outStart = n * (aBlock + bBlock);
            for (long i = 0; i < aBlock; i++) {
                long at = n * aBlock + i;
                dA.setAtIndex(F, at, dA.getAtIndex(F, at) + dOut.getAtIndex(F, outStart + i));
            }
            for (long i = 0; i < bBlock; i++) {
                long at = n * bBlock + i;
                dB.setAtIndex(F, at, dB.getAtIndex(F, at) + dOut.getAtIndex(F, outStart + aBlock + i));
            }
        }
    }

    /** mean((pred − target)²), summed in double. */
    public static double mse(MemorySegment pred, MemorySegment target, long n) {
        double sum = 0;
        for (long i = 0; i < n; i++) {
            double d = pred.getAtIndex(F, i) - target.getAtIndex(F, i);
            sum += d * d;
        }
        return sum / n;
    }

    /** dPred += dLoss · 2(pred − target)/n. */
    public static void mseBackward(MemorySegment pred, MemorySegment target, float dLoss, MemorySegment dPred, long n) {
        float scale = 2f * dLoss / n;
        for (long i = 0; i < n; i++) {
            float g = scale * (pred.getAtIndex(F, i) - target.getAtIndex(F, i));
            dPred.setAtIndex(F, i, dPred.getAtIndex(F, i) + g);
        }
    }

    /** out[b, j, i] = x[b, i, j] for {@code batch} matrices of {@code rows × cols}. */
    public static void transpose(MemorySegment x, MemorySegment out, int batch, int rows, int cols) {
        long plane = (long) rows * cols;
        for (int b = 0; b < batch; b++) {
            long base = b * plane;
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    out.setAtIndex(F, base + (long) j * rows + i, x.getAtIndex(F, base + (long) i * cols + j));
                }
            }
        }
    }

    /** out[p, s] = x[p, s] + bias[p] for {@code planes} = N·C planes of {@code spatial} values. */
    public static void addChannelBias(MemorySegment x, MemorySegment bias, MemorySegment out, int planes,
                                      int spatial) {
        for (int p = 0; p < planes; p++) {
            float b = bias.getAtIndex(F, p);
            long base = (long) p * spatial;
            for (int s = 0; s < spatial; s++) {
                out.setAtIndex(F, base + s, x.getAtIndex(F, base + s) + b);
            }
        }
    }

    /** dBias[p] += Σ_s dOut[p, s], summed in double. */
    public static void addChannelBiasBackward(MemorySegment dOut, MemorySegment dBias, int planes, int spatial) {
        for (int p = 0; p < planes; p++) {
            double sum = 0;
            long base = (long) p * spatial;
            for (int s = 0; s < spatial; s++) {
                sum += dOut.getAtIndex(F, base + s);
            }
            dBias.setAtIndex(F, p, (float) (dBias.getAtIndex(F, p) + sum));
        }
    }
}
