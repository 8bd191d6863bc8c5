package dev.panamax.engine.kernel.simd.ops;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/** Vector reductions along one row, with lanes combined in a fixed order (deterministic everywhere). */
final class SimdRows {

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int V = S.length();
    static final ByteOrder ORDER = ByteOrder.nativeOrder();

    private SimdRows() {
    }

    /**
     * The lanes of {@code mask} from index i. Loops here step over a row with {@code indexInRange} masks, which
     * are all true except at the tail; a masked load costs about five times a plain one on AVX2 even when every
     * lane is set (measured: ~1 ns per float against 0.2 in a memory-bound loop), while {@code allTrue} is one
     * test. The lanes loaded are the same either way, so the results are identical.
     */
    static FloatVector load(MemorySegment m, long i, VectorMask<Float> mask) {
        return mask.allTrue() ? FloatVector.fromMemorySegment(S, m, i * Float.BYTES, ORDER)
                : FloatVector.fromMemorySegment(S, m, i * Float.BYTES, ORDER, mask);
    }

    /** {@link #load(MemorySegment, long, VectorMask)} from a heap array. */
    static FloatVector load(float[] a, int i, VectorMask<Float> mask) {
        return mask.allTrue() ? FloatVector.fromArray(S, a, i) : FloatVector.fromArray(S, a, i, mask);
    }

    static FloatVector load(MemorySegment m, long i) {
        return FloatVector.fromMemorySegment(S, m, i * Float.BYTES, ORDER);
    }

    /** {@code n} rounded up to whole vectors. */
    static int roundUp(int n) {
        return (n + V - 1) / V * V;
    }

    private static final ThreadLocal<float[][]> COLUMN_SUMS = ThreadLocal.withInitial(() -> new float[1][0]);

    /**
     * This thread's scratch for column sums, at least {@code n} floats (a whole number of vectors), zeroed. Kept
     * per thread so a backward pass allocates nothing once warm.
     */
    static float[] columnSums(int n) {
        float[][] holder = COLUMN_SUMS.get();
        if (holder[0].length < n) {
            holder[0] = new float[n];
        } else {
            java.util.Arrays.fill(holder[0], 0, n, 0f);
        }
        return holder[0];
    }

    /** Adds the lanes left to right. */
    static float sumLanes(FloatVector v) {
        float sum = 0f;
        for (int lane = 0; lane < V; lane++) {
            sum += v.lane(lane);
        }
        return sum;
    }

    /**
     * {@link #sumLanes} for lanes already stored to an array ({@code v.intoArray(lanes, 0)}): the same left-to-right
     * order, for kernels that keep every vector inside their own method body (see {@code SimdNorms}).
     */
    static float sumInOrder(float[] lanes) {
        float sum = 0f;
        for (float lane : lanes) {
            sum += lane;
        }
        return sum;
    }

    /** {@link #sumInOrder(float[])} of the V lanes stored at {@code lanes[from]}. */
    static float sumInOrder(float[] lanes, int from) {
        float sum = 0f;
        for (int lane = from; lane < from + V; lane++) {
            sum += lanes[lane];
        }
        return sum;
    }

    /** Σ x[row + c] for c in [0, cols). */
    static float sum(MemorySegment x, long row, int cols) {
        FloatVector acc = FloatVector.zero(S);
        int c = 0;
        for (int full = S.loopBound(cols); c < full; c += V) {    // unmasked: masked AVX2 loads are slow
            acc = acc.add(load(x, row + c));
        }
        if (c < cols) {
            acc = acc.add(load(x, row + c, S.indexInRange(c, cols)));
        }
        return sumLanes(acc);
    }

    /** Σ (x[row + c] − mean). */
    static float sumDeviations(MemorySegment x, long row, int cols, float mean) {
        FloatVector acc = FloatVector.zero(S);
        int c = 0;
        for (int full = S.loopBound(cols); c < full; c += V) {
            acc = acc.add(load(x, row + c).sub(mean));
        }
        if (c < cols) {
            VectorMask<Float> m = S.indexInRange(c, cols);
            acc = acc.add(load(x, row + c, m).sub(mean).blend(0f, m.not()));
        }
        return sumLanes(acc);
    }

    /** Σ (x[row + c] − mean)². */
    static float sumSquaredDeviations(MemorySegment x, long row, int cols, float mean) {
        FloatVector acc = FloatVector.zero(S);
        int c = 0;
        for (int full = S.loopBound(cols); c < full; c += V) {
            FloatVector d = load(x, row + c).sub(mean);
            acc = d.fma(d, acc);
        }
        if (c < cols) {
            VectorMask<Float> m = S.indexInRange(c, cols);
            FloatVector d = load(x, row + c, m).sub(mean).blend(0f, m.not());
            acc = d.fma(d, acc);
        }
        return sumLanes(acc);
    }
}
