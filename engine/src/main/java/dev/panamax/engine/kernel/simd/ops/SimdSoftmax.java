package dev.panamax.engine.kernel.simd.ops;

import static dev.panamax.engine.kernel.simd.ops.SimdRows.S;
import static dev.panamax.engine.kernel.simd.ops.SimdRows.V;
import static dev.panamax.engine.kernel.simd.ops.SimdRows.load;
import static dev.panamax.engine.kernel.simd.ops.SimdRows.store;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

/**
 * Softmax over the last dimension and the fused softmax + cross-entropy, row by row (rows are independent, so
 * callers split them over threads). Max-subtracted, exp by {@link VectorMath}.
 */
public final class SimdSoftmax {

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    private SimdSoftmax() {
    }

    /** Writes exp(x − max) to out and returns its sum; the masked-off tail lanes contribute 0. */
    private static float expShifted(MemorySegment x, MemorySegment out, long row, int cols, float max) {
        FloatVector sum = FloatVector.zero(S);
        for (int c = 0; c < cols; c += V) {
            VectorMask<Float> m = S.indexInRange(c, cols);
            FloatVector e = VectorMath.exp(load(x, row + c, m).sub(max)).blend(0f, m.not());
            store(e, out, row + c, m);
            sum = sum.add(e);
        }
        return SimdRows.sumLanes(sum);
    }

    /** Rows {@code [rowFrom, rowTo)} of out = softmax(x). */
    public static void softmax(MemorySegment x, MemorySegment out, int rowFrom, int rowTo, int cols) {
        for (int r = rowFrom; r < rowTo; r++) {
            long row = (long) r * cols;
            float inverse = 1f / expShifted(x, out, row, cols, SimdRows.max(x, row, cols));
            for (int c = 0; c < cols; c += V) {
                VectorMask<Float> m = S.indexInRange(c, cols);
                store(load(out, row + c, m).mul(inverse), out, row + c, m);
            }
        }
    }

    /**
     * Rows {@code [rowFrom, rowTo)} of the fused cross-entropy: probs = softmax(logits), and
     * {@code rowLoss[r] = log Σ exp(logits − max) + max − logits[target]} (0 for an ignored row).
     */
    public static void crossEntropy(MemorySegment logits, int[] targets, int ignoreIndex, MemorySegment probs,
                                    double[] rowLoss, int rowFrom, int rowTo, int cols) {
        for (int r = rowFrom; r < rowTo; r++) {
            long row = (long) r * cols;
            float max = SimdRows.max(logits, row, cols);
            float sum = expShifted(logits, probs, row, cols, max);
            float inverse = 1f / sum;
            for (int c = 0; c < cols; c += V) {
                VectorMask<Float> m = S.indexInRange(c, cols);
                store(load(probs, row + c, m).mul(inverse), probs, row + c, m);
            }
            rowLoss[r] = targets[r] == ignoreIndex ? 0
                    : Math.log(sum) + max - logits.getAtIndex(F, row + targets[r]);
        }
    }

    /** Rows {@code [rowFrom, rowTo)} of dLogits += scale·(probs − onehot(target)); ignored rows untouched. */
    public static void crossEntropyBackward(MemorySegment probs, int[] targets, int ignoreIndex, float scale,
                                            MemorySegment dLogits, int rowFrom, int rowTo, int cols) {
        for (int r = rowFrom; r < rowTo; r++) {
            if (targets[r] == ignoreIndex) {
                continue;
            }
            long row = (long) r * cols;
            for (int c = 0; c < cols; c += V) {
                VectorMask<Float> m = S.indexInRange(c, cols);
                store(load(dLogits, row + c, m).add(load(probs, row + c, m).mul(scale)), dLogits, row + c, m);
            }
            long at = row + targets[r];
            dLogits.setAtIndex(F, at, dLogits.getAtIndex(F, at) - scale);
        }
    }
}
