package dev.panamax.engine.kernel.simd.conv;

import static dev.panamax.engine.kernel.simd.conv.SimdConv2d.blockStart;
import static dev.panamax.engine.kernel.simd.conv.SimdConv2d.ceilDiv;
import static dev.panamax.engine.kernel.simd.conv.SimdConv2d.roundUp;
import static dev.panamax.engine.kernel.simd.conv.SimdConv2d.split;

import dev.panamax.engine.kernel.ConvShape;
import dev.panamax.engine.kernel.simd.gemm.GemmBlocking;
import dev.panamax.engine.kernel.simd.gemm.MicroKernel;
import dev.panamax.engine.parallel.WorkerPool;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * 3×3, stride-1, padding-1 convolutions by Winograd's minimal filtering F(2×2, 3×3) (Lavin and Gray, "Fast
 * Algorithms for Convolutional Neural Networks", 2016): the forward pass and the input gradient, which is the same
 * convolution of dY with the weights flipped and transposed.
 *
 * <h2>Why</h2>
 * Each 2×2 block of output pixels (a tile) of one output channel needs 4·9 = 36 multiply-adds per input channel
 * computed directly, 16 in Winograd's form: the 4×4 input patch d and the 3×3 filter g are transformed,
 * {@code V = Bᵀ·d·B} and {@code U = G·g·Gᵀ}, multiplied element by element, and the 4×4 product is transformed back,
 * {@code Y = Aᵀ·M·A}. Summed over input channels, each of the 16 positions ξ of the 4×4 grid is a matrix product
 * {@code M_ξ[m, tile] = Σ_k U_ξ[m, k]·V_ξ[k, tile]}, which runs on the GEMM's {@link MicroKernel}: 2.25× fewer
 * multiply-adds than the implicit GEMM of {@link SimdConv2d}, at the price of the two transforms (additions only,
 * about 16 vector operations per tile and channel). The U-Net's 16- to 64-channel layers are where the diffusion
 * step spends most of its time; there the implicit GEMM's reduction (9·C = 144–576) is short and a quarter of its
 * time is packing, while here the transformed input is written straight in the micro-kernel's packed-panel layout.
 *
 * <h2>Layout</h2>
 * Tiles are counted over a grid of {@code ceil(h/2)} rows by {@code tilesWide} columns, {@code ceil(w/2)} rounded up
 * to whole vectors, so that V lanes are consecutive tiles of one tile row (vectors of V tiles; the columns past the
 * image are computed and discarded). A chunk is V tiles of one tile row; a unit of work is NR/V consecutive
 * chunks of the whole batch (one micro-panel, which may run across two images), so only the batch's last panel
 * is partly empty. Per unit: each chunk's image is copied into a zero-padded buffer with even and odd columns
 * apart (split by shuffles once per image), so that the four columns of V consecutive tiles are plain loads at
 * offsets 0 and 1 of the even and the odd half of a row; the 16 transformed panels are written, 16·⌈m/MR⌉
 * micro-kernel calls multiply them, and the output transform writes the tiles' pixels.
 *
 * <h2>Accuracy</h2>
 * The transforms use only additions and exact multiplications by ½, so the result is the same sum as the
 * direct convolution, evaluated in a different order with more terms: its rounding error is bounded by
 * {@code γ(k + 11)} times the same formula evaluated on absolute values (k channels reduced over; 2 roundings in the
 * input transform, 4 in the filter transform, 4 in the output transform and 1 for the bias or the accumulated
 * gradient, on any path), which {@code ConvOracle} checks. As everywhere in the
 * engine, each output element is computed by one thread in a fixed order, so the bits do not depend on the number
 * of threads.
 */
public final class WinogradConv3x3 {

