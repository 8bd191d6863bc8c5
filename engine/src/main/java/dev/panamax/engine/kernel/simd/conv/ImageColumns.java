package dev.panamax.engine.kernel.simd.conv;

import dev.panamax.engine.kernel.ConvShape;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The B operand of an implicit-GEMM convolution, read straight from an NCHW image: the im2col matrix
 * {@code B[r, p]} (row r a kernel tap of one channel, column p an output pixel) is never built; this class packs
 * one {@code kc × NR} micro-panel of it at a time into the zero-padded layout the GEMM micro-kernel reads
 * ({@code dst[i·NR + j] = B[k0 + i, p0 + j]}).
 *
 * <p>One description serves both directions of the convolution. Row r has a source plane offset {@code plane[r]}
 * and a tap offset {@code (dy[r], dx[r])}; output pixel (y, x) reads source pixel
 * {@code ((y·mul + dy[r]) / div, (x·mul + dx[r]) / div)} when both divisions are exact and the pixel lies inside
 * the source, and zero otherwise (padding, or a stride that skips it):
 * <ul>
 *   <li>forward: rows (c, a, b), plane c, tap (a − padding, b − padding), mul = stride, div = 1;</li>
 *   <li>backward to the input: rows (o, a, b) over the output gradient, tap (padding − a, padding − b), mul = 1,
 *   div = stride: the transposed convolution, gathered instead of scattered.</li>
 * </ul>
 * With mul = div = 1 (every stride-1 convolution, either direction) the {@code NR} pixels of a panel that share an
 * output row read consecutive source floats, so a panel row is two vector loads, masked where the row crosses the
 * padding. A 1×1, stride-1, unpadded convolution is described as one long row per image: a plain GEMM operand.
 * Strided geometries gather element by element.
 */
final class ImageColumns {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int V = S.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    /** Rows of B (the reduction length). */
    final int k;
    /** B's columns are the pixels of a {@code gridH × gridW} grid, row-major. */
    final int gridH;
    final int gridW;
    private final int srcH;
    private final int srcW;
    private final int mul;
    private final int div;
    private final int nr;
    private final int[] plane;
    private final int[] dy;
    private final int[] dx;

    private ImageColumns(int k, int gridH, int gridW, int srcH, int srcW, int mul, int div, int nr, int[] plane,
                         int[] dy, int[] dx) {
        this.k = k;
        this.gridH = gridH;
        this.gridW = gridW;
        this.srcH = srcH;
        this.srcW = srcW;
        this.mul = mul;
        this.div = div;
        this.nr = nr;
        this.plane = plane;
        this.dy = dy;
        this.dx = dx;
    }

    /**
     * The im2col matrix of the forward convolution over input images. The tables are written into the given arrays
     * (caller scratch, at least {@code c·kh·kw} long), which must stay untouched while the result is used.
     */
    static ImageColumns forward(ConvShape s, int nr, int[] plane, int[] dy, int[] dx) {
        if (s.isPointwise()) {
            return pointwise(s.c(), s.h() * s.w(), nr, plane, dy, dx);
        }
        int r = 0;
        for (int c = 0; c < s.c(); c++) {
            for (int a = 0; a < s.kh(); a++) {
                for (int b = 0; b < s.kw(); b++, r++) {
                    plane[r] = c * s.h() * s.w();
                    dy[r] = a - s.padding();
                    dx[r] = b - s.padding();
                }
            }
        }
        return new ImageColumns(r, s.oh(), s.ow(), s.h(), s.w(), s.stride(), 1, nr, plane, dy, dx);
    }

    /**
     * The matrix whose product with the rearranged weights gives the input gradient: rows (o, a, b) of the output
     * gradient, columns the input pixels.
     */
    static ImageColumns backwardInput(ConvShape s, int nr, int[] plane, int[] dy, int[] dx) {
        if (s.isPointwise()) {
            return pointwise(s.o(), s.h() * s.w(), nr, plane, dy, dx);
        }
        int r = 0;
        for (int o = 0; o < s.o(); o++) {
            for (int a = 0; a < s.kh(); a++) {
                for (int b = 0; b < s.kw(); b++, r++) {
                    plane[r] = o * s.oh() * s.ow();
                    dy[r] = s.padding() - a;
                    dx[r] = s.padding() - b;
                }
            }
        }
        return new ImageColumns(r, s.h(), s.w(), s.oh(), s.ow(), 1, s.stride(), nr, plane, dy, dx);
    }

    /** A 1×1 convolution: B is the image itself, {@code channels × pixels}, seen as one row per channel. */
    private static ImageColumns pointwise(int channels, int pixels, int nr, int[] plane, int[] dy, int[] dx) {
        for (int r = 0; r < channels; r++) {
            plane[r] = r * pixels;
            dy[r] = 0;
            dx[r] = 0;
        }
        return new ImageColumns(channels, 1, pixels, 1, pixels, 1, 1, nr, plane, dy, dx);
    }

    /** Columns of B: pixels per image. */
    int pixels() {
        return gridH * gridW;
    }

