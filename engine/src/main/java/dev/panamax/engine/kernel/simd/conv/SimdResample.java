package dev.panamax.engine.kernel.simd.conv;

import dev.panamax.engine.parallel.WorkerPool;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * SIMD 2× resampling of NCHW images for the U-Net: nearest-neighbour upsampling and 2×2 average pooling, each with
 * its backward (which accumulates, {@code dIn += ...}). {@code planes} is batch·channels; {@code h × w} is the
 * small resolution and {@code bigH × bigW} the large one (pooling drops an odd last row or column).
 *
 * <p>Both directions come down to two lane patterns on a vector of V consecutive floats: duplicating each lane
 * ({@code [a b c d] → [a a b b], [c c d d]}) and summing adjacent pairs across two vectors
 * ({@code [a b c d], [e f g h] → [a+b c+d e+f g+h]}), done with constant shuffles. A window is summed as
 * {@code (x00 + x10) + (x01 + x11)}, the order of {@code ScalarResample}, so both give identical bits. These
 * kernels are memory-bound (a float in, a few out); threads split the image rows.
 */
public final class SimdResample {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int V = S.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    /** Lane i takes lane i/2: the first half of a vector, each lane twice. */
    private static final VectorShuffle<Float> DUP_LOW = VectorShuffle.fromOp(S, i -> i / 2);
    /** Lane i takes lane V/2 + i/2: the second half, each lane twice. */
    private static final VectorShuffle<Float> DUP_HIGH = VectorShuffle.fromOp(S, i -> V / 2 + i / 2);
    /** Even lanes, packed into each half: {@code [0 2 4 6 0 2 4 6]}. */
    private static final VectorShuffle<Float> EVEN = VectorShuffle.fromOp(S, i -> (2 * i) % V);
    /** Odd lanes, packed into each half: {@code [1 3 5 7 1 3 5 7]}. */
    private static final VectorShuffle<Float> ODD = VectorShuffle.fromOp(S, i -> (2 * i + 1) % V);
    /** The upper half of the lanes. */
    private static final VectorMask<Float> HIGH = S.indexInRange(-V / 2, V / 2);
    private static final FloatVector QUARTER = FloatVector.broadcast(S, 0.25f);

    /** Rows of small images below which a call stays on the calling thread. */
    private static final long PARALLEL_FLOATS = 1L << 15;

    private SimdResample() {
    }

    /** {@code out[2y + i, 2x + j] = in[y, x]}: in [planes, h, w], out [planes, 2h, 2w]. */
    public static void upsampleNearest2x(MemorySegment in, MemorySegment out, int planes, int h, int w,
                                         WorkerPool pool) {
        forRows(planes * h, (long) planes * h * w, pool, (from, to) -> {
            for (int row = from; row < to; row++) {
                upsampleRow(in, (long) row * w, out, (long) row * 4 * w, 2 * w, 1f, false);
            }
        });
    }

    /** {@code dIn[y, x] += (dOut[2y, 2x] + dOut[2y+1, 2x]) + (dOut[2y, 2x+1] + dOut[2y+1, 2x+1])}. */
    public static void upsampleNearest2xBackward(MemorySegment dOut, MemorySegment dIn, int planes, int h, int w,
                                                 WorkerPool pool) {
        forRows(planes * h, (long) planes * h * w, pool, (from, to) -> {
            for (int row = from; row < to; row++) {
                pairSumRow(dOut, (long) row * 4 * w, 2 * w, dIn, (long) row * w, w, false);
            }
        });
    }

    /** {@code out[y, x] = 0.25·((in[2y, 2x] + in[2y+1, 2x]) + (in[2y, 2x+1] + in[2y+1, 2x+1]))}. */
    public static void avgPool2x2(MemorySegment in, MemorySegment out, int planes, int bigH, int bigW,
                                  WorkerPool pool) {
        int h = bigH / 2;
        int w = bigW / 2;
        forRows(planes * h, (long) planes * h * w, pool, (from, to) -> {
            for (int row = from; row < to; row++) {
                long top = ((long) (row / h) * bigH + 2L * (row % h)) * bigW;
                pairSumRow(in, top, bigW, out, (long) row * w, w, true);
            }
        });
    }

    /** {@code dIn[2y + i, 2x + j] += 0.25·dOut[y, x]}. */
    public static void avgPool2x2Backward(MemorySegment dOut, MemorySegment dIn, int planes, int bigH, int bigW,
                                          WorkerPool pool) {
        int h = bigH / 2;
        int w = bigW / 2;
        forRows(planes * h, (long) planes * h * w, pool, (from, to) -> {
            for (int row = from; row < to; row++) {
                long top = ((long) (row / h) * bigH + 2L * (row % h)) * bigW;
                upsampleRow(dOut, (long) row * w, dIn, top, bigW, 0.25f, true);
            }
        });
    }