    /** Positions ξ = 4·i + j of the 4×4 transformed tile. */
    private static final int POSITIONS = 16;
    /**
     * Fewest channels reduced over for which the Winograd form is used. With fewer, the per-channel transforms
     * cost more than the multiply-adds they save (a first layer of one channel keeps the implicit GEMM).
     */
    static final int MIN_REDUCTION = 8;
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int V = S.length();
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    /** Parts per thread, claimed dynamically (see {@link SimdConv2d}). */
    private static final int PARTS_PER_THREAD = 4;
    /** Below this many multiply-adds (in the direct count) a call runs on the calling thread. */
    private static final long PARALLEL_THRESHOLD = 1L << 16;

    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    /** Lanes 0, 2, 4, … of two vectors side by side (the second vector's lanes are the shuffle's indexes ≥ V). */
    static final VectorShuffle<Float> EVEN_LANES = VectorShuffle.fromOp(S, i -> 2 * i);
    static final VectorShuffle<Float> ODD_LANES = VectorShuffle.fromOp(S, i -> 2 * i + 1);
    /** a0 b0 a1 b1 … from the first halves of vectors a and b, and the same from their second halves. */
    private static final VectorShuffle<Float> ZIP_LOW = VectorShuffle.fromOp(S, i -> i / 2 + (i % 2) * V);
    private static final VectorShuffle<Float> ZIP_HIGH = VectorShuffle.fromOp(S, i -> V / 2 + i / 2 + (i % 2) * V);

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private final GemmBlocking blocking;
    private final MicroKernel kernel;
    private final int mr;
    private final int nr;

    public WinogradConv3x3(GemmBlocking blocking) {
        this.blocking = blocking;
        this.kernel = blocking.kernel();
        this.mr = kernel.mr();
        this.nr = kernel.nr();
    }

    /** Whether {@link #forward} handles this convolution. */
    public static boolean forwardApplies(ConvShape s) {
        return applies(s, s.c());
    }

    /** Whether {@link #backwardInput} handles this convolution's input gradient. */
    public static boolean backwardInputApplies(ConvShape s) {
        return applies(s, s.o());
    }

    /**
     * 3×3, stride 1, padding 1, enough channels to reduce over, and a tile row that fills its vectors to at least
     * four fifths (a 7-wide image has 4 tiles per row: half of a vector of 8 would be discarded work).
     */
    private static boolean applies(ConvShape s, int reduction) {
        if (s.kh() != 3 || s.kw() != 3 || s.stride() != 1 || s.padding() != 1 || reduction < MIN_REDUCTION) {
            return false;
        }
        int tilesW = (s.w() + 1) / 2;
        return 5 * tilesW >= 4 * roundUp(tilesW, V);
    }

    /** {@code y = conv2d(x, w) + bias} ({@code bias} may be null), for a shape {@link #forwardApplies} accepts. */
    public void forward(ConvShape s, MemorySegment x, MemorySegment w, MemorySegment bias, MemorySegment y,
                        WorkerPool pool) {
        float[] u = transformedWeights(s.o(), s.c(), w, false);
        run(s.n(), s.c(), s.o(), s.h(), s.w(), x, y, u, bias, false, pool);
    }

    /** {@code dx += conv2dᵀ(dy, w)}, for a shape {@link #backwardInputApplies} accepts. */
    public void backwardInput(ConvShape s, MemorySegment dy, MemorySegment w, MemorySegment dx, WorkerPool pool) {
        // dx[c] = Σ_o dy[o] ⋆ w[o, c] rotated by 180°: a 3×3, padding-1 convolution from o channels to c.
        float[] u = transformedWeights(s.c(), s.o(), w, true);
        run(s.n(), s.o(), s.c(), s.h(), s.w(), dy, dx, u, null, true, pool);
    }

    // ================================================================ weights