    /**
     * Packs rows {@code [k0, k0 + kc)} and columns {@code [p0, p0 + lanes)} ({@code lanes ≤ NR}) of the image
     * starting at float {@code image} of {@code src} into {@code dst[i·NR + j]}, zero beyond {@code lanes}.
     */
    void pack(MemorySegment src, long image, int p0, int lanes, int k0, int kc, float[] dst) {
        if (mul != 1 || div != 1) {
            packGather(src, image, p0, lanes, k0, kc, dst);
            return;
        }
        int y = p0 / gridW;
        int x = p0 % gridW;
        if (x + lanes <= gridW) {
            packOneRow(src, image, y, x, lanes, k0, kc, dst);
        } else {
            Arrays.fill(dst, 0, kc * nr, 0f);
            for (int l = 0; l < lanes; ) {
                int len = Math.min(lanes - l, gridW - x);
                packSegment(src, image, y, x - l, l, l + len, k0, kc, dst);
                l += len;
                y++;
                x = 0;
            }
        }
    }

    /** All lanes in output row y, lane j at column x0 + j: consecutive source floats per row of B. */
    private void packOneRow(MemorySegment src, long image, int y, int x0, int lanes, int k0, int kc, float[] dst) {
        for (int i = 0; i < kc; i++) {
            int r = k0 + i;
            int sy = y + dy[r];
            int sx = x0 + dx[r];
            int lo = Math.max(0, -sx);
            int hi = Math.min(lanes, srcW - sx);
            int d = i * nr;
            if (sy < 0 || sy >= srcH || hi <= lo) {
                zero(dst, d, nr);
            } else {
                long at = (image + plane[r] + (long) sy * srcW + sx) * Float.BYTES;
                if (lo == 0 && hi == nr) {
                    copy(src, at, dst, d, nr);
                } else {
                    copyMasked(src, at, lo, hi, dst, d, nr);
                }
            }
        }
    }

    /**
     * Lanes {@code [ls, le)} lie in output row y; lane j is column {@code xv + j}. Writes only those lanes (the
     * panel was zeroed), the others belong to neighbouring rows.
     */
    private void packSegment(MemorySegment src, long image, int y, int xv, int ls, int le, int k0, int kc,
                             float[] dst) {
        for (int i = 0; i < kc; i++) {
            int r = k0 + i;
            int sy = y + dy[r];
            int sx = xv + dx[r];
            int lo = Math.max(ls, -sx);
            int hi = Math.min(le, srcW - sx);
            if (sy >= 0 && sy < srcH && hi > lo) {
                long at = (image + plane[r] + (long) sy * srcW + sx) * Float.BYTES;
                storeMasked(src, at, lo, hi, dst, i * nr);
            }
        }
    }

    /** Element by element, for strided geometries. */
    private void packGather(MemorySegment src, long image, int p0, int lanes, int k0, int kc, float[] dst) {
        for (int i = 0; i < kc; i++) {
            int r = k0 + i;
            int d = i * nr;
            long base = image + plane[r];
            int y = p0 / gridW;
            int x = p0 % gridW;
            for (int j = 0; j < lanes; j++) {
                dst[d + j] = tap(src, base, y * mul + dy[r], x * mul + dx[r]);
                if (++x == gridW) {
                    x = 0;
                    y++;
                }
            }
            for (int j = lanes; j < nr; j++) {
                dst[d + j] = 0f;
            }
        }
    }

    private float tap(MemorySegment src, long base, int ty, int tx) {
        if (ty < 0 || tx < 0 || ty % div != 0 || tx % div != 0) {
            return 0f;
        }
        int sy = ty / div;
        int sx = tx / div;
        return sy < srcH && sx < srcW ? src.getAtIndex(F, base + (long) sy * srcW + sx) : 0f;
    }

    private static void copy(MemorySegment src, long at, float[] dst, int d, int nr) {
        for (int v = 0; v < nr; v += V) {
            FloatVector.fromMemorySegment(S, src, at + (long) v * Float.BYTES, ORDER).intoArray(dst, d + v);
        }
    }

    /** Lanes {@code [lo, hi)} from memory, the others zero. */
    private static void copyMasked(MemorySegment src, long at, int lo, int hi, float[] dst, int d, int nr) {
        for (int v = 0; v < nr; v += V) {
            VectorMask<Float> m = S.indexInRange(v - lo, hi - lo);
            FloatVector.fromMemorySegment(S, src, at + (long) v * Float.BYTES, ORDER, m).intoArray(dst, d + v);
        }
    }

    /** Lanes {@code [lo, hi)} from memory; the other lanes of dst keep their value. */
    private static void storeMasked(MemorySegment src, long at, int lo, int hi, float[] dst, int d) {
        for (int v = lo / V * V; v < hi; v += V) {
            VectorMask<Float> m = S.indexInRange(v - lo, hi - lo);
            FloatVector.fromMemorySegment(S, src, at + (long) v * Float.BYTES, ORDER, m).intoArray(dst, d + v, m);
        }
    }

    private static void zero(float[] dst, int d, int nr) {
        FloatVector z = FloatVector.zero(S);
        for (int v = 0; v < nr; v += V) {
            z.intoArray(dst, d + v);
        }
    }
}