    /**
     * Writes (or, when {@code accumulate}, adds) {@code scale·src[x]} to columns 2x and 2x + 1 of the two rows
     * starting at float {@code top} of dst (row stride {@code dstW}), for x in {@code [0, w)}.
     */
    private static void upsampleRow(MemorySegment src, long from, MemorySegment dst, long top, int dstW, float scale,
                                     boolean accumulate) {
        int w = dstW / 2;
        long srcAt = from * Float.BYTES;
        long row0 = top * Float.BYTES;
        long row1 = (top + dstW) * Float.BYTES;
        int x = 0;
        for (; x + V <= w; x += V) {
            FloatVector v = FloatVector.fromMemorySegment(S, src, srcAt + (long) x * Float.BYTES, ORDER);
            if (scale != 1f) {
                v = v.mul(QUARTER);
            }
            FloatVector low = v.rearrange(DUP_LOW);
            FloatVector high = v.rearrange(DUP_HIGH);
            long at = 2L * x * Float.BYTES;
            store(low, dst, row0 + at, accumulate);
            store(high, dst, row0 + at + (long) V * Float.BYTES, accumulate);
            store(low, dst, row1 + at, accumulate);
            store(high, dst, row1 + at + (long) V * Float.BYTES, accumulate);
        }
        for (; x < w; x++) {
            float g = src.getAtIndex(F, from + x);
            if (scale != 1f) {
                g = 0.25f * g;
            }
            storeScalar(dst, top + 2L * x, g, accumulate);
            storeScalar(dst, top + 2L * x + 1, g, accumulate);
            storeScalar(dst, top + dstW + 2L * x, g, accumulate);
            storeScalar(dst, top + dstW + 2L * x + 1, g, accumulate);
        }
    }

    private static void store(FloatVector v, MemorySegment dst, long at, boolean accumulate) {
        if (accumulate) {
            v = v.add(FloatVector.fromMemorySegment(S, dst, at, ORDER));
        }
        v.intoMemorySegment(dst, at, ORDER);
    }

    private static void storeScalar(MemorySegment dst, long index, float value, boolean accumulate) {
        dst.setAtIndex(F, index, accumulate ? dst.getAtIndex(F, index) + value : value);
    }

    /**
     * For x in {@code [0, w)}: {@code t = (src[top, 2x] + src[top+1, 2x]) + (src[top, 2x+1] + src[top+1, 2x+1])}
     * with rows {@code srcW} apart; then {@code dst[x] = 0.25·t} when {@code average} is set, else
     * {@code dst[x] += t}.
     */
    private static void pairSumRow(MemorySegment src, long top, int srcW, MemorySegment dst, long to, int w,
                                   boolean average) {
        long row0 = top * Float.BYTES;
        long row1 = (top + srcW) * Float.BYTES;
        long dstAt = to * Float.BYTES;
        int x = 0;
        for (; x + V <= w; x += V) {
            long at = 2L * x * Float.BYTES;
            long next = at + (long) V * Float.BYTES;
            FloatVector first = FloatVector.fromMemorySegment(S, src, row0 + at, ORDER)
                    .add(FloatVector.fromMemorySegment(S, src, row1 + at, ORDER));
            FloatVector second = FloatVector.fromMemorySegment(S, src, row0 + next, ORDER)
                    .add(FloatVector.fromMemorySegment(S, src, row1 + next, ORDER));
            FloatVector even = first.rearrange(EVEN).blend(second.rearrange(EVEN), HIGH);
            FloatVector odd = first.rearrange(ODD).blend(second.rearrange(ODD), HIGH);
            FloatVector sum = even.add(odd);
            long out = dstAt + (long) x * Float.BYTES;
            if (average) {
                sum.mul(QUARTER).intoMemorySegment(dst, out, ORDER);
            } else {
                FloatVector.fromMemorySegment(S, dst, out, ORDER).add(sum).intoMemorySegment(dst, out, ORDER);
            }
        }
        for (; x < w; x++) {
            long a = top + 2L * x;
            float left = src.getAtIndex(F, a) + src.getAtIndex(F, a + srcW);
            float right = src.getAtIndex(F, a + 1) + src.getAtIndex(F, a + 1 + srcW);
            float sum = left + right;
            if (average) {
                dst.setAtIndex(F, to + x, 0.25f * sum);
            } else {
                dst.setAtIndex(F, to + x, dst.getAtIndex(F, to + x) + sum);
            }
        }
    }

    private interface RowTask {
        void run(int from, int to);
    }

    /** Runs {@code task} over {@code rows} rows, split across the pool's threads when there is enough work. */
    private static void forRows(int rows, long floats, WorkerPool pool, RowTask task) {
        int threads = floats < PARALLEL_FLOATS ? 1 : Math.min(pool.threads(), rows);
        if (threads == 1) {
            task.run(0, rows);
            return;
        }
        pool.run(part -> task.run((int) ((long) rows * part / threads), (int) ((long) rows * (part + 1) / threads)));
    }
}
