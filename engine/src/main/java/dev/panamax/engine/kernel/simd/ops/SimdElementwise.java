package dev.panamax.engine.kernel.simd.ops;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Elementwise kernels over the index range {@code [from, to)} of flat float arrays (the caller splits a large
 * range over threads). Memory-bound: one pass, full vectors plus one masked tail. Outputs may alias inputs.
 */
public final class SimdElementwise {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int V = S.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    private SimdElementwise() {
    }

    private static FloatVector load(MemorySegment m, long i, VectorMask<Float> mask) {
        return SimdRows.load(m, i, mask);
    }

    private static FloatVector load(MemorySegment m, long i) {
        return FloatVector.fromMemorySegment(S, m, i * Float.BYTES, ORDER);
    }

    /** out = a + b. */
    public static void add(MemorySegment a, MemorySegment b, MemorySegment out, long from, long to) {
        long i = from;
        for (; i + V <= to; i += V) {
            load(a, i).add(load(b, i)).intoMemorySegment(out, i * Float.BYTES, ORDER);
        }
        if (i < to) {
            VectorMask<Float> m = S.indexInRange(i, to);
            load(a, i, m).add(load(b, i, m)).intoMemorySegment(out, i * Float.BYTES, ORDER, m);
        }
    }

    /** out = a − b. */
    public static void sub(MemorySegment a, MemorySegment b, MemorySegment out, long from, long to) {
        long i = from;
        for (; i + V <= to; i += V) {
            load(a, i).sub(load(b, i)).intoMemorySegment(out, i * Float.BYTES, ORDER);
        }
        if (i < to) {
            VectorMask<Float> m = S.indexInRange(i, to);
            load(a, i, m).sub(load(b, i, m)).intoMemorySegment(out, i * Float.BYTES, ORDER, m);
        }
    }

    /** out = a ∘ b. */
    public static void mul(MemorySegment a, MemorySegment b, MemorySegment out, long from, long to) {
        long i = from;
        for (; i + V <= to; i += V) {
            load(a, i).mul(load(b, i)).intoMemorySegment(out, i * Float.BYTES, ORDER);
        }
        if (i < to) {
            VectorMask<Float> m = S.indexInRange(i, to);
            load(a, i, m).mul(load(b, i, m)).intoMemorySegment(out, i * Float.BYTES, ORDER, m);
        }
    }

    /** out = s·a. */
    public static void scale(MemorySegment a, float s, MemorySegment out, long from, long to) {
        long i = from;
        for (; i + V <= to; i += V) {
            load(a, i).mul(s).intoMemorySegment(out, i * Float.BYTES, ORDER);
        }
        if (i < to) {
            VectorMask<Float> m = S.indexInRange(i, to);
            load(a, i, m).mul(s).intoMemorySegment(out, i * Float.BYTES, ORDER, m);
        }
    }

    /** y += alpha·x, as y + (alpha·x) with two roundings, exactly like the scalar reference. */
    public static void axpy(float alpha, MemorySegment x, MemorySegment y, long from, long to) {
        long i = from;
        for (; i + V <= to; i += V) {
            load(y, i).add(load(x, i).mul(alpha)).intoMemorySegment(y, i * Float.BYTES, ORDER);
        }
        if (i < to) {
            VectorMask<Float> m = S.indexInRange(i, to);
            load(y, i, m).add(load(x, i, m).mul(alpha)).intoMemorySegment(y, i * Float.BYTES, ORDER, m);
        }
    }

    /** Rows {@code [rowFrom, rowTo)} of out = x + bias (bias broadcast over rows of width {@code cols}). */
    public static void addBias(MemorySegment x, MemorySegment bias, MemorySegment out, int rowFrom, int rowTo,
                               int cols) {
        for (int r = rowFrom; r < rowTo; r++) {
            long row = (long) r * cols;
            int c = 0;
            for (; c + V <= cols; c += V) {
                load(x, row + c).add(load(bias, c)).intoMemorySegment(out, (row + c) * Float.BYTES, ORDER);
            }
            if (c < cols) {
                VectorMask<Float> m = S.indexInRange(c, cols);
                load(x, row + c, m).add(load(bias, c, m)).intoMemorySegment(out, (row + c) * Float.BYTES, ORDER, m);
            }
        }
    }

    /** Planes {@code [planeFrom, planeTo)} of out[p, s] = x[p, s] + bias[p], each plane {@code spatial} long. */
    public static void addChannelBias(MemorySegment x, MemorySegment bias, MemorySegment out, int planeFrom,
                                      int planeTo, int spatial) {
        int full = S.loopBound(spatial);
        for (int p = planeFrom; p < planeTo; p++) {
            long plane = (long) p * spatial;
            FloatVector b = FloatVector.broadcast(S, bias.getAtIndex(ValueLayout.JAVA_FLOAT, p));
            int s = 0;
            for (; s < full; s += V) {
                load(x, plane + s).add(b).intoMemorySegment(out, (plane + s) * Float.BYTES, ORDER);
            }
            if (s < spatial) {
                VectorMask<Float> m = S.indexInRange(s, spatial);
                load(x, plane + s, m).add(b).intoMemorySegment(out, (plane + s) * Float.BYTES, ORDER, m);
            }
        }
    }

    /** Planes {@code [planeFrom, planeTo)}: dBias[p] += Σ_s dOut[p, s] (vector lanes, then lanes in fixed order). */
    public static void accumulatePlaneSums(MemorySegment dOut, MemorySegment dBias, int planeFrom, int planeTo,
                                           int spatial) {
        ValueLayout.OfFloat f = ValueLayout.JAVA_FLOAT;
        for (int p = planeFrom; p < planeTo; p++) {
            dBias.setAtIndex(f, p, dBias.getAtIndex(f, p) + SimdRows.sum(dOut, (long) p * spatial, spatial));
        }
    }

    /**
     * Columns {@code [colFrom, colTo)} of out[c] += Σ_r x[r, c], rows in ascending order (the same order as the
     * scalar reference, so the results are identical). The rows are streamed one after another into per-thread
     * column sums rather than walking down one column block at a time, which re-read every row's cache lines
     * once per block.
     */
    public static void accumulateColumnSums(MemorySegment x, MemorySegment out, int rows, int cols, int colFrom,
                                            int colTo) {
        int width = colTo - colFrom;
        float[] sums = SimdRows.columnSums(SimdRows.roundUp(width));
        for (int r = 0; r < rows; r++) {
            long row = (long) r * cols + colFrom;
            int j = 0;
            for (; j + V <= width; j += V) {
                FloatVector.fromArray(S, sums, j).add(load(x, row + j)).intoArray(sums, j);
            }
            if (j < width) {
                VectorMask<Float> m = S.indexInRange(j, width);
                FloatVector.fromArray(S, sums, j).add(load(x, row + j, m)).intoArray(sums, j);
            }
        }
        int j = 0;
        for (; j + V <= width; j += V) {
            long c = colFrom + j;
            load(out, c).add(FloatVector.fromArray(S, sums, j)).intoMemorySegment(out, c * Float.BYTES, ORDER);
        }
        if (j < width) {
            VectorMask<Float> m = S.indexInRange(j, width);
            long c = colFrom + j;
            load(out, c, m).add(FloatVector.fromArray(S, sums, j)).intoMemorySegment(out, c * Float.BYTES, ORDER, m);
        }
    }
}