    /**
     * {@code U_ξ = G·g·Gᵀ} for every (output m, input k) filter, packed per position ξ as the micro-kernel's A
     * panels (the layout of {@code SimdConv2d.packWeights}: reduction blocks of at most KC, panels of MR rows).
     * Forward: g = w[m, k]. Transposed (input gradient): g = w[k, m] rotated by 180°.
     */
    private float[] transformedWeights(int m, int k, MemorySegment w, boolean transposed) {
        int mPad = roundUp(m, mr);
        int blocks = ceilDiv(k, blocking.kc());
        float[] u = SCRATCH.get().weights(POSITIONS * mPad * k);
        Arrays.fill(u, 0, POSITIONS * mPad * k, 0f);
        float[] g = new float[9];
        float[] gg = new float[12];
        for (int block = 0; block < blocks; block++) {
            int k0 = blockStart(k, blocks, block);
            int kc = blockStart(k, blocks, block + 1) - k0;
            for (int row = 0; row < m; row++) {
                for (int r = k0; r < k0 + kc; r++) {
                    for (int a = 0; a < 3; a++) {
                        for (int b = 0; b < 3; b++) {
                            long at = transposed ? ((long) r * m + row) * 9 + (2 - a) * 3 + (2 - b)
                                    : ((long) row * k + r) * 9 + a * 3 + b;
                            g[a * 3 + b] = w.getAtIndex(F, at);
                        }
                    }
                    // G·g (4×3), then (G·g)·Gᵀ (4×4), with G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1].
                    for (int b = 0; b < 3; b++) {
                        float g0 = g[b];
                        float g1 = g[3 + b];
                        float g2 = g[6 + b];
                        gg[b] = g0;
                        gg[3 + b] = 0.5f * (g0 + g1 + g2);
                        gg[6 + b] = 0.5f * (g0 - g1 + g2);
                        gg[9 + b] = g2;
                    }
                    // Element (row, r) of position ξ's A panels.
                    int within = mPad * k0 + (row / mr) * mr * kc + (r - k0) * mr + row % mr;
                    for (int i = 0; i < 4; i++) {
                        float h0 = gg[i * 3];
                        float h1 = gg[i * 3 + 1];
                        float h2 = gg[i * 3 + 2];
                        int base = i * 4 * mPad * k + within;
                        u[base] = h0;
                        u[base + mPad * k] = 0.5f * (h0 + h1 + h2);
                        u[base + 2 * mPad * k] = 0.5f * (h0 - h1 + h2);
                        u[base + 3 * mPad * k] = h2;
                    }
                }
            }
        }
        return u;
    }

    // ================================================================ the three stages

    /**
     * {@code out[n][m] (= | +=) Σ_k in[n][k] ⋆ g[m, k] (+ bias[m])}, 3×3 with padding 1, for {@code u} the
     * transformed filters.
     */
    private void run(int images, int k, int m, int h, int w, MemorySegment in, MemorySegment out, float[] u,
                     MemorySegment bias, boolean accumulate, WorkerPool pool) {
        Geometry geo = new Geometry(images, k, m, h, w, nr / V);
        int units = geo.units();
        long work = (long) images * k * m * 9 * h * w;
        int threads = work < PARALLEL_THRESHOLD ? 1 : pool.threads();
        if (threads == 1) {
            runUnits(geo, in, out, u, bias, accumulate, 0, units);
            return;
        }
        int parts = Math.min(units, threads * PARTS_PER_THREAD);
        pool.run(parts, part -> runUnits(geo, in, out, u, bias, accumulate, split(units, parts, part),
                split(units, parts, part + 1)));
    }

    /**
     * Shapes and sizes of one call, shared by all threads: a grid of {@code tilesHigh × tilesWide} tiles per image,
     * {@code halves} chunks of V tiles per unit.
     */
    private record Geometry(int images, int k, int m, int h, int w, int halves, int tilesHigh, int tilesWide) {

        Geometry(int images, int k, int m, int h, int w, int halves) {
            this(images, k, m, h, w, halves, (h + 1) / 2, roundUp((w + 1) / 2, V));
        }

        /** One padded row: its even columns, then its odd ones, each tilesWide + 1 long. */
        int rowFloats() {
            return 2 * (tilesWide + 1);
        }

