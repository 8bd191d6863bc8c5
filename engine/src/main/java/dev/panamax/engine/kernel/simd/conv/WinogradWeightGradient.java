package dev.panamax.engine.kernel.simd.conv;

import static dev.panamax.engine.kernel.simd.conv.SimdConv2d.blockStart;
import static dev.panamax.engine.kernel.simd.conv.SimdConv2d.ceilDiv;
import static dev.panamax.engine.kernel.simd.conv.SimdConv2d.roundUp;
import static dev.panamax.engine.kernel.simd.conv.WinogradConv3x3.EVEN_LANES;
import static dev.panamax.engine.kernel.simd.conv.WinogradConv3x3.ODD_LANES;

import dev.panamax.engine.kernel.ConvShape;
import dev.panamax.engine.kernel.simd.gemm.GemmBlocking;
import dev.panamax.engine.kernel.simd.gemm.MicroKernel;
import dev.panamax.engine.parallel.WorkerPool;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The weight gradient of a 3×3, stride-1, padding-1 convolution by Winograd's F(2×2, 3×3), the backward pass of
 * {@link WinogradConv3x3}'s forward.
 *
 * <p>The forward computes each 2×2 output tile as {@code Y = Aᵀ·[U ⊙ V]·A} with {@code U = G·g·Gᵀ} and
 * {@code V = Bᵀ·d·B}. Y is linear in U, so {@code ∂L/∂U_ξ = Σ_tiles (A·dY·Aᵀ)_ξ · V_ξ} and
 * {@code ∂L/∂g = Gᵀ·(∂L/∂U)·G}: per position ξ of the 4×4 grid, a matrix product
 * {@code dU_ξ[o, c] = Σ_t W_ξ[o, t]·V_ξ[t, c]} whose reduction runs over all tiles of the batch, with
 * {@code W = A·dY·Aᵀ}. That is 16 multiply-adds per tile, input and output channel, where the direct gradient
 * takes 36 (9 taps × 4 pixels), on the GEMM micro-kernel with a long reduction.
 *
 * <p>Operands: W's rows (output channels) are vectors over the tiles of one tile row, from dY's even and odd
 * columns (two-vector shuffles), stored row after row ({@link MicroKernel#multiplyRows}'s layout); V is computed
 * with vectors over channels from a padded channels-last copy of the image ({@link ChannelsLast#transpose}), so
 * that it lands directly in the packed B panels ({@code NR} channels per tile).
 *
 * <p>Determinism: images are cut into groups by the shape alone; one thread computes a group's partial dU, image
 * after image, and the caller adds the groups' partials in order, so the bits do not depend on the thread count.
 * Accuracy: the same argument as the forward's (see {@link WinogradConv3x3}), with the reduction over
 * {@code n·tiles} terms.
 */
final class WinogradWeightGradient {

    private static final int POSITIONS = 16;
    /** Fewest input and output channels for which this route is taken (the transforms cost per channel). */
    static final int MIN_CHANNELS = 8;
    /** Image groups per call (fewer with fewer images): partial sums to add, against balance between threads. */
    private static final int GROUPS = 8;
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int V = S.length();
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final long PARALLEL_THRESHOLD = 1L << 16;

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private final GemmBlocking blocking;
    private final MicroKernel kernel;
    private final int mr;
    private final int nr;

    WinogradWeightGradient(GemmBlocking blocking) {
        this.blocking = blocking;
        this.kernel = blocking.kernel();
        this.mr = kernel.mr();
        this.nr = kernel.nr();
    }

    /**
     * Fewest 2×2 tiles per image. Each image's products are short reductions (one per tile) with a C update per
     * micro-tile, so small images lose: one core, batch 32, 32 → 32 channels, 28×28 (196 tiles) 19.3 → 12.2 ms
     * but 14×14 (49 tiles) 4.9 → 7.3 ms and 7×7 2.0 → 2.7 ms against the implicit GEMM.
     */
    static final int MIN_TILES = 128;

    /** 3×3, stride 1, padding 1, at least {@link #MIN_CHANNELS} channels each way and {@link #MIN_TILES} tiles. */
    static boolean applies(ConvShape s) {
        return s.kh() == 3 && s.kw() == 3 && s.stride() == 1 && s.padding() == 1 && s.c() >= MIN_CHANNELS
                && s.o() >= MIN_CHANNELS && ((s.h() + 1) / 2) * ((s.w() + 1) / 2) >= MIN_TILES;
    }

    /** {@code dw += ∂/∂w} (the bias gradient is the caller's). */
    void backwardWeight(ConvShape s, MemorySegment x, MemorySegment dy, MemorySegment dw, WorkerPool pool) {
        Geometry geo = new Geometry(s.n(), s.c(), s.o(), s.h(), s.w(), roundUp(s.c(), nr), roundUp(s.o(), mr),
                (s.h() + 1) / 2, (s.w() + 1) / 2, ceilDiv(s.n(), Math.min(s.n(), GROUPS)));
        int groups = geo.groups();
        int partialSize = POSITIONS * geo.oPad() * geo.cPad();
        Scratch mine = SCRATCH.get();
        MemorySegment partials = mine.partials.segment((long) groups * partialSize);
        long work = (long) s.n() * s.pixels() * s.o() * s.k();
        int threads = work < PARALLEL_THRESHOLD ? 1 : pool.threads();
        if (threads == 1) {
            for (int g = 0; g < groups; g++) {
                group(geo, x, dy, partials, g);
            }
        } else {
            pool.run(groups, g -> group(geo, x, dy, partials, g));
        }
        // dU = Σ_g partial_g in group order, then dw[o, c] += Gᵀ·dU·G.
        float[] du = new float[POSITIONS];
        float[] half = new float[12];
        for (int o = 0; o < s.o(); o++) {
            for (int c = 0; c < s.c(); c++) {
                for (int xi = 0; xi < POSITIONS; xi++) {
                    int at = (xi * geo.oPad() + o) * geo.cPad() + c;
                    float sum = 0f;
                    for (int g = 0; g < groups; g++) {
                        sum += partials.getAtIndex(F, (long) g * partialSize + at);
                    }
                    du[xi] = sum;
                }
                // Gᵀ·dU (3×4) with Gᵀ = [1 ½ ½ 0; 0 ½ −½ 0; 0 ½ ½ 1], then ·G (3×3).
                for (int j = 0; j < 4; j++) {
                    float u0 = du[j];
                    float u1 = du[4 + j];
                    float u2 = du[8 + j];
                    float u3 = du[12 + j];
                    half[j] = u0 + 0.5f * (u1 + u2);
                    half[4 + j] = 0.5f * (u1 - u2);
                    half[8 + j] = 0.5f * (u1 + u2) + u3;
                }
                long base = ((long) o * s.c() + c) * 9;
                for (int a = 0; a < 3; a++) {
                    float h0 = half[4 * a];
                    float h1 = half[4 * a + 1];
                    float h2 = half[4 * a + 2];
                    float h3 = half[4 * a + 3];
                    add(dw, base + 3 * a, h0 + 0.5f * (h1 + h2));
                    add(dw, base + 3 * a + 1, 0.5f * (h1 - h2));
                    add(dw, base + 3 * a + 2, 0.5f * (h1 + h2) + h3);
                }
            }
        }
    }

    private static void add(MemorySegment dw, long at, float value) {
        dw.setAtIndex(F, at, dw.getAtIndex(F, at) + value);
    }

    /**
     * Shapes of one call: channels padded to whole micro-panels ({@code cPad} to NR, {@code oPad} to MR), a grid of
     * {@code tilesHigh × tilesWide} tiles per image, images in groups of {@code perGroup}.
     */
    private record Geometry(int images, int c, int o, int h, int w, int cPad, int oPad, int tilesHigh,
                            int tilesWide, int perGroup) {

        int tiles() {
            return tilesHigh * tilesWide;
        }

        int groups() {
            return ceilDiv(images, perGroup);
        }

        /** Floats of one padded channels-last image, (h + 2) × (w + 2) pixels of cPad channels. */
        int imageFloats() {
            return (h + 2) * (w + 2) * cPad;
        }
    }

    /** Group g's partial dU: its images' products added image after image, into {@code partials[g]}. */
    private void group(Geometry geo, MemorySegment x, MemorySegment dy, MemorySegment partials, int g) {
        Scratch mine = SCRATCH.get();
        int tiles = geo.tiles();
        int cPanels = geo.cPad() / nr;
        int oBlocks = geo.oPad() / mr;
        // One image, plus a zero row: the last tiles of an odd-sized image read one row and column past the
        // padded image, whose values meet a W of exactly zero (see transformOutputGradient).
        int imageSize = geo.imageFloats() + (geo.w() + 3) * geo.cPad();
        float[] image = mine.image(imageSize);
        float[] b = mine.b(POSITIONS * geo.cPad() * tiles);
        int rowStride = tiles + V;
        float[] a = mine.a(POSITIONS * geo.oPad() * rowStride);
        float[] tile = mine.tile(mr * nr);
        // A plane of dY, then zeros: a row below an odd height, and the last vectors' reach past a row.
        int planeSize = geo.h() * geo.w();
        float[] plane = mine.plane(planeSize + 2 * geo.w() + 4 * V);
        Arrays.fill(plane, planeSize, planeSize + 2 * geo.w() + 4 * V, 0f);
        long partialBase = (long) g * POSITIONS * geo.oPad() * geo.cPad();
        int blocks = ceilDiv(tiles, blocking.kc());
        int n0 = g * geo.perGroup();
        int n1 = Math.min(geo.images(), n0 + geo.perGroup());
        for (int n = n0; n < n1; n++) {
            Arrays.fill(image, geo.imageFloats(), imageSize, 0f);
            ChannelsLast.transpose(x, n, 1, geo.c(), geo.h(), geo.w(), 1, 0, geo.c(), geo.cPad(), image);
            transformInput(geo, image, b, cPanels);
            transformOutputGradient(geo, dy, n, a, rowStride, plane);
            for (int xi = 0; xi < POSITIONS; xi++) {
                for (int blk = 0; blk < blocks; blk++) {
                    int p0 = blockStart(tiles, blocks, blk);
                    int kc = blockStart(tiles, blocks, blk + 1) - p0;
                    float beta = n == n0 && blk == 0 ? 0f : 1f;
                    for (int jp = 0; jp < cPanels; jp++) {
                        int bIndex = ((xi * cPanels + jp) * tiles + p0) * nr;
                        for (int ob = 0; ob < oBlocks; ob++) {
                            int row = xi * geo.oPad() + ob * mr;
                            long c = (partialBase + (long) row * geo.cPad() + jp * nr) * Float.BYTES;
                            kernel.multiplyRows(kc, a, row * rowStride + p0, rowStride, b, bIndex, 1f, beta, partials,
                                    c, geo.cPad(), mr, nr, tile);
                        }
                    }
                }
            }
        }
    }

    /**
     * {@code V = Bᵀ·d·B} of every tile of the image and every channel, vectors over channels: tile t = (ty, tx)
     * reads padded pixels (2ty + r, 2tx + s), r, s in 0..3; position ξ of channels [jp·NR, jp·NR + NR) goes to
     * the B panel {@code b[((ξ·cPanels + jp)·tiles + t)·NR + lane]}.
     */
    private void transformInput(Geometry geo, float[] image, float[] b, int cPanels) {
        int pixel = geo.cPad();
        int line = (geo.w() + 2) * pixel;
        int tiles = geo.tiles();
        int panelStride = tiles * nr;
        int xiStride = cPanels * panelStride;
        for (int ty = 0; ty < geo.tilesHigh(); ty++) {
            for (int tx = 0; tx < geo.tilesWide(); tx++) {
                int t = ty * geo.tilesWide() + tx;
                int start = (2 * ty * (geo.w() + 2) + 2 * tx) * pixel;
                for (int cv = 0; cv < geo.cPad(); cv += V) {
                    int dst = (cv / nr) * panelStride + t * nr + cv % nr;
                    transformInputVector(image, start + cv, pixel, line, b, dst, xiStride);
                }
            }
        }
    }

    /** One vector of channels of one tile: the 4×4 patch at {@code at} (pixels {@code pixel} apart, rows {@code line}). */
    private static void transformInputVector(float[] image, int at, int pixel, int line, float[] b, int dst,
                                             int xiStride) {
        // Bᵀ·d row by row (rows 1 and 2 serve three output rows), then ·B within each row.
        int r1 = at + line;
        int r2 = r1 + line;
        FloatVector p0 = FloatVector.fromArray(S, image, r1);
        FloatVector p1 = FloatVector.fromArray(S, image, r1 + pixel);
        FloatVector p2 = FloatVector.fromArray(S, image, r1 + 2 * pixel);
        FloatVector p3 = FloatVector.fromArray(S, image, r1 + 3 * pixel);
        FloatVector q0 = FloatVector.fromArray(S, image, r2);
        FloatVector q1 = FloatVector.fromArray(S, image, r2 + pixel);
        FloatVector q2 = FloatVector.fromArray(S, image, r2 + 2 * pixel);
        FloatVector q3 = FloatVector.fromArray(S, image, r2 + 3 * pixel);
        // Rows 1 (p + q) and 2 (q − p) of Bᵀ·d, each then ·B: [v0 − v2, v1 + v2, v2 − v1, v1 − v3].
        FloatVector s0 = p0.add(q0);
        FloatVector s1 = p1.add(q1);
        FloatVector s2 = p2.add(q2);
        FloatVector s3 = p3.add(q3);
        s0.sub(s2).intoArray(b, 4 * xiStride + dst);
        s1.add(s2).intoArray(b, 5 * xiStride + dst);
        s2.sub(s1).intoArray(b, 6 * xiStride + dst);
        s1.sub(s3).intoArray(b, 7 * xiStride + dst);
        s0 = q0.sub(p0);
        s1 = q1.sub(p1);
        s2 = q2.sub(p2);
        s3 = q3.sub(p3);
        s0.sub(s2).intoArray(b, 8 * xiStride + dst);
        s1.add(s2).intoArray(b, 9 * xiStride + dst);
        s2.sub(s1).intoArray(b, 10 * xiStride + dst);
        s1.sub(s3).intoArray(b, 11 * xiStride + dst);
        // Row 0 (d0 − d2) and row 3 (d1 − d3).
        int r0 = at;
        int r3 = r2 + line;
        s0 = FloatVector.fromArray(S, image, r0).sub(q0);
        s1 = FloatVector.fromArray(S, image, r0 + pixel).sub(q1);
        s2 = FloatVector.fromArray(S, image, r0 + 2 * pixel).sub(q2);
        s3 = FloatVector.fromArray(S, image, r0 + 3 * pixel).sub(q3);
        s0.sub(s2).intoArray(b, dst);
        s1.add(s2).intoArray(b, xiStride + dst);
        s2.sub(s1).intoArray(b, 2 * xiStride + dst);
        s1.sub(s3).intoArray(b, 3 * xiStride + dst);
        s0 = p0.sub(FloatVector.fromArray(S, image, r3));
        s1 = p1.sub(FloatVector.fromArray(S, image, r3 + pixel));
        s2 = p2.sub(FloatVector.fromArray(S, image, r3 + 2 * pixel));
        s3 = p3.sub(FloatVector.fromArray(S, image, r3 + 3 * pixel));
        s0.sub(s2).intoArray(b, 12 * xiStride + dst);
        s1.add(s2).intoArray(b, 13 * xiStride + dst);
        s2.sub(s1).intoArray(b, 14 * xiStride + dst);
        s1.sub(s3).intoArray(b, 15 * xiStride + dst);
    }

    /**
     * {@code W = A·dY·Aᵀ} (A = [1 0; 1 1; 1 −1; 0 −1]) of every tile of image n and every output channel, into
     * {@code a[(ξ·oPad + o)·rowStride + t]}, vectors of V tiles of a tile row from dY's even and odd columns.
     * Each plane of dY is first copied to {@code plane}, followed by zeros (the row below an odd height). A tile
     * row's last vector may run past the row: those lanes land on the next tile row, written afterwards, or in
     * the V floats of slack after each row of a; and with an odd width the last tile, whose right column is
     * outside the image, is redone in scalar code. So W is exactly zero wherever it meets a patch value outside
     * the padded image. (Masked loads here, in a branch, left the vectors boxed.)
     */
    private static void transformOutputGradient(Geometry geo, MemorySegment dy, int n, float[] a, int rowStride,
                                                float[] plane) {
        int w = geo.w();
        int planeSize = geo.h() * w;
        int xiStride = geo.oPad() * rowStride;
        for (int o = 0; o < geo.o(); o++) {
            MemorySegment.copy(dy, ValueLayout.JAVA_FLOAT, ((long) n * geo.o() + o) * planeSize * Float.BYTES,
                    plane, 0, planeSize);
            for (int ty = 0; ty < geo.tilesHigh(); ty++) {
                int top = 2 * ty * w;
                int dst = o * rowStride + ty * geo.tilesWide();
                for (int tx = 0; tx < geo.tilesWide(); tx += V) {
                    int at = top + 2 * tx;
                    FloatVector lo = FloatVector.fromArray(S, plane, at);
                    FloatVector hi = FloatVector.fromArray(S, plane, at + V);
                    FloatVector g00 = lo.rearrange(EVEN_LANES, hi);
                    FloatVector g01 = lo.rearrange(ODD_LANES, hi);
                    lo = FloatVector.fromArray(S, plane, at + w);
                    hi = FloatVector.fromArray(S, plane, at + w + V);
                    FloatVector g10 = lo.rearrange(EVEN_LANES, hi);
                    FloatVector g11 = lo.rearrange(ODD_LANES, hi);
                    // A·g: rows g0, g0 + g1, g0 − g1, −g1 (per column), then the same across the columns.
                    int d = dst + tx;
                    FloatVector c0 = g00;
                    FloatVector c1 = g01;
                    c0.intoArray(a, d);
                    c0.add(c1).intoArray(a, xiStride + d);
                    c0.sub(c1).intoArray(a, 2 * xiStride + d);
                    c1.neg().intoArray(a, 3 * xiStride + d);
                    c0 = g00.add(g10);
                    c1 = g01.add(g11);
                    c0.intoArray(a, 4 * xiStride + d);
                    c0.add(c1).intoArray(a, 5 * xiStride + d);
                    c0.sub(c1).intoArray(a, 6 * xiStride + d);
                    c1.neg().intoArray(a, 7 * xiStride + d);
                    c0 = g00.sub(g10);
                    c1 = g01.sub(g11);
                    c0.intoArray(a, 8 * xiStride + d);
                    c0.add(c1).intoArray(a, 9 * xiStride + d);
                    c0.sub(c1).intoArray(a, 10 * xiStride + d);
                    c1.neg().intoArray(a, 11 * xiStride + d);
                    c0 = g10.neg();
                    c1 = g11.neg();
                    c0.intoArray(a, 12 * xiStride + d);
                    c0.add(c1).intoArray(a, 13 * xiStride + d);
                    c0.sub(c1).intoArray(a, 14 * xiStride + d);
                    c1.neg().intoArray(a, 15 * xiStride + d);
                }
                if (w % 2 == 1) {
                    lastTileOfOddRow(plane, top, w, a, dst + geo.tilesWide() - 1, xiStride);
                }
            }
        }
    }

    /** W of a tile whose right column is outside the image: the vector code read the next row's first column. */
    private static void lastTileOfOddRow(float[] plane, int top, int w, float[] a, int d, int xiStride) {
        float g0 = plane[top + w - 1];
        float g1 = plane[top + 2 * w - 1];
        for (int i = 0; i < 4; i++) {
            // Row i of A·g (g0, g0 + g1, g0 − g1, −g1) with a zero right column: W row i = [c, c, c, 0].
            float c = i == 0 ? g0 : i == 1 ? g0 + g1 : i == 2 ? g0 - g1 : -g1;
            a[(4 * i) * xiStride + d] = c;
            a[(4 * i + 1) * xiStride + d] = c;
            a[(4 * i + 2) * xiStride + d] = c;
            a[(4 * i + 3) * xiStride + d] = 0f;
        }
    }

    /** Per-thread buffers, grown once; the partial sums are the caller's. */
    private static final class Scratch {
        private float[] image = new float[0];
        private float[] a = new float[0];
        private float[] b = new float[0];
        private float[] tile = new float[0];
        private float[] plane = new float[0];
        final SimdConv2d.NativeFloats partials = new SimdConv2d.NativeFloats();

        float[] image(int size) {
            if (image.length < size) {
                image = new float[size];
            }
            return image;
        }

        /**
         * W rows. The micro-kernel reads whole MR-row panels: rows past the output channels hold whatever is here
         * (zeros, or an earlier call's values) and only reach partial-sum rows that are never read.
         */
        float[] a(int size) {
            if (a.length < size) {
                a = new float[size];
            }
            return a;
        }

        float[] b(int size) {
            if (b.length < size) {
                b = new float[size];
            }
            return b;
        }

        float[] plane(int size) {
            if (plane.length < size) {
                plane = new float[size];
            }
            return plane;
        }

        float[] tile(int size) {
            if (tile.length < size) {
                tile = new float[size];
            }
            return tile;
        }
    }
}
