package dev.panamax.engine.kernel.simd.conv;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The packing routines of the weight gradient {@code dW[o, j] = Σ_{n, p} dY[n, o, p] · B[(n, p), j]}, whose
 * reduction runs over every output pixel of every image and whose columns j are the kernel taps of every input
 * channel.
 *
 * <p>The micro-kernel's vectors run along j, so a packed row of B needs {@code NR} consecutive j for one pixel. In
 * NCHW those are floats a whole plane apart; so the input is first copied into a zero-padded channels-last layout
 * {@code xt[img][yy][xx][c]} ({@code (h + 2·pad) × (w + 2·pad)} pixels, zero beyond the last channel). With the
 * columns ordered {@code j = (channel block, tap (a, b), channel in block)}, a vector of B is then {@code V}
 * consecutive floats of xt at pixel {@code (y·stride + a, x·stride + b)}: one unmasked load, with no bounds test,
 * for any kernel size, stride and padding. Each thread copies only the channel blocks of its own columns. The copy costs one pass over the input, against
 * {@code o} multiply-adds per element of the im2col matrix it stands for.
 *
 * <p>Both copies here are transposes (NCHW to channels-last, and dY rows to the micro-kernel's interleaved
 * A panels). Where 8-float vectors are native (AVX2, AVX-512), they move 8×8 (or 4×8) blocks through registers
 * with "perfect shuffle" zips, {@code zip(a, b) = [a0 b0 a1 b1 ...]}: applied log2(rows) times to the rows of a
 * block, it transposes the block. Measured on the AVX2 machine this took the weight gradient's copies from about
 * 13% to 8% of its time (16×64×32×32); elsewhere the loops are scalar.
 */
final class ChannelsLast {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int V = S.length();
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    /** 8-lane blocks, used where the CPU has at least 256-bit vectors. */
    private static final VectorSpecies<Float> S8 = FloatVector.SPECIES_256;
    private static final boolean BLOCKS = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 256;
    /*
     * zip-low(a, b) = [a0 b0 a1 b1 a2 b2 a3 b3] is a.rearrange(ZIP_LOW).blend(b.rearrange(ZIP_LOW), ODD), and zip-high
     * the same with a4..a7, b4..b7. The expression is written out at every use: as a helper method taking and
     * returning vectors, C2 sometimes compiled it on its own inside a training step, and the rearranges then ran
     * boxed (a 2× slower weight gradient in one JVM out of two, gigabytes of garbage per second).
     */
    private static final VectorShuffle<Float> ZIP_LOW = VectorShuffle.fromOp(S8, i -> i / 2);
    private static final VectorShuffle<Float> ZIP_HIGH = VectorShuffle.fromOp(S8, i -> 4 + i / 2);
    private static final VectorMask<Float> ODD = VectorMask.fromLong(S8, 0b10101010);

    private ChannelsLast() {
    }

    /** Channels rounded up to whole vectors (of the preferred species). */
    static int paddedChannels(int c) {
        return (c + V - 1) / V * V;
    }

    /**
     * Writes the padded channels-last copy of channels {@code [c0, c1)} of images {@code [n0, n0 + images)} of x
     * ([n, c, h, w]): pixel (yy, xx) of local image i (padded coordinates) holds channel ch at
     * {@code xt[((i·hp + yy)·wp + xx)·width + ch − c0]}, and zeros in the margins and beyond {@code c1 − c0}.
     */
    static void transpose(MemorySegment x, int n0, int images, int c, int h, int w, int pad, int c0, int c1,
                          int width, float[] xt) {
        int hp = h + 2 * pad;
        int wp = w + 2 * pad;
        int rowFloats = wp * width;
        long planeFloats = (long) h * w;
        int channels = c1 - c0;
        int cBlocks = BLOCKS ? channels / 8 * 8 : 0;
        int xBlocks = BLOCKS ? w / 8 * 8 : 0;
        for (int row = 0; row < images * hp; row++) {
            int img = row / hp;
            int iy = row % hp - pad;
            int base = row * rowFloats;
            if (iy < 0 || iy >= h) {
                Arrays.fill(xt, base, base + rowFloats, 0f);
                continue;
            }
            // Zero the margins and the channels beyond c1; every other float is written below.
            Arrays.fill(xt, base, base + pad * width, 0f);
            Arrays.fill(xt, base + (pad + w) * width, base + rowFloats, 0f);
            int dst = base + pad * width;
            if (width > channels) {
                for (int ix = 0; ix < w; ix++) {
                    Arrays.fill(xt, dst + ix * width + channels, dst + (ix + 1) * width, 0f);
                }
            }
            long src = (((long) (n0 + img) * c + c0) * h + iy) * w;
            for (int ch = 0; ch < cBlocks; ch += 8) {
                for (int ix = 0; ix < xBlocks; ix += 8) {
                    block8x8(x, (src + ch * planeFloats + ix) * Float.BYTES, planeFloats * Float.BYTES, xt,
                            dst + ix * width + ch, width);
                }
            }
            // What the blocks left: the last channels, and the last columns of every channel.
            for (int ch = 0; ch < channels; ch++) {
                long from = src + ch * planeFloats;
                int to = dst + ch;
                for (int ix = ch < cBlocks ? xBlocks : 0; ix < w; ix++) {
                    xt[to + ix * width] = x.getAtIndex(F, from + ix);
                }
            }
        }
    }