        /** One channel of the padded buffer: input rows −1 … 2·tilesHigh. */
        int channelSize() {
            return (2 * tilesHigh + 2) * rowFloats();
        }

        int chunksPerImage() {
            return tilesHigh * (tilesWide / V);
        }

        int units() {
            return ceilDiv(images * chunksPerImage(), halves);
        }
    }

    private void runUnits(Geometry geo, MemorySegment in, MemorySegment out, float[] u, MemorySegment bias,
                          boolean accumulate, int from, int to) {
        if (from >= to) {
            return;
        }
        Scratch mine = SCRATCH.get();
        int k = geo.k();
        int mPad = roundUp(geo.m(), mr);
        int halves = geo.halves();
        int blocks = ceilDiv(k, blocking.kc());
        float[] image = mine.image(k * geo.channelSize());
        float[] packed = mine.transformed(POSITIONS * k * nr);
        float[] productArray = mine.products(POSITIONS * mPad * nr);
        float[] tile = mine.tile(mr * nr);
        float[] row = mine.row(4 * V);
        long inImage = (long) k * geo.h() * geo.w();
        long outImage = (long) geo.m() * geo.h() * geo.w();
        int perImage = geo.chunksPerImage();
        int chunksPerRow = geo.tilesWide() / V;
        int imageInBuffer = -1;
        for (int unit = from; unit < to; unit++) {
            // Input transform: the unit's chunks, each into its half of the packed panels.
            for (int half = 0; half < halves; half++) {
                int chunk = unit * halves + half;
                int n = chunk / perImage;
                if (n >= geo.images()) {
                    clearHalf(packed, k, half, nr);
                    continue;
                }
                if (n != imageInBuffer) {
                    padImage(in, n * inImage, geo, image);
                    imageInBuffer = n;
                }
                int within = chunk - n * perImage;
                int ty = within / chunksPerRow;
                int tx0 = (within - ty * chunksPerRow) * V;
                transformInput(image, geo.channelSize(), geo.rowFloats(), 2 * ty * geo.rowFloats() + tx0,
                        geo.tilesWide() + 1, k, packed, half * V, k * nr, nr);
            }
            // The 16 products M_ξ = U_ξ·V_ξ, each an (mPad × NR) block of the products buffer.
            for (int xi = 0; xi < POSITIONS; xi++) {
                for (int b = 0; b < blocks; b++) {
                    int k0 = blockStart(k, blocks, b);
                    int kc = blockStart(k, blocks, b + 1) - k0;
                    for (int q = 0; q < mPad / mr; q++) {
                        int aIndex = xi * mPad * k + mPad * k0 + q * mr * kc;
                        int bIndex = xi * k * nr + k0 * nr;
                        int cIndex = (xi * mPad + q * mr) * nr;
                        if (b == 0) {
                            kernel.multiplyInto(kc, u, aIndex, packed, bIndex, productArray, cIndex);
                        } else {
                            kernel.multiplyAddInto(kc, u, aIndex, packed, bIndex, productArray, cIndex, tile);
                        }
                    }
                }
            }
            // Output transform, chunk by chunk.
            for (int half = 0; half < halves; half++) {
                int chunk = unit * halves + half;
                int n = chunk / perImage;
                if (n >= geo.images()) {
                    continue;
                }
                int within = chunk - n * perImage;
                int ty = within / chunksPerRow;
                int tx0 = (within - ty * chunksPerRow) * V;
                for (int o = 0; o < geo.m(); o++) {
                    transformOutput(productArray, o * nr + half * V, mPad * nr, row);
                    float shift = bias == null ? 0f : bias.getAtIndex(F, o);
                    long plane = n * outImage + (long) o * geo.h() * geo.w();
                    storeTiles(row, out, plane, geo.h(), geo.w(), ty, tx0, shift, accumulate);
                }
            }
        }
    }

