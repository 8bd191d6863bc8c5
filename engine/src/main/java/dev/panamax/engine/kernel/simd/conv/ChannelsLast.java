package dev.panamax.engine.kernel.simd.conv;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The packing routines of the weight gradient {@code dW[o, j] = Σ_{n, p} dY[n, o, p] · B[(n, p), j]}, whose
 * reduction runs over every output pixel of every image and whose columns j are the kernel taps of every input
 * channel.
 *
 * <p>The micro-kernel's vectors run along j, so a packed row of B needs {@code NR} consecutive j for one pixel. In
 * NCHW those are floats a whole plane apart; so the input is first copied into a zero-padded channels-last layout
 * {@code xt[img][yy][xx][c]} ({@code (h + 2·pad) × (w + 2·pad)} pixels of {@code cp} channels, cp rounded up to the
 * vector length, zero beyond c). With the columns ordered {@code j = (a·kw + b)·cp + c}, a vector of B is then
 * {@code V} consecutive floats of xt at pixel {@code (y·stride + a, x·stride + b)}: one unmasked load, with no
 * bounds test, for any kernel size, stride and padding. The copy costs one pass over the input, against
 * {@code o} multiply-adds per element of the im2col matrix it stands for.
 */
final class ChannelsLast {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int V = S.length();
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    private ChannelsLast() {
    }

    /** Channels rounded up to whole vectors. */
    static int paddedChannels(int c) {
        return (c + V - 1) / V * V;
    }

    /**
     * Writes rows {@code [row0, row1)} of the padded channels-last copy of images {@code n0, n0 + 1, ...} of x
     * ([n, c, h, w]); row R is padded row {@code R mod hp} of local image {@code R / hp}.
     */
    static void transpose(MemorySegment x, int n0, int c, int h, int w, int pad, int cp, int row0, int row1,
                          float[] xt) {
        int hp = h + 2 * pad;
        int wp = w + 2 * pad;
        int rowFloats = wp * cp;
        for (int row = row0; row < row1; row++) {
            int img = row / hp;
            int iy = row % hp - pad;
            int base = row * rowFloats;
            Arrays.fill(xt, base, base + rowFloats, 0f);
            if (iy < 0 || iy >= h) {
                continue;
            }
            long src = (((long) (n0 + img) * c) * h + iy) * w;
            int dst = base + pad * cp;
            for (int ch = 0; ch < c; ch++) {
                long from = src + (long) ch * h * w;
                int to = dst + ch;
                for (int ix = 0; ix < w; ix++) {
                    xt[to + ix * cp] = x.getAtIndex(F, from + ix);
                }
            }
        }
    }

    /**
     * Packs the B micro-panel of columns {@code [j0, j0 + NR)} for the kc pixels whose xt offsets are
     * {@code pixel[0, kc)}: {@code dst[i·NR + j] = xt[pixel[i] + tap(j0 + j)]}, zero for columns at or beyond
     * {@code cols}.
     */
    static void packB(float[] xt, int[] pixel, int kc, int j0, int cols, int kw, int wp, int cp, int nr,
                      float[] dst) {
        if (nr == 2 * V && j0 + nr <= cols) {
            packTwo(xt, pixel, kc, tapOffset(j0, kw, wp, cp), tapOffset(j0 + V, kw, wp, cp), dst);
            return;
        }
        for (int v = 0; v < nr; v += V) {
            int j = j0 + v;
            if (j < cols) {
                packOne(xt, pixel, kc, tapOffset(j, kw, wp, cp), nr, v, dst);
            } else {
                zeroColumn(kc, nr, v, dst);
            }
        }
    }

    /** Offset in xt, relative to a pixel's (stride-scaled) corner, of the V channels starting at column j. */
    private static int tapOffset(int j, int kw, int wp, int cp) {
        int tap = j / cp;
        int c0 = j % cp;
        return ((tap / kw) * wp + tap % kw) * cp + c0;
    }

    private static void packTwo(float[] xt, int[] pixel, int kc, int t0, int t1, float[] dst) {
        for (int i = 0, d = 0; i < kc; i++, d += 2 * V) {
            int at = pixel[i];
            FloatVector.fromArray(S, xt, at + t0).intoArray(dst, d);
            FloatVector.fromArray(S, xt, at + t1).intoArray(dst, d + V);
        }
    }

    private static void packOne(float[] xt, int[] pixel, int kc, int t, int nr, int v, float[] dst) {
        for (int i = 0; i < kc; i++) {
            FloatVector.fromArray(S, xt, pixel[i] + t).intoArray(dst, i * nr + v);
        }
    }

    private static void zeroColumn(int kc, int nr, int v, float[] dst) {
        FloatVector z = FloatVector.zero(S);
        for (int i = 0; i < kc; i++) {
            z.intoArray(dst, i * nr + v);
        }
    }

    /**
     * Packs A = the output gradient for the reduction positions {@code [l0, l0 + kc)} (position l is pixel
     * {@code l mod pixels} of image {@code n0 + l / pixels}) into micro-panels of mr channels:
     * {@code dst[q·mr·kc + i·mr + r] = dY[n, q·mr + r, p]}, zero for channels at or beyond o.
     */
    static void packOutputGradient(MemorySegment dy, int n0, int o, int pixels, int l0, int kc, int mr,
                                   float[] dst) {
        int panels = (o + mr - 1) / mr;
        for (int q = 0; q < panels; q++) {
            int base = q * mr * kc;
            for (int r = 0; r < mr; r++) {
                int ch = q * mr + r;
                if (ch >= o) {
                    for (int i = 0; i < kc; i++) {
                        dst[base + i * mr + r] = 0f;
                    }
                    continue;
                }
                int i = 0;
                int l = l0;
                while (i < kc) {
                    int img = l / pixels;
                    int p = l % pixels;
                    int len = Math.min(kc - i, pixels - p);
                    long src = ((long) (n0 + img) * o + ch) * pixels + p;
                    int d = base + i * mr + r;
                    for (int t = 0; t < len; t++) {
                        dst[d + t * mr] = dy.getAtIndex(F, src + t);
                    }
                    i += len;
                    l += len;
                }
            }
        }
    }
}