    /**
     * {@code xt[to + j·width + r] = x[at + r·plane + j]} for an 8×8 block (8 channels × 8 columns; at and plane in
     * bytes).
     */
    private static void block8x8(MemorySegment x, long at, long plane, float[] xt, int to, int width) {
        FloatVector r0 = FloatVector.fromMemorySegment(S8, x, at, ORDER);
        FloatVector r1 = FloatVector.fromMemorySegment(S8, x, at + plane, ORDER);
        FloatVector r2 = FloatVector.fromMemorySegment(S8, x, at + 2 * plane, ORDER);
        FloatVector r3 = FloatVector.fromMemorySegment(S8, x, at + 3 * plane, ORDER);
        FloatVector r4 = FloatVector.fromMemorySegment(S8, x, at + 4 * plane, ORDER);
        FloatVector r5 = FloatVector.fromMemorySegment(S8, x, at + 5 * plane, ORDER);
        FloatVector r6 = FloatVector.fromMemorySegment(S8, x, at + 6 * plane, ORDER);
        FloatVector r7 = FloatVector.fromMemorySegment(S8, x, at + 7 * plane, ORDER);
        // Three rounds of zips, written out: vectors carried around a loop were sometimes left boxed by C2.
        FloatVector s0 = r0.rearrange(ZIP_LOW).blend(r4.rearrange(ZIP_LOW), ODD);
        FloatVector s1 = r0.rearrange(ZIP_HIGH).blend(r4.rearrange(ZIP_HIGH), ODD);
        FloatVector s2 = r1.rearrange(ZIP_LOW).blend(r5.rearrange(ZIP_LOW), ODD);
        FloatVector s3 = r1.rearrange(ZIP_HIGH).blend(r5.rearrange(ZIP_HIGH), ODD);
        FloatVector s4 = r2.rearrange(ZIP_LOW).blend(r6.rearrange(ZIP_LOW), ODD);
        FloatVector s5 = r2.rearrange(ZIP_HIGH).blend(r6.rearrange(ZIP_HIGH), ODD);
        FloatVector s6 = r3.rearrange(ZIP_LOW).blend(r7.rearrange(ZIP_LOW), ODD);
        FloatVector s7 = r3.rearrange(ZIP_HIGH).blend(r7.rearrange(ZIP_HIGH), ODD);
        FloatVector t0 = s0.rearrange(ZIP_LOW).blend(s4.rearrange(ZIP_LOW), ODD);
        FloatVector t1 = s0.rearrange(ZIP_HIGH).blend(s4.rearrange(ZIP_HIGH), ODD);
        FloatVector t2 = s1.rearrange(ZIP_LOW).blend(s5.rearrange(ZIP_LOW), ODD);
        FloatVector t3 = s1.rearrange(ZIP_HIGH).blend(s5.rearrange(ZIP_HIGH), ODD);
        FloatVector t4 = s2.rearrange(ZIP_LOW).blend(s6.rearrange(ZIP_LOW), ODD);
        FloatVector t5 = s2.rearrange(ZIP_HIGH).blend(s6.rearrange(ZIP_HIGH), ODD);
        FloatVector t6 = s3.rearrange(ZIP_LOW).blend(s7.rearrange(ZIP_LOW), ODD);
        FloatVector t7 = s3.rearrange(ZIP_HIGH).blend(s7.rearrange(ZIP_HIGH), ODD);
        FloatVector u0 = t0.rearrange(ZIP_LOW).blend(t4.rearrange(ZIP_LOW), ODD);
        FloatVector u1 = t0.rearrange(ZIP_HIGH).blend(t4.rearrange(ZIP_HIGH), ODD);
        FloatVector u2 = t1.rearrange(ZIP_LOW).blend(t5.rearrange(ZIP_LOW), ODD);
        FloatVector u3 = t1.rearrange(ZIP_HIGH).blend(t5.rearrange(ZIP_HIGH), ODD);
        FloatVector u4 = t2.rearrange(ZIP_LOW).blend(t6.rearrange(ZIP_LOW), ODD);
        FloatVector u5 = t2.rearrange(ZIP_HIGH).blend(t6.rearrange(ZIP_HIGH), ODD);
        FloatVector u6 = t3.rearrange(ZIP_LOW).blend(t7.rearrange(ZIP_LOW), ODD);
        FloatVector u7 = t3.rearrange(ZIP_HIGH).blend(t7.rearrange(ZIP_HIGH), ODD);
        u0.intoArray(xt, to);
        u1.intoArray(xt, to + width);
        u2.intoArray(xt, to + 2 * width);
        u3.intoArray(xt, to + 3 * width);
        u4.intoArray(xt, to + 4 * width);
        u5.intoArray(xt, to + 5 * width);
        u6.intoArray(xt, to + 6 * width);
        u7.intoArray(xt, to + 7 * width);
    }