    /**
     * Copies image {@code n} (all k channels) into {@code image}: per channel, rows −1 … 2·tilesHigh of the input
     * (zero outside it), each row as its even padded columns then its odd ones, padded column X = x + 1: input
     * column x goes to odd[x/2] when x is even and to even[(x + 1)/2] when x is odd. Sixteen columns at a time are
     * split by two two-vector shuffles.
     */
    private static void padImage(MemorySegment in, long imageStart, Geometry geo, float[] image) {
        int k = geo.k();
        int h = geo.h();
        int w = geo.w();
        int rowFloats = geo.rowFloats();
        int half = rowFloats / 2;
        Arrays.fill(image, 0, k * geo.channelSize(), 0f);
        int pairs = w / (2 * V) * (2 * V);
        for (int c = 0; c < k; c++) {
            for (int iy = 0; iy < h; iy++) {
                long src = imageStart + ((long) c * h + iy) * w;
                int dst = c * geo.channelSize() + (iy + 1) * rowFloats;
                int x = 0;
                for (; x < pairs; x += 2 * V) {
                    FloatVector lo = FloatVector.fromMemorySegment(S, in, (src + x) * Float.BYTES, ORDER);
                    FloatVector hi = FloatVector.fromMemorySegment(S, in, (src + x + V) * Float.BYTES, ORDER);
                    lo.rearrange(EVEN_LANES, hi).intoArray(image, dst + half + x / 2);
                    lo.rearrange(ODD_LANES, hi).intoArray(image, dst + x / 2 + 1);
                }
                for (; x + 1 < w; x += 2) {
                    image[dst + half + x / 2] = in.getAtIndex(F, src + x);
                    image[dst + x / 2 + 1] = in.getAtIndex(F, src + x + 1);
                }
                if (x < w) {
                    image[dst + half + x / 2] = in.getAtIndex(F, src + x);
                }
            }
        }
    }

    /**
     * {@code V = Bᵀ·d·B} for V consecutive tiles of one tile row and every channel, with
     * {@code Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]}. The tile's four padded columns are even[t], odd[t],
     * even[t + 1], odd[t + 1]; its four rows start {@code rowFloats} apart from {@code start}. Position ξ of
     * channel c goes to {@code packed[ξ·tapStride + c·nr + lane0]}.
     */
    private static void transformInput(float[] image, int channelSize, int rowFloats, int start, int oddOffset,
                                       int channels, float[] packed, int lane0, int tapStride, int nr) {
        for (int c = 0; c < channels; c++) {
            int r0 = c * channelSize + start;
            int r1 = r0 + rowFloats;
            int r2 = r1 + rowFloats;
            int r3 = r2 + rowFloats;
            int dst = c * nr + lane0;
            // Rows 1 and 2 take part in three of the four output rows of Bᵀ·d: transform them first.
            FloatVector e = FloatVector.fromArray(S, image, r1);
            FloatVector e1 = FloatVector.fromArray(S, image, r1 + 1);
            FloatVector d = FloatVector.fromArray(S, image, r1 + oddOffset);
            FloatVector d1 = FloatVector.fromArray(S, image, r1 + oddOffset + 1);
            FloatVector a0 = e.sub(e1);
            FloatVector a1 = d.add(e1);
            FloatVector a2 = e1.sub(d);
            FloatVector a3 = d.sub(d1);
            e = FloatVector.fromArray(S, image, r2);
            e1 = FloatVector.fromArray(S, image, r2 + 1);
            d = FloatVector.fromArray(S, image, r2 + oddOffset);
            d1 = FloatVector.fromArray(S, image, r2 + oddOffset + 1);
            FloatVector b0 = e.sub(e1);
            FloatVector b1 = d.add(e1);
            FloatVector b2 = e1.sub(d);
            FloatVector b3 = d.sub(d1);
            a0.add(b0).intoArray(packed, 4 * tapStride + dst);
            a1.add(b1).intoArray(packed, 5 * tapStride + dst);
            a2.add(b2).intoArray(packed, 6 * tapStride + dst);
            a3.add(b3).intoArray(packed, 7 * tapStride + dst);
            b0.sub(a0).intoArray(packed, 8 * tapStride + dst);
            b1.sub(a1).intoArray(packed, 9 * tapStride + dst);
            b2.sub(a2).intoArray(packed, 10 * tapStride + dst);
            b3.sub(a3).intoArray(packed, 11 * tapStride + dst);
            e = FloatVector.fromArray(S, image, r0);
            e1 = FloatVector.fromArray(S, image, r0 + 1);
            d = FloatVector.fromArray(S, image, r0 + oddOffset);
            d1 = FloatVector.fromArray(S, image, r0 + oddOffset + 1);
            e.sub(e1).sub(b0).intoArray(packed, dst);
            d.add(e1).sub(b1).intoArray(packed, tapStride + dst);
            e1.sub(d).sub(b2).intoArray(packed, 2 * tapStride + dst);
            d.sub(d1).sub(b3).intoArray(packed, 3 * tapStride + dst);
            e = FloatVector.fromArray(S, image, r3);
            e1 = FloatVector.fromArray(S, image, r3 + 1);
            d = FloatVector.fromArray(S, image, r3 + oddOffset);
            d1 = FloatVector.fromArray(S, image, r3 + oddOffset + 1);
            a0.sub(e.sub(e1)).intoArray(packed, 12 * tapStride + dst);
            a1.sub(d.add(e1)).intoArray(packed, 13 * tapStride + dst);
            a2.sub(e1.sub(d)).intoArray(packed, 14 * tapStride + dst);
            a3.sub(d.sub(d1)).intoArray(packed, 15 * tapStride + dst);
        }
    }

