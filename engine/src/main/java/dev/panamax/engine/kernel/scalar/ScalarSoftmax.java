package dev.panamax.engine.kernel.scalar;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Reference softmax and log-softmax over the last dimension of {@code rows × cols}, max-subtracted so that large
 * logits do not overflow, and the fused softmax + cross-entropy loss. Sums are in double.
 */
public final class ScalarSoftmax {

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    private ScalarSoftmax() {
    }

    /** out[r, :] = softmax(x[r, :]). */
    public static void softmax(MemorySegment x, MemorySegment out, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            long row = (long) r * cols;
            double max = rowMax(x, row, cols);
            double sum = 0;
            for (int c = 0; c < cols; c++) {
                sum += Math.exp(x.getAtIndex(F, row + c) - max);
            }
            for (int c = 0; c < cols; c++) {
                out.setAtIndex(F, row + c, (float) (Math.exp(x.getAtIndex(F, row + c) - max) / sum));
            }
        }
    }

    /** out[r, :] = log_softmax(x[r, :]) = x − max − log Σ exp(x − max). */
    public static void logSoftmax(MemorySegment x, MemorySegment out, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            long row = (long) r * cols;
            double max = rowMax(x, row, cols);
            double sum = 0;
            for (int c = 0; c < cols; c++) {
                sum += Math.exp(x.getAtIndex(F, row + c) - max);
            }
            double logSum = Math.log(sum);
            for (int c = 0; c < cols; c++) {
                out.setAtIndex(F, row + c, (float) (x.getAtIndex(F, row + c) - max - logSum));
            }
        }
    }

    /** Softmax backward from its output y: dX += y ∘ (dOut − Σ dOut·y). */
    public static void softmaxBackward(MemorySegment y, MemorySegment dOut, MemorySegment dX, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            long row = (long) r * cols;
            double dot = 0;
            for (int c = 0; c < cols; c++) {
                dot += (double) dOut.getAtIndex(F, row + c) * y.getAtIndex(F, row + c);
            }
            for (int c = 0; c < cols; c++) {
                double g = y.getAtIndex(F, row + c) * (dOut.getAtIndex(F, row + c) - dot);
                dX.setAtIndex(F, row + c, (float) (dX.getAtIndex(F, row + c) + g));
            }
        }
    }

    /** Log-softmax backward from its output y: dX += dOut − exp(y)·Σ dOut. */
    public static void logSoftmaxBackward(MemorySegment y, MemorySegment dOut, MemorySegment dX, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            long row = (long) r * cols;
            double sum = 0;
            for (int c = 0; c < cols; c++) {
                sum += dOut.getAtIndex(F, row + c);
            }
            for (int c = 0; c < cols; c++) {
                double g = dOut.getAtIndex(F, row + c) - Math.exp(y.getAtIndex(F, row + c)) * sum;
                dX.setAtIndex(F, row + c, (float) (dX.getAtIndex(F, row + c) + g));
            }
        }
    }

    /**
     * Cross-entropy of softmax(logits) against integer targets, averaged over the rows whose target is not
     * {@code ignoreIndex}. Writes the probabilities to {@code probs} (for the backward) and returns the mean loss
     * (0 when every row is ignored).
     */
    public static double crossEntropy(MemorySegment logits, int[] targets, int ignoreIndex, MemorySegment probs,
                                      int rows, int cols) {
        double total = 0;
        int counted = 0;
        for (int r = 0; r < rows; r++) {
            long row = (long) r * cols;
            double max = rowMax(logits, row, cols);
            double sum = 0;
            for (int c = 0; c < cols; c++) {
                sum += Math.exp(logits.getAtIndex(F, row + c) - max);
            }
            for (int c = 0; c < cols; c++) {
                probs.setAtIndex(F, row + c, (float) (Math.exp(logits.getAtIndex(F, row + c) - max) / sum));
            }
            if (targets[r] != ignoreIndex) {
                total += Math.log(sum) + max - logits.getAtIndex(F, row + targets[r]);
                counted++;
            }
        }
        return counted == 0 ? 0 : total / counted;
    }

    /** dLogits += dLoss/count · (probs − onehot(target)) on counted rows; ignored rows get nothing. */
    public static void crossEntropyBackward(MemorySegment probs, int[] targets, int ignoreIndex, float dLoss,
                                            MemorySegment dLogits, int rows, int cols) {
        int counted = 0;
        for (int target : targets) {
            if (target != ignoreIndex) {
                counted++;
            }
        }
        if (counted == 0) {
            return;
        }
        float scale = dLoss / counted;
        for (int r = 0; r < rows; r++) {
            if (targets[r] == ignoreIndex) {
                continue;
            }
            long row = (long) r * cols;
            for (int c = 0; c < cols; c++) {
                float g = probs.getAtIndex(F, row + c) - (c == targets[r] ? 1f : 0f);
                dLogits.setAtIndex(F, row + c, dLogits.getAtIndex(F, row + c) + scale * g);
            }
        }
    }

    private static double rowMax(MemorySegment x, long row, int cols) {
        float max = Float.NEGATIVE_INFINITY;
        for (int c = 0; c < cols; c++) {
            max = Math.max(max, x.getAtIndex(F, row + c));
        }
        return max;
    }
}
