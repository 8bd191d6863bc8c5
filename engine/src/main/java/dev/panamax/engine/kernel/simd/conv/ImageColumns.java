package dev.panamax.engine.kernel.simd.conv;

import dev.panamax.engine.kernel.ConvShape;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The B operand of an implicit-GEMM convolution, read straight from an NCHW image: the im2col matrix
 * {@code B[r, p]} (row r a kernel tap of one channel, column p an output pixel) is never built; this class packs
 * one {@code kc × NR} micro-panel of it at a time into the layout the GEMM micro-kernel reads
 * ({@code dst[i·NR + j] = B[k0 + i, p0 + j]}).
 *
 * <p>One description serves both directions of the convolution. Row r has a source plane and a tap offset
 * {@code (dy[r], dx[r])}; output pixel (y, x) reads source pixel {@code (y·mul + dy[r], x·mul + dx[r])}, or zero
 * outside the source (the padding):
 * <ul>
 *   <li>forward: rows (c, a, b), plane c, tap (a − padding, b − padding), mul = stride;</li>
 *   <li>backward to the input (the transposed convolution, gathered instead of scattered), one phase of input
 *   pixels at a time ({@link #backwardInputPhase}): rows (o, a, b) over the output gradient, mul = 1.</li>
 * </ul>
 *
 * <p><b>The padded copy.</b> Each thread first copies the image it works on into a zero-padded
 * buffer ({@link #pad}; about 1/9 of what the panels of a 3×3 convolution read), so that source pixel (sy, sx) of
 * plane ch sits at a fixed offset and every tap is in bounds. Then {@code B[r, (y, x)] = buf[base(y, x) +
 * offset[r]]}: a panel row is one table lookup and, with mul = 1, two plain vector loads per NR lanes whenever
 * each vector's pixels share an output row (always for widths that are multiples of the vector length, and for
 * the 1×1 convolution, whose image is one long row). A vector that straddles two or three output rows (at 28,
 * 14 and 7 pixels wide, one vector in 7, 3 in 7 and all of them) is as many loads blended by lane; strided
 * geometries gather lane by lane from the same buffer. Lanes beyond a panel's last pixel hold whatever lies in
 * the buffer there: the micro-kernel's lanes are independent and those columns are never stored.
 * The very first version tested every tap against the borders with masked loads, and its packing cost 28% of the
 * forward time; the copy made it about 5%.
 */
final class ImageColumns {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int V = S.length();
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    /** Floats before and after the padded image in its buffer, so that full-vector reads never leave it. */
    private static final int SLACK = 64;

    /** Rows of B (the reduction length). */
    final int k;
    /** B's columns are the pixels of a {@code gridH × gridW} grid, row-major. */
    final int gridH;
    final int gridW;
    private final int planes;
    private final int srcH;
    private final int srcW;
    private final int mul;
    private final int nr;
    /** Per row r: the offset of its tap in the padded buffer, relative to the pixel's base. */
    private final int[] plane;
    // The padded copy: plane ch, source pixel (sy, sx) at SLACK + (ch·hp + sy + top)·wp + sx + left.
    private final int top;
    private final int left;
    private final int hp;
    private final int wp;

    private ImageColumns(int k, int gridH, int gridW, int planes, int srcH, int srcW, int mul, int nr,
                         int[] plane, int[] dy, int[] dx) {
        this.k = k;
        this.gridH = gridH;
        this.gridW = gridW;
        this.planes = planes;
        this.srcH = srcH;
        this.srcW = srcW;
        this.mul = mul;
        this.nr = nr;
        this.plane = plane;
        int minDy = 0;
        int maxDy = 0;
        int minDx = 0;
        int maxDx = 0;
        for (int r = 0; r < k; r++) {
            minDy = Math.min(minDy, dy[r]);
            maxDy = Math.max(maxDy, dy[r]);
            minDx = Math.min(minDx, dx[r]);
            maxDx = Math.max(maxDx, dx[r]);
        }
        this.top = -minDy;
        this.left = -minDx;
        this.hp = top + Math.max(srcH, (gridH - 1) * mul + maxDy + 1);
        this.wp = left + Math.max(srcW, (gridW - 1) * mul + maxDx + 1);
        // From here on, plane[r] is the offset of row r's tap in the padded buffer.
        for (int r = 0; r < k; r++) {
            plane[r] = (plane[r] * hp + dy[r] + top) * wp + dx[r] + left;
        }
    }

    /**
     * The im2col matrix of the forward convolution over input images. The tables are written into the given arrays
     * (caller scratch, at least {@code c·kh·kw} long), which must stay untouched while the result is used;
     * {@code weight[r]} receives the offset of row r's weight in a weight tensor row ({@code r}).
     */
    static ImageColumns forward(ConvShape s, int nr, int[] plane, int[] dy, int[] dx, int[] weight) {
        if (s.isPointwise()) {
            return pointwise(s.c(), s.h() * s.w(), 1, nr, plane, dy, dx, weight);
        }
        int r = 0;
        for (int c = 0; c < s.c(); c++) {
            for (int a = 0; a < s.kh(); a++) {
                for (int b = 0; b < s.kw(); b++, r++) {
                    plane[r] = c;
                    dy[r] = a - s.padding();
                    dx[r] = b - s.padding();
                    weight[r] = r;
                }
            }
        }
        return new ImageColumns(r, s.oh(), s.ow(), s.c(), s.h(), s.w(), s.stride(), nr, plane, dy, dx);
    }

    /**
     * One phase of the input gradient (the transposed convolution): the input pixels
     * {@code (ry + stride·ty, rx + stride·tx)}, which receive only the taps {@code a ≡ ry + padding},
     * {@code b ≡ rx + padding (mod stride)}, from output pixel {@code (ty + (ry + padding − a)/stride, ...)}. So
     * each phase is a stride-1 gather over the output gradient: rows (o, a, b) of the phase's taps, columns the
     * phase's {@code ceil((h − ry)/stride) × ceil((w − rx)/stride)} pixels. With stride 1 there is one phase, the
     * whole input. {@code weight[r]} receives the offset of row r's weight {@code w[o, 0, a, b]}. Returns null
     * when the phase has no pixels or no taps.
     */
    static ImageColumns backwardInputPhase(ConvShape s, int ry, int rx, int nr, int[] plane, int[] dy, int[] dx,
                                           int[] weight) {
        int st = s.stride();
        int gridH = (s.h() - ry + st - 1) / st;
        int gridW = (s.w() - rx + st - 1) / st;
        int a0 = (ry + s.padding()) % st;
        int b0 = (rx + s.padding()) % st;
        if (gridH <= 0 || gridW <= 0 || a0 >= s.kh() || b0 >= s.kw()) {
            return null;
        }
        int taps = s.kh() * s.kw();
        if (s.isPointwise()) {
            return pointwise(s.o(), s.h() * s.w(), s.c(), nr, plane, dy, dx, weight);
        }
        int r = 0;
        for (int o = 0; o < s.o(); o++) {
            for (int a = a0; a < s.kh(); a += st) {
                for (int b = b0; b < s.kw(); b += st, r++) {
                    plane[r] = o;
                    dy[r] = (ry + s.padding() - a) / st;
                    dx[r] = (rx + s.padding() - b) / st;
                    weight[r] = o * s.c() * taps + a * s.kw() + b;
                }
            }
        }
        return new ImageColumns(r, gridH, gridW, s.o(), s.oh(), s.ow(), 1, nr, plane, dy, dx);
    }

    /**
     * A 1×1 convolution: B is the image itself, {@code channels × pixels}, seen as one row per channel; row r's
     * weight is at {@code r·weightStride}.
     */
    private static ImageColumns pointwise(int channels, int pixels, int weightStride, int nr, int[] plane, int[] dy,
                                          int[] dx, int[] weight) {
        for (int r = 0; r < channels; r++) {
            plane[r] = r;
            dy[r] = 0;
            dx[r] = 0;
            weight[r] = r * weightStride;
        }
        return new ImageColumns(channels, 1, pixels, channels, 1, pixels, 1, nr, plane, dy, dx);
    }

    /** Columns of B: pixels per image. */
    int pixels() {
        return gridH * gridW;
    }

    /** Floats of the buffer {@link #pad} fills. */
    int paddedSize() {
        return 2 * SLACK + planes * hp * wp;
    }

    /**
     * Copies the image starting at float {@code image} of {@code src}, zero-padded, into the {@link #paddedSize()}
     * floats of {@code buf} from {@code at} on.
     */
    void pad(MemorySegment src, long image, float[] buf, int at) {
        Arrays.fill(buf, at, at + SLACK, 0f);
        for (int ch = 0; ch < planes; ch++) {
            int base = at + SLACK + ch * hp * wp;
            Arrays.fill(buf, base, base + top * wp + left, 0f);
            for (int sy = 0; sy < srcH; sy++) {
                int row = base + (sy + top) * wp + left;
                long from = (image + ((long) ch * srcH + sy) * srcW) * Float.BYTES;
                MemorySegment.copy(src, F, from, buf, row, srcW);
                // The right margin of this row and the left margin of the next one.
                int next = sy + 1 < srcH ? row + wp : base + hp * wp;
                Arrays.fill(buf, row + srcW, next, 0f);
            }
        }
        Arrays.fill(buf, at + SLACK + planes * hp * wp, at + paddedSize(), 0f);
    }

    /**
     * Packs rows {@code [k0, k0 + kc)} and columns {@code [p0, p0 + lanes)} ({@code lanes ≤ NR}) of the image
     * whose padded copy is {@code buf} into {@code dst[i·NR + j]}. {@code laneBase} is scratch of NR ints.
     */
    void pack(float[] buf, int p0, int lanes, int k0, int kc, float[] dst, int[] laneBase) {
        laneBases(0, p0, lanes, laneBase, 0);
        packLanes(buf, lanes, k0, kc, dst, laneBase);
    }

    /**
     * Writes the buffer offsets of pixels {@code [p0, p0 + lanes)} of an image whose padded copy starts at float
     * {@code image} of the buffer into {@code laneBase[first ..]}.
     */
    void laneBases(int image, int p0, int lanes, int[] laneBase, int first) {
        int y = p0 / gridW;
        int x = p0 % gridW;
        for (int j = first; j < first + lanes; j++) {
            laneBase[j] = image + SLACK + y * mul * wp + x * mul;
            if (++x == gridW) {
                x = 0;
                y++;
            }
        }
    }

    /**
     * {@link #pack} for lanes whose buffer offsets are given: lane j of the panel is the pixel at
     * {@code laneBase[j]}, which may belong to different images (copies side by side in one buffer).
     */
    void packLanes(float[] buf, int lanes, int k0, int kc, float[] dst, int[] laneBase) {
        // A vector is contiguous in the buffer when its valid lanes are (same output row, or one long row).
        int contiguous = 0;
        for (int v = 0; v < nr; v += V) {
            int last = Math.min(v + V, lanes) - 1;
            if (v >= lanes || laneBase[last] - laneBase[v] == last - v) {
                contiguous++;
            }
        }
        if (mul == 1 && contiguous == nr / V) {
            if (nr == 2 * V) {
                int b0 = laneBase[0];
                int b1 = V < lanes ? laneBase[V] : b0 + V;
                copyTwo(buf, b0, b1, plane, k0, kc, dst);
            } else {
                for (int v = 0; v < nr; v += V) {
                    copyOne(buf, v < lanes ? laneBase[v] : laneBase[0] + v, plane, k0, kc, nr, v, dst);
                }
            }
        } else {
            for (int v = 0; v < nr; v += V) {
                int last = Math.min(v + V, lanes) - 1;
                if (v >= lanes) {
                    continue;
                }
                if (mul == 1 && laneBase[last] - laneBase[v] == last - v) {
                    copyOne(buf, laneBase[v], plane, k0, kc, nr, v, dst);
                } else if (mul != 1 || !copyRowSegments(buf, laneBase, v, last, plane, k0, kc, nr, dst)) {
                    gatherLanes(buf, laneBase, v, last + 1, plane, k0, kc, nr, dst);
                }
            }
        }
    }

    /** The common case: two vectors per panel row, at buffer offsets {@code b0 + offset[r]}, {@code b1 + ...}. */
    private static void copyTwo(float[] buf, int b0, int b1, int[] offset, int k0, int kc, float[] dst) {
        for (int i = 0, d = 0; i < kc; i++, d += 2 * V) {
            int at = offset[k0 + i];
            FloatVector.fromArray(S, buf, b0 + at).intoArray(dst, d);
            FloatVector.fromArray(S, buf, b1 + at).intoArray(dst, d + V);
        }
    }

    private static void copyOne(float[] buf, int base, int[] offset, int k0, int kc, int nr, int v, float[] dst) {
        for (int i = 0; i < kc; i++) {
            FloatVector.fromArray(S, buf, base + offset[k0 + i]).intoArray(dst, i * nr + v);
        }
    }

    /**
     * A vector whose lanes {@code [v, last]} span two or three output rows (stride 1): each row's run of lanes is
     * contiguous in the buffer, so the vector is two or three plain loads, blended by lane. Load s starts where
     * lane v would sit if the whole vector continued run s, so lane j of it holds run s's value for every j in run
     * s (lanes outside the runs read whatever is there and are never stored). Returns false for more than three
     * runs (images under 4 pixels wide), which the caller gathers lane by lane.
     */
    private static boolean copyRowSegments(float[] buf, int[] laneBase, int v, int last, int[] offset, int k0,
                                           int kc, int nr, float[] dst) {
        int b1 = -1;
        int b2 = -1;
        int t1 = 0;
        int t2 = 0;
        for (int j = v + 1; j <= last; j++) {
            if (laneBase[j] != laneBase[j - 1] + 1) {
                if (b1 < 0) {
                    b1 = laneBase[j] - (j - v);
                    t1 = j - v;
                } else if (b2 < 0) {
                    b2 = laneBase[j] - (j - v);
                    t2 = j - v;
                } else {
                    return false;
                }
            }
        }
        // Lanes t ≥ t1 come from run 1 (and t ≥ t2 from run 2): indexInRange(−t, V − t) sets lanes [t, V).
        VectorMask<Float> m1 = S.indexInRange(-t1, V - t1);
        if (b2 < 0) {
            copyTwoRuns(buf, laneBase[v], b1, m1, offset, k0, kc, nr, v, dst);
        } else {
            copyThreeRuns(buf, laneBase[v], b1, m1, b2, S.indexInRange(-t2, V - t2), offset, k0, kc, nr, v, dst);
        }
        return true;
    }

    private static void copyTwoRuns(float[] buf, int b0, int b1, VectorMask<Float> m1, int[] offset, int k0, int kc,
                                    int nr, int v, float[] dst) {
        for (int i = 0; i < kc; i++) {
            int at = offset[k0 + i];
            FloatVector.fromArray(S, buf, b0 + at).blend(FloatVector.fromArray(S, buf, b1 + at), m1)
                    .intoArray(dst, i * nr + v);
        }
    }

    private static void copyThreeRuns(float[] buf, int b0, int b1, VectorMask<Float> m1, int b2,
                                      VectorMask<Float> m2, int[] offset, int k0, int kc, int nr, int v,
                                      float[] dst) {
        for (int i = 0; i < kc; i++) {
            int at = offset[k0 + i];
            FloatVector.fromArray(S, buf, b0 + at).blend(FloatVector.fromArray(S, buf, b1 + at), m1)
                    .blend(FloatVector.fromArray(S, buf, b2 + at), m2).intoArray(dst, i * nr + v);
        }
    }

    /** Lanes {@code [from, to)} one by one. */
    private static void gatherLanes(float[] buf, int[] laneBase, int from, int to, int[] offset, int k0, int kc,
                                    int nr, float[] dst) {
        for (int i = 0; i < kc; i++) {
            int at = offset[k0 + i];
            int d = i * nr;
            for (int j = from; j < to; j++) {
                dst[d + j] = buf[laneBase[j] + at];
            }
        }
    }
}