    /** Zero lanes for a chunk past the batch's last tile (the last panel's second half). */
    private static void clearHalf(float[] packed, int channels, int half, int nr) {
        for (int xi = 0; xi < POSITIONS; xi++) {
            for (int c = 0; c < channels; c++) {
                int at = (xi * channels + c) * nr + half * V;
                Arrays.fill(packed, at, at + V, 0f);
            }
        }
    }

    /**
     * {@code Y = Aᵀ·M·A} for V tiles of one output channel, {@code Aᵀ = [1 1 1 0; 0 1 −1 −1]}: M_ξ of the tiles at
     * {@code products[ξ·tapStride + at]}; writes y00, y01, y10, y11 of each tile as four vectors to {@code row}.
     */
    private static void transformOutput(float[] products, int at, int tapStride, float[] row) {
        FloatVector m0 = FloatVector.fromArray(S, products, at);
        FloatVector m1 = FloatVector.fromArray(S, products, at + tapStride);
        FloatVector m2 = FloatVector.fromArray(S, products, at + 2 * tapStride);
        FloatVector m3 = FloatVector.fromArray(S, products, at + 3 * tapStride);
        // Each row of M combined across its columns by A (M·A), then the rows by Aᵀ: y00 + t0 + s0 etc. below.
        FloatVector y00 = m0.add(m1).add(m2);
        FloatVector y01 = m1.sub(m2).sub(m3);
        m0 = FloatVector.fromArray(S, products, at + 4 * tapStride);
        m1 = FloatVector.fromArray(S, products, at + 5 * tapStride);
        m2 = FloatVector.fromArray(S, products, at + 6 * tapStride);
        m3 = FloatVector.fromArray(S, products, at + 7 * tapStride);
        FloatVector t0 = m0.add(m1).add(m2);
        FloatVector t1 = m1.sub(m2).sub(m3);
        m0 = FloatVector.fromArray(S, products, at + 8 * tapStride);
        m1 = FloatVector.fromArray(S, products, at + 9 * tapStride);
        m2 = FloatVector.fromArray(S, products, at + 10 * tapStride);
        m3 = FloatVector.fromArray(S, products, at + 11 * tapStride);
        FloatVector s0 = m0.add(m1).add(m2);
        FloatVector s1 = m1.sub(m2).sub(m3);
        m0 = FloatVector.fromArray(S, products, at + 12 * tapStride);
        m1 = FloatVector.fromArray(S, products, at + 13 * tapStride);
        m2 = FloatVector.fromArray(S, products, at + 14 * tapStride);
        m3 = FloatVector.fromArray(S, products, at + 15 * tapStride);
        FloatVector u0 = m0.add(m1).add(m2);
        FloatVector u1 = m1.sub(m2).sub(m3);
        y00.add(t0).add(s0).intoArray(row, 0);
        y01.add(t1).add(s1).intoArray(row, V);
        t0.sub(s0).sub(u0).intoArray(row, 2 * V);
        t1.sub(s1).sub(u1).intoArray(row, 3 * V);
    }

