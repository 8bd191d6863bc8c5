package dev.panamax.engine.kernel.simd.ops;

import static dev.panamax.engine.kernel.simd.ops.SimdRows.S;
import static dev.panamax.engine.kernel.simd.ops.SimdRows.V;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Softmax over the last dimension and the fused softmax + cross-entropy, row by row (rows are independent, so
 * callers split them over threads). Max-subtracted, exp by {@link VectorMath}.
 *
 * <p>Each loop runs whole vectors with the Vector API calls written in it, and the last {@code cols mod V}
 * columns one at a time with the same formulas ({@link VectorMath#exp(float)} is the lane-exact twin of the
 * vector exp). Masked loads through helper methods on every iteration were slow on AVX2 and, in some JIT
 * contexts, ran with their vectors boxed ({@code KernelCompilationTest} caught the cross-entropy once).
 */
public final class SimdSoftmax {

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    private SimdSoftmax() {
    }

    /** max x[row + c]. Max is exact, so any order gives the same result. */
    private static float max(MemorySegment x, long row, int cols) {
        FloatVector acc = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int full = S.loopBound(cols);
        int c = 0;
        for (; c < full; c += V) {
            acc = acc.max(FloatVector.fromMemorySegment(S, x, (row + c) * Float.BYTES, ORDER));
        }
        float max = acc.reduceLanes(VectorOperators.MAX);
        for (; c < cols; c++) {
            max = Math.max(max, x.getAtIndex(F, row + c));
        }
        return max;
    }

    /**
     * Writes exp(x − max) to out and returns its sum. Tail column {@code full + j} is added to lane j before the
     * lanes are summed left to right, the order of the earlier masked-tail version, so the sum is unchanged.
     * {@code lanes} is scratch of V floats.
     */
    private static float expShifted(MemorySegment x, MemorySegment out, long row, int cols, float max,
                                    float[] lanes) {
        FloatVector sum = FloatVector.zero(S);
        int full = S.loopBound(cols);
        int c = 0;
        for (; c < full; c += V) {
            long at = (row + c) * Float.BYTES;
            FloatVector e = VectorMath.exp(FloatVector.fromMemorySegment(S, x, at, ORDER).sub(max));
            e.intoMemorySegment(out, at, ORDER);
            sum = sum.add(e);
        }
        sum.intoArray(lanes, 0);
        for (; c < cols; c++) {
            float e = VectorMath.exp(x.getAtIndex(F, row + c) - max);
            out.setAtIndex(F, row + c, e);
            lanes[c - full] += e;
        }
        return SimdRows.sumInOrder(lanes);
    }

    /** out[row + c] *= factor. */
    private static void scaleRow(MemorySegment out, long row, int cols, float factor) {
        int full = S.loopBound(cols);
        int c = 0;
        for (; c < full; c += V) {
            long at = (row + c) * Float.BYTES;
            FloatVector.fromMemorySegment(S, out, at, ORDER).mul(factor).intoMemorySegment(out, at, ORDER);
        }
        for (; c < cols; c++) {
            out.setAtIndex(F, row + c, out.getAtIndex(F, row + c) * factor);
        }
    }

    /** Rows {@code [rowFrom, rowTo)} of out = softmax(x). */
    public static void softmax(MemorySegment x, MemorySegment out, int rowFrom, int rowTo, int cols) {
        float[] lanes = new float[V];
        for (int r = rowFrom; r < rowTo; r++) {
            long row = (long) r * cols;
            scaleRow(out, row, cols, 1f / expShifted(x, out, row, cols, max(x, row, cols), lanes));
        }
    }

    /**
     * Rows {@code [rowFrom, rowTo)} of the fused cross-entropy: probs = softmax(logits), and
     * {@code rowLoss[r] = log Σ exp(logits − max) + max − logits[target]} (0 for an ignored row).
     */
    public static void crossEntropy(MemorySegment logits, int[] targets, int ignoreIndex, MemorySegment probs,
                                    double[] rowLoss, int rowFrom, int rowTo, int cols) {
        float[] lanes = new float[V];
        for (int r = rowFrom; r < rowTo; r++) {
            long row = (long) r * cols;
            float max = max(logits, row, cols);
            float sum = expShifted(logits, probs, row, cols, max, lanes);
            scaleRow(probs, row, cols, 1f / sum);
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
            int full = S.loopBound(cols);
            int c = 0;
            for (; c < full; c += V) {
                long at = (row + c) * Float.BYTES;
                FloatVector.fromMemorySegment(S, dLogits, at, ORDER)
                        .add(FloatVector.fromMemorySegment(S, probs, at, ORDER).mul(scale))
                        .intoMemorySegment(dLogits, at, ORDER);
            }
            for (; c < cols; c++) {
                dLogits.setAtIndex(F, row + c, dLogits.getAtIndex(F, row + c) + probs.getAtIndex(F, row + c) * scale);
            }
            long at = row + targets[r];
            dLogits.setAtIndex(F, at, dLogits.getAtIndex(F, at) - scale);
        }
    }
}