    /**
     * Packs a B micro-panel for the kc pixels whose xt offsets are {@code pixel[0, kc)}: vector v of row i is the
     * V floats at {@code xt[pixel[i] + offset[v]]} ({@code dst[i·NR + v·V ...]}).
     */
    static void packB(float[] xt, int[] pixel, int kc, int[] offset, int nr, float[] dst) {
        if (nr == 2 * V) {
            packTwo(xt, pixel, kc, offset[0], offset[1], dst);
        } else {
            for (int v = 0; v < nr / V; v++) {
                packOne(xt, pixel, kc, offset[v], nr, v * V, dst);
            }
        }
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
            boolean fourRows = BLOCKS && mr == 4 && q * mr + 4 <= o;
            for (int r = 0; r < (fourRows ? 1 : mr); r++) {
                int ch = q * mr + r;
                if (ch >= o) {
                    for (int i = 0; i < kc; i++) {
                        dst[base + i * mr + r] = 0f;
                    }
                    continue;
                }
                // The reduction positions run through images: one run of consecutive pixels per image.
                for (int i = 0, l = l0; i < kc; ) {
                    int img = l / pixels;
                    int p = l % pixels;
                    int len = Math.min(kc - i, pixels - p);
                    long src = ((long) (n0 + img) * o + ch) * pixels + p;
                    int d = base + i * mr + r;
                    int t = 0;
                    if (fourRows) {
                        // All four rows of the panel, 8 positions per block, then the last positions one by one.
                        long plane = (long) pixels * Float.BYTES;
                        for (; t + 8 <= len; t += 8) {
                            block4x8(dy, (src + t) * Float.BYTES, plane, dst, d + t * 4);
                        }
                        for (; t < len; t++) {
                            for (int rr = 0; rr < 4; rr++) {
                                dst[d + rr + t * 4] = dy.getAtIndex(F, src + rr * (long) pixels + t);
                            }
                        }
                    }
                    for (; t < len; t++) {
                        dst[d + t * mr] = dy.getAtIndex(F, src + t);
                    }
                    i += len;
                    l += len;
                }
            }
        }
    }

    /** {@code dst[to + 4·j + r] = dy[at + r·plane + j]} for 4 rows × 8 positions (at and plane in bytes). */
    private static void block4x8(MemorySegment dy, long at, long plane, float[] dst, int to) {
        FloatVector r0 = FloatVector.fromMemorySegment(S8, dy, at, ORDER);
        FloatVector r1 = FloatVector.fromMemorySegment(S8, dy, at + plane, ORDER);
        FloatVector r2 = FloatVector.fromMemorySegment(S8, dy, at + 2 * plane, ORDER);
        FloatVector r3 = FloatVector.fromMemorySegment(S8, dy, at + 3 * plane, ORDER);
        FloatVector a = r0.rearrange(ZIP_LOW).blend(r2.rearrange(ZIP_LOW), ODD);
        FloatVector b = r0.rearrange(ZIP_HIGH).blend(r2.rearrange(ZIP_HIGH), ODD);
        FloatVector c = r1.rearrange(ZIP_LOW).blend(r3.rearrange(ZIP_LOW), ODD);
        FloatVector d = r1.rearrange(ZIP_HIGH).blend(r3.rearrange(ZIP_HIGH), ODD);
        a.rearrange(ZIP_LOW).blend(c.rearrange(ZIP_LOW), ODD).intoArray(dst, to);
        a.rearrange(ZIP_HIGH).blend(c.rearrange(ZIP_HIGH), ODD).intoArray(dst, to + 8);
        b.rearrange(ZIP_LOW).blend(d.rearrange(ZIP_LOW), ODD).intoArray(dst, to + 16);
        b.rearrange(ZIP_HIGH).blend(d.rearrange(ZIP_HIGH), ODD).intoArray(dst, to + 24);
    }
}