    /**
     * Adds (or writes, plus {@code shift}) the V tiles' pixels in {@code row} to their place in the output plane:
     * each output row's left and right pixels interleaved by two two-vector shuffles, the row's last columns
     * under a mask (in this method: a helper taking the vectors and the mask ran boxed, KernelCompilationTest).
     */
    private static void storeTiles(float[] row, MemorySegment out, long plane, int h, int w, int ty, int tx0,
                                   float shift, boolean accumulate) {
        int columns = Math.min(2 * V, w - 2 * tx0);
        for (int dy = 0; dy < 2 && 2 * ty + dy < h; dy++) {
            long at = plane + (long) (2 * ty + dy) * w + 2L * tx0;
            FloatVector left = FloatVector.fromArray(S, row, 2 * dy * V).add(shift);
            FloatVector right = FloatVector.fromArray(S, row, (2 * dy + 1) * V).add(shift);
            FloatVector first = left.rearrange(ZIP_LOW, right);
            FloatVector second = left.rearrange(ZIP_HIGH, right);
            long bytes = at * Float.BYTES;
            if (columns == 2 * V) {
                if (accumulate) {
                    first = first.add(FloatVector.fromMemorySegment(S, out, bytes, ORDER));
                    second = second.add(FloatVector.fromMemorySegment(S, out, bytes + V * Float.BYTES, ORDER));
                }
                first.intoMemorySegment(out, bytes, ORDER);
                second.intoMemorySegment(out, bytes + V * Float.BYTES, ORDER);
                continue;
            }
            // The row's last columns: a whole vector if there are V, then the rest under a mask.
            int rest = columns;
            if (columns >= V) {
                if (accumulate) {
                    first = first.add(FloatVector.fromMemorySegment(S, out, bytes, ORDER));
                }
                first.intoMemorySegment(out, bytes, ORDER);
                first = second;
                bytes += V * Float.BYTES;
                rest -= V;
            }
            if (rest > 0) {
                VectorMask<Float> valid = S.indexInRange(0, rest);
                if (accumulate) {
                    first = first.add(FloatVector.fromMemorySegment(S, out, bytes, ORDER, valid));
                }
                first.intoMemorySegment(out, bytes, ORDER, valid);
            }
        }
    }

    // ================================================================ helpers


    /** Per-thread buffers, grown once. */
    private static final class Scratch {
        private float[] weights = new float[0];
        private float[] image = new float[0];
        private float[] transformed = new float[0];
        private float[] tile = new float[0];
        private float[] row = new float[0];
        private float[] products = new float[0];

        float[] products(int size) {
            if (products.length < size) {
                products = new float[size];
            }
            return products;
        }

        float[] weights(int size) {
            if (weights.length < size) {
                weights = new float[size];
            }
            return weights;
        }

        float[] image(int size) {
            if (image.length < size) {
                image = new float[size];
            }
            return image;
        }

        float[] transformed(int size) {
            if (transformed.length < size) {
                transformed = new float[size];
            }
            return transformed;
        }

        float[] tile(int size) {
            if (tile.length < size) {
                tile = new float[size];
            }
            return tile;
        }

        float[] row(int size) {
            if (row.length < size) {
                row = new float[size];
            }
            return row;
        }
    }
}
