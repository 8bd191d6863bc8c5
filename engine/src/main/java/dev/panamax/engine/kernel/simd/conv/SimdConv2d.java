package dev.panamax.engine.kernel.simd.conv;

import dev.panamax.engine.kernel.ConvShape;
import dev.panamax.engine.kernel.simd.gemm.GemmBlocking;
import dev.panamax.engine.kernel.simd.gemm.MicroKernel;
import dev.panamax.engine.kernel.simd.gemm.SimdGemm;
import dev.panamax.engine.parallel.WorkerPool;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * SIMD 2-D convolution (NCHW, weight [o, c, kh, kw]): forward, and backward to the input, the weight and the bias,
 * as implicit GEMMs on the GEMM's own {@link MicroKernel}.
 *
 * <h2>Why implicit GEMM, and not im2col + GEMM</h2>
 * Per image a convolution is the product {@code Y[o, p] = W[o, (c, a, b)] · B[(c, a, b), p]} with B the im2col
 * matrix. Materialising B costs {@code kh·kw} times the input in memory and traffic (9× for 3×3: 2.4 MB per
 * 64×32×32 image, written once and read back from L3 or DRAM), and then the GEMM copies it once more into packed
 * panels. But the micro-kernel never sees B, only packed {@code kc × NR} micro-panels of it, so this class packs
 * those straight from the image ({@link ImageColumns}): per panel row, the NR output pixels of one output row read
 * NR consecutive input floats (two vector loads, masked only across the padding). No buffer is made, each input
 * float is read from cache, and the packed panel stays in L1 for all the micro-kernel calls that use it.
 * 1×1, stride-1 convolutions are the same code with B = the image itself, i.e. a plain GEMM.
 *
 * <h2>The three products</h2>
 * <pre>
 * forward      Y[n][o, p]  = W[o, (c,a,b)]         · B_x[(c,a,b), p]       B_x:  im2col of x        (ImageColumns)
 * input grad   dX[n][c, q] += W'[c, (o,a,b)]       · B_dy[(o,a,b), q]      B_dy: transposed-conv gather of dY,
 *                                                                           one stride phase of q at a time
 * weight grad  dW'[o, (a,b,c)] += Σ_{n,p} dY[n][o, p] · X'[(n,p), (a,b,c)]   X':  channels-last copy (ChannelsLast)
 * </pre>
 * The forward and the input gradient share one driver: A (the weights, rearranged for the input gradient) is
 * packed once per call and shared by all threads; the micro-panels of output pixels (and the output channels,
 * when there are few pixels) are cut into four parts per thread that threads claim as they come free, and each
 * part copies the image it works on into a zero-padded buffer,
 * from which every panel row is a table lookup and plain vector loads. The weight gradient reduces over
 * {@code n·oh·ow}, so its vectors run along the taps instead, over a channels-last copy of the input (see
 * {@link ChannelsLast}), and threads split the columns of dW. The bias gradient is a row sum of dY with vector
 * lanes and a fixed-order lane sum.
 *
 * <p>Other routes, each measured faster on the diffusion U-Net: the forward pass and the input gradient of 3×3,
 * stride-1, padding-1 layers with at least 8 channels to reduce over go to {@link WinogradConv3x3} (2.25× fewer
 * multiply-adds), and their weight gradients to {@link WinogradWeightGradient} when an image has at least 128
 * 2×2 tiles; a 1×1 weight gradient is one GEMM per image; a weight gradient whose columns fit one micro-panel
 * (a first layer of one channel) is im2col + GEMM per image; and images whose last panel would be mostly padding
 * (7×7) run the batch's pixels as one sequence of panels ({@link #batchedRange}).
 *
 * <p>Measured on one AVX2 core (Zen, 16×64×32×32 and 16×128×16×16, 3×3), before the Winograd route: forward and
 * input gradient 31–33 GFLOP/s (Winograd: 50–56 in the direct FLOP count), weight gradient 30–31, where the
 * micro-kernel alone runs at 33–35; packing and copies are the rest
 * (about 10%). A stride-2 input gradient runs at ~19 GFLOP/s; stride-2 forward panels are gathered lane by lane
 * (~22 GFLOP/s).
 *
 * <h2>Determinism</h2>
 * The reduction dimension is cut into blocks that depend only on the shape, never on the thread count, and each
 * element of the result is owned by one thread; so, as for GEMM, the bits do not depend on the number of threads.
 * Backward kernels accumulate ({@code dX += ...}), the convention of every backward operation of the engine.
 *
 * <p>Callers validate the shape first ({@link ConvShape}). Scratch space is per thread and grows once; the
 * phases of a call are separate {@link WorkerPool#run} jobs rather than barriers, so that a call made from inside a
 * pool task (which runs its parts one after another) stays correct.
 */
public final class SimdConv2d {

    /** Parts per thread of the forward and input-gradient products, claimed dynamically. */
    private static final int PARTS_PER_THREAD = 4;
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int V = S.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    /** Below this many multiply-adds a call runs on the calling thread: waking workers would cost more. */
    private static final long PARALLEL_THRESHOLD = 1L << 16;
    /** Output floats one thread keeps in flight across the reduction blocks (L2-sized: 128 KiB). */
    private static final int OUTPUT_CHUNK_FLOATS = 1 << 15;
    /**
     * Floats of channels-last input copied per weight-gradient group (512 KiB, about one U-Net image): the copy is
     * still in L2 when the products read it. Measured: 31.5 GFLOP/s on one core against 30.0 with the whole batch
     * copied at once (16×64×32×32).
     */
    private static final long GROUP_FLOATS = 1L << 17;

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /**
     * Whether 3×3, stride-1, padding-1 layers take {@link WinogradConv3x3} for the forward pass and the input
     * gradient and {@link WinogradWeightGradient} for the weight gradient ({@code -Dpanamax.conv.winograd=false}
     * keeps all three on the implicit GEMM, for comparisons).
     */
    private static final boolean WINOGRAD = !"false".equals(System.getProperty("panamax.conv.winograd"));

    private final GemmBlocking blocking;
    private final MicroKernel kernel;
    private final WinogradConv3x3 winograd;
    private final WinogradWeightGradient winogradWeight;
    /** The per-image products of the 1×1 and few-column weight gradients. */
    private final SimdGemm gemm;
    private final int mr;
    private final int nr;

    public SimdConv2d(GemmBlocking blocking) {
        this.blocking = blocking;
        this.gemm = new SimdGemm(blocking);
        this.winograd = new WinogradConv3x3(blocking);
        this.winogradWeight = new WinogradWeightGradient(blocking);
        this.kernel = blocking.kernel();
        this.mr = kernel.mr();
        this.nr = kernel.nr();
    }

    public SimdConv2d() {
        this(GemmBlocking.DEFAULT);
    }

    // ================================================================ forward and input gradient

    /** Whether {@link #forward} takes {@link WinogradConv3x3} for this shape (its error bound differs). */
    public static boolean forwardUsesWinograd(ConvShape s) {
        return WINOGRAD && WinogradConv3x3.forwardApplies(s);
    }

    /** Whether {@link #backwardInput} takes {@link WinogradConv3x3} for this shape. */
    public static boolean backwardInputUsesWinograd(ConvShape s) {
        return WINOGRAD && WinogradConv3x3.backwardInputApplies(s);
    }

    /** Whether {@link #backwardWeight} takes {@link WinogradWeightGradient} for this shape. */
    public static boolean backwardWeightUsesWinograd(ConvShape s) {
        return WINOGRAD && WinogradWeightGradient.applies(s);
    }

    /** {@code y = conv2d(x, w) + bias} ({@code bias} may be null). */
    public void forward(ConvShape s, MemorySegment x, MemorySegment w, MemorySegment bias, MemorySegment y,
                        WorkerPool pool) {
        if (forwardUsesWinograd(s)) {
            winograd.forward(s, x, w, bias, y, pool);
            return;
        }
        Scratch mine = SCRATCH.get();
        int k = s.k();
        mine.tables(k);
        ImageColumns columns = ImageColumns.forward(s, nr, mine.plane, mine.dy, mine.dx, mine.weightOffset);
        int blocks = blocks(k);
        float[] a = mine.weights(roundUp(s.o(), mr) * k);
        // A[o, r] = w[o·k + r]: the weight tensor is already the matrix.
        packWeights(w, s.o(), k, mine.weightOffset, k, blocks, a);
        implicitGemm(columns, a, s.o(), blocks, bias, false, x, s.inputImage(), y, s.outputImage(), s.n(), pool);
    }

    /**
     * {@code dx += conv2dᵀ(dy, w)}: the gradient of the forward with respect to its input.
     *
     * <p>With stride s, input pixel (iy, ix) receives only the taps {@code a ≡ iy + padding (mod s)} (likewise b),
     * so the s² phases {@code (iy mod s, ix mod s)} are computed apart, each as a stride-1 implicit GEMM over its
     * own taps (the sub-pixel decomposition): no multiply-add is spent on a tap that skips the pixel. A phase's
     * pixels are every s-th of dx, which the micro-kernel cannot store, so it writes them densely to scratch and
     * they are then added into dx.
     */
    public void backwardInput(ConvShape s, MemorySegment dy, MemorySegment w, MemorySegment dx, WorkerPool pool) {
        if (backwardInputUsesWinograd(s)) {
            winograd.backwardInput(s, dy, w, dx, pool);
            return;
        }
        Scratch mine = SCRATCH.get();
        int st = s.stride();
        int taps = s.kh() * s.kw();
        mine.tables(s.o() * taps);
        for (int ry = 0; ry < st; ry++) {
            for (int rx = 0; rx < st; rx++) {
                ImageColumns columns = ImageColumns.backwardInputPhase(s, ry, rx, nr, mine.plane, mine.dy, mine.dx,
                        mine.weightOffset);
                if (columns == null) {
                    continue;
                }
                int k = columns.k;
                int blocks = blocks(k);
                float[] a = mine.weights(roundUp(s.c(), mr) * k);
                // A[c, (o, a, b)] = w[o, c, a, b].
                packWeights(w, s.c(), k, mine.weightOffset, taps, blocks, a);
                if (st == 1) {
                    implicitGemm(columns, a, s.c(), blocks, null, true, dy, s.outputImage(), dx, s.inputImage(),
                            s.n(), pool);
                    continue;
                }
                int phaseImage = s.c() * columns.pixels();
                MemorySegment phase = mine.phase.segment((long) s.n() * phaseImage);
                implicitGemm(columns, a, s.c(), blocks, null, false, dy, s.outputImage(), phase, phaseImage, s.n(),
                        pool);
                int planes = s.n() * s.c();
                int fy = ry;
                int fx = rx;
                if ((long) planes * columns.pixels() < PARALLEL_THRESHOLD || pool.threads() == 1) {
                    addPhase(phase, columns.gridH, columns.gridW, dx, s, fy, fx, 0, planes);
                } else {
                    int parts = pool.threads();
                    pool.run(part -> addPhase(phase, columns.gridH, columns.gridW, dx, s, fy, fx,
                            split(planes, parts, part), split(planes, parts, part + 1)));
                }
            }
        }
    }

    /** {@code dx[plane][ry + s·ty, rx + s·tx] += phase[plane][ty, tx]} for planes {@code [from, to)}. */
    private static void addPhase(MemorySegment phase, int gh, int gw, MemorySegment dx, ConvShape s, int ry, int rx,
                                 int from, int to) {
        int st = s.stride();
        for (int plane = from; plane < to; plane++) {
            long src = (long) plane * gh * gw;
            long dst = (long) plane * s.h() * s.w() + (long) ry * s.w() + rx;
            for (int ty = 0; ty < gh; ty++) {
                long row = dst + (long) ty * st * s.w();
                for (int tx = 0; tx < gw; tx++) {
                    long at = row + (long) tx * st;
                    dx.setAtIndex(F, at, dx.getAtIndex(F, at) + phase.getAtIndex(F, src++));
                }
            }
        }
    }

    /** Reduction blocks of at most KC rows, of near-equal length: a function of k alone. */
    private int blocks(int k) {
        return (k + blocking.kc() - 1) / blocking.kc();
    }

    static int blockStart(int k, int blocks, int b) {
        return (int) ((long) k * b / blocks);
    }

    /**
     * Packs {@code A[m, r] = w[offset[r] + m·strideM]} ({@code m × k}) into micro-panels of mr rows, block by
     * block: block b starts at float {@code mPad·k0(b)}, and within it panel q holds element (q·mr + i, k0 + p)
     * at {@code q·mr·kc + p·mr + i}.
     */
    private void packWeights(MemorySegment w, int m, int k, int[] offset, long strideM, int blocks, float[] dst) {
        int mPad = roundUp(m, mr);
        for (int b = 0; b < blocks; b++) {
            int k0 = blockStart(k, blocks, b);
            int kc = blockStart(k, blocks, b + 1) - k0;
            int base = mPad * k0;
            for (int q = 0; q < mPad / mr; q++) {
                int panel = base + q * mr * kc;
                for (int p = 0; p < kc; p++) {
                    long src = offset[k0 + p];
                    int d = panel + p * mr;
                    for (int i = 0; i < mr; i++) {
                        int row = q * mr + i;
                        dst[d + i] = row < m ? w.getAtIndex(F, src + row * strideM) : 0f;
                    }
                }
            }
        }
    }

    /**
     * {@code out[n][m, p] (=|+=) A[m, ·] · B_n[·, p] (+ bias[m])} for every image n, with B_n packed from
     * {@code src} by {@code columns}. Units of work are (output-channel group, image, NR-pixel panel).
     */
    private void implicitGemm(ImageColumns columns, float[] a, int m, int blocks, MemorySegment bias,
                              boolean accumulate, MemorySegment src, long srcImage, MemorySegment out,
                              long outImage, int images, WorkerPool pool) {
        int pixels = columns.pixels();
        boolean batched = batchColumns(columns, images);
        int panels = batched ? ceilDiv(images * pixels, nr) : ceilDiv(pixels, nr);
        int units = batched ? panels : images * panels;
        int mPanels = (m + mr - 1) / mr;
        long work = (long) images * pixels * m * columns.k;
        int threads = work < PARALLEL_THRESHOLD ? 1 : pool.threads();
        // With few pixel panels, also split the output channels so that every thread has work.
        int groups = threads == 1 || units >= 4 * threads ? 1 : Math.min(mPanels, ceilDiv(4 * threads, units));
        int total = units * groups;
        UnitRange range = batched
                ? (from, to) -> batchedRange(columns, a, m, blocks, bias, accumulate, src, srcImage, out, outImage,
                        images, panels, groups, from, to)
                : (from, to) -> gemmRange(columns, a, m, blocks, bias, accumulate, src, srcImage, out, outImage,
                        panels, units, groups, from, to);
        if (threads == 1) {
            range.run(0, total);
        } else {
            // Several parts per thread, claimed as threads come free: with one part each, a thread that lost its
            // core for a moment held the whole call up (the U-Net step's convolutions gained 1.6x from a second
            // thread). Units are independent, so the split does not change any result.
            int parts = Math.min(total, threads * PARTS_PER_THREAD);
            pool.run(parts, part -> range.run(split(total, parts, part), split(total, parts, part + 1)));
        }
    }

    /** Units {@code [from, to)} of a convolution product. */
    private interface UnitRange {
        void run(int from, int to);
    }

    private void gemmRange(ImageColumns columns, float[] a, int m, int blocks, MemorySegment bias,
                           boolean accumulate, MemorySegment src, long srcImage, MemorySegment out, long outImage,
                           int panels, int units, int groups, int from, int to) {
        if (from >= to) {
            return;
        }
        Scratch mine = SCRATCH.get();
        int k = columns.k;
        int pixels = columns.pixels();
        int mPad = roundUp(m, mr);
        int mPanels = mPad / mr;
        float[] packedB = mine.packedB(ceilDiv(k, blocks) * nr);
        float[] tile = mine.tile(mr * nr);
        int[] laneBase = mine.laneBase(nr);
        float[] image = mine.paddedImage(columns.paddedSize());
        int imageInBuffer = -1;
        int chunk = Math.max(1, OUTPUT_CHUNK_FLOATS / (mPad * nr));
        for (int u = from; u < to; ) {
            int group = u / units;
            int n = (u - group * units) / panels;
            // A chunk of panels of one image: its output stays in L2 while the reduction blocks pass over it.
            int end = Math.min(to, Math.min(group * units + (n + 1) * panels, u + chunk));
            int q0 = split(mPanels, groups, group);
            int q1 = split(mPanels, groups, group + 1);
            if (imageInBuffer != n) {
                columns.pad(src, n * srcImage, image, 0);
                imageInBuffer = n;
            }
            if (bias != null) {
                for (int unit = u; unit < end; unit++) {
                    int p0 = (unit - group * units - n * panels) * nr;
                    fillBias(bias, q0 * mr, Math.min(m, q1 * mr), out, n * outImage, pixels, p0,
                            Math.min(nr, pixels - p0));
                }
            }
            for (int b = 0; b < blocks; b++) {
                int k0 = blockStart(k, blocks, b);
                int kc = blockStart(k, blocks, b + 1) - k0;
                float beta = b == 0 && !accumulate && bias == null ? 0f : 1f;
                for (int unit = u; unit < end; unit++) {
                    int p0 = (unit - group * units - n * panels) * nr;
                    int lanes = Math.min(nr, pixels - p0);
                    columns.pack(image, p0, lanes, k0, kc, packedB, laneBase);
                    for (int q = q0; q < q1; q++) {
                        long c = (n * outImage + (long) q * mr * pixels + p0) * Float.BYTES;
                        kernel.multiply(kc, a, mPad * k0 + q * mr * kc, packedB, 0, 1f, beta, out, c, pixels,
                                Math.min(mr, m - q * mr), lanes, tile);
                    }
                }
            }
            u = end;
        }
    }

    /**
     * Whether the columns of all images run as one sequence of panels ({@link #batchedRange}) instead of each image
     * starting its own: when an image's pixels leave more than an eighth of its last panel's lanes empty (7×7:
     * 49 pixels in 4 panels of 16 is 23% padding), as long as the padded copies of all images fit in
     * {@link #BATCHED_BUFFER_FLOATS}. A function of the shape only.
     */
    private boolean batchColumns(ImageColumns columns, int images) {
        int pixels = columns.pixels();
        int padded = roundUp(pixels, nr);
        return images > 1 && 8 * (padded - pixels) > padded
                && (long) images * columns.paddedSize() <= BATCHED_BUFFER_FLOATS;
    }

    /** The largest buffer of padded images (floats per thread) that batched columns may use: 4 MiB. */
    private static final long BATCHED_BUFFER_FLOATS = 1L << 20;

    /**
     * {@link #gemmRange} over one sequence of columns for the whole batch: column {@code g} is pixel
     * {@code g mod pixels} of image {@code g / pixels}, a panel may hold pixels of two or more images, and the
     * padded copies of the images lie side by side in one buffer (each made once per thread and call). The
     * micro-kernel writes a dense block of scratch (output-channel rows × the chunk's columns), which is then
     * copied into each image's output, plus the bias (or added, for the input gradient).
     */
    private void batchedRange(ImageColumns columns, float[] a, int m, int blocks, MemorySegment bias,
                              boolean accumulate, MemorySegment src, long srcImage, MemorySegment out,
                              long outImage, int images, int panels, int groups, int from, int to) {
        if (from >= to) {
            return;
        }
        Scratch mine = SCRATCH.get();
        int k = columns.k;
        int pixels = columns.pixels();
        long columnsTotal = (long) images * pixels;
        int mPad = roundUp(m, mr);
        int mPanels = mPad / mr;
        float[] packedB = mine.packedB(ceilDiv(k, blocks) * nr);
        float[] tile = mine.tile(mr * nr);
        int[] laneBase = mine.laneBase(nr);
        int slot = columns.paddedSize();
        float[] buffer = mine.paddedImage(images * slot);
        boolean[] padded = mine.padded(images);
        int chunk = Math.max(1, OUTPUT_CHUNK_FLOATS / (mPad * nr));
        MemorySegment block = mine.batchedOut.segment((long) mPad * chunk * nr);
        for (int u = from; u < to; ) {
            int group = u / panels;
            int firstPanel = u - group * panels;
            int end = Math.min(to, Math.min((group + 1) * panels, u + chunk));
            int count = end - u;
            int ldo = count * nr;
            int q0 = split(mPanels, groups, group);
            int q1 = split(mPanels, groups, group + 1);
            int g0 = firstPanel * nr;
            int g1 = (int) Math.min((long) (firstPanel + count) * nr, columnsTotal);
            for (int n = g0 / pixels; n <= (g1 - 1) / pixels; n++) {
                if (!padded[n]) {
                    columns.pad(src, n * srcImage, buffer, n * slot);
                    padded[n] = true;
                }
            }
            for (int b = 0; b < blocks; b++) {
                int k0 = blockStart(k, blocks, b);
                int kc = blockStart(k, blocks, b + 1) - k0;
                float beta = b == 0 ? 0f : 1f;
                for (int panel = 0; panel < count; panel++) {
                    int g = g0 + panel * nr;
                    int lanes = Math.min(nr, g1 - g);
                    for (int j = 0; j < lanes; ) {
                        int n = (g + j) / pixels;
                        int p = (g + j) - n * pixels;
                        int run = Math.min(lanes - j, pixels - p);
                        columns.laneBases(n * slot, p, run, laneBase, j);
                        j += run;
                    }
                    columns.packLanes(buffer, lanes, k0, kc, packedB, laneBase);
                    for (int q = q0; q < q1; q++) {
                        long c = ((long) (q - q0) * mr * ldo + panel * nr) * Float.BYTES;
                        kernel.multiply(kc, a, mPad * k0 + q * mr * kc, packedB, 0, 1f, beta, block, c, ldo, mr,
                                nr, tile);
                    }
                }
            }
            // Scratch row (row − q0·mr), column g − g0 → image g / pixels, pixel g mod pixels.
            for (int row = q0 * mr; row < Math.min(m, q1 * mr); row++) {
                float add = bias == null ? 0f : bias.getAtIndex(F, row);
                int base = (row - q0 * mr) * ldo;
                for (int g = g0; g < g1; ) {
                    int n = g / pixels;
                    int p = g - n * pixels;
                    int run = Math.min(g1 - g, pixels - p);
                    long at = (n * outImage + (long) row * pixels + p) * Float.BYTES;
                    storeRun(block, base + g - g0, run, add, accumulate, out, at);
                    g += run;
                }
            }
            u = end;
        }
    }

    /** {@code out[at..] = src[from, from + length) + add}, or {@code +=} the run when accumulating. */
    private static void storeRun(MemorySegment src, int from, int length, float add, boolean accumulate,
                                 MemorySegment out, long at) {
        FloatVector addend = FloatVector.broadcast(S, add);
        long srcAt = (long) from * Float.BYTES;
        int j = 0;
        for (; j + V <= length; j += V) {
            long byteAt = at + (long) j * Float.BYTES;
            FloatVector v = FloatVector.fromMemorySegment(S, src, srcAt + (long) j * Float.BYTES, ORDER);
            v = accumulate ? v.add(FloatVector.fromMemorySegment(S, out, byteAt, ORDER)) : v.add(addend);
            v.intoMemorySegment(out, byteAt, ORDER);
        }
        for (; j < length; j++) {
            long byteAt = at + (long) j * Float.BYTES;
            float v = src.getAtIndex(F, from + j);
            out.set(F, byteAt, accumulate ? v + out.get(F, byteAt) : v + add);
        }
    }

    /** {@code out[image][row, p0 + j] = bias[row]} for rows {@code [row0, row1)}, {@code j < lanes}. */
    private static void fillBias(MemorySegment bias, int row0, int row1, MemorySegment out, long image, int pixels,
                                 int p0, int lanes) {
        for (int row = row0; row < row1; row++) {
            FloatVector value = FloatVector.broadcast(S, bias.getAtIndex(F, row));
            long at = (image + (long) row * pixels + p0) * Float.BYTES;
            for (int j = 0; j < lanes; j += V) {
                long byteAt = at + (long) j * Float.BYTES;
                if (j + V <= lanes) {
                    value.intoMemorySegment(out, byteAt, ORDER);
                } else {
                    value.intoMemorySegment(out, byteAt, ORDER, S.indexInRange(j, lanes));
                }
            }
        }
    }

    // ================================================================ weight and bias gradient

    /**
     * {@code dw += ∂/∂w} and, when {@code dBias} is not null, {@code dBias += Σ_{n, p} dy[n, ·, p]}.
     *
     * <p>The columns of the product are ordered {@code j = (channel block, tap, channel in block)} with blocks of
     * NR channels, so a column panel is one tap of one channel block. The batch is cut into image groups of
     * near-equal size (a function of the shape: at most {@link #GROUP_FLOATS} floats of channels-last input each,
     * unless one image is larger), and every group sums its own partial dw; the units of work are (image group,
     * column panel, output-channel group), image group first, and threads take contiguous ranges of them. A thread copies only the channel blocks of the
     * images its units use into its own channels-last buffer, so two threads never transpose the same images
     * (except at the one group their ranges share), even when a layer has a single channel block. The whole
     * product is one pool job with no barrier (on a busy machine every hand-off between threads can wait for a
     * time slice); the calling thread then adds the groups' partial sums into dw in group order, so the result
     * does not depend on the thread count.
     */
    public void backwardWeight(ConvShape s, MemorySegment x, MemorySegment dy, MemorySegment dw,
                               MemorySegment dBias, WorkerPool pool) {
        if (s.isPointwise()) {
            pointwiseWeight(s, x, dy, dw, dBias, pool);
            return;
        }
        if (s.k() <= nr) {
            fewColumnsWeight(s, x, dy, dw, dBias, pool);
            return;
        }
        if (backwardWeightUsesWinograd(s)) {
            winogradWeight.backwardWeight(s, x, dy, dw, pool);
            if (dBias != null) {
                int threads = (long) s.n() * s.o() * s.pixels() < PARALLEL_THRESHOLD ? 1 : pool.threads();
                pool.run(threads, part -> biasRange(s, dy, dBias, split(s.o(), threads, part),
                        split(s.o(), threads, part + 1)));
            }
            return;
        }
        Scratch mine = SCRATCH.get();
        int taps = s.kh() * s.kw();
        int channelBlocks = ceilDiv(ChannelsLast.paddedChannels(s.c()), nr);
        int cols = channelBlocks * taps * nr;
        long fullImage = (long) (s.h() + 2 * s.padding()) * (s.w() + 2 * s.padding())
                * ChannelsLast.paddedChannels(s.c());
        // Image groups of near-equal size (so that units, which threads split by count, carry near-equal work).
        int imageGroups = ceilDiv(s.n(), (int) Math.max(1, Math.min(s.n(), GROUP_FLOATS / fullImage)));
        int imagesPerGroup = ceilDiv(s.n(), imageGroups);
        long groupSums = (long) s.o() * cols;
        MemorySegment sums = mine.weightSums.segment(imageGroups * groupSums);
        int jPanels = channelBlocks * taps;
        int mPanels = ceilDiv(s.o(), mr);
        long work = (long) s.n() * s.pixels() * s.o() * s.k();
        int threads = work < PARALLEL_THRESHOLD ? 1 : pool.threads();
        int groups = weightGroups(imageGroups * jPanels, mPanels, threads);
        WeightSplit split = new WeightSplit(imageGroups, imagesPerGroup, jPanels * groups, groups, cols, groupSums);
        int units = imageGroups * split.unitsPerImageGroup();
        if (threads == 1) {
            weightPart(s, x, dy, dBias, sums, split, 0, units, 0, s.o());
        } else {
            pool.run(part -> weightPart(s, x, dy, dBias, sums, split, split(units, threads, part),
                    split(units, threads, part + 1), split(s.o(), threads, part), split(s.o(), threads, part + 1)));
        }
        // dw[o, c, t] += Σ_g sums[g][o, (c / NR, t, c mod NR)], groups in order.
        for (int o = 0; o < s.o(); o++) {
            for (int c = 0; c < s.c(); c++) {
                for (int t = 0; t < taps; t++) {
                    int column = ((c / nr) * taps + t) * nr + c % nr;
                    float g = 0f;
                    for (int group = 0; group < imageGroups; group++) {
                        g += sums.getAtIndex(F, group * groupSums + (long) o * cols + column);
                    }
                    long at = ((long) o * s.c() + c) * taps + t;
                    dw.setAtIndex(F, at, dw.getAtIndex(F, at) + g);
                }
            }
        }
    }

    /**
     * The weight gradient of a 1×1 convolution is a plain product per image, {@code dw[o, c] += dY[n]·X[n]ᵀ}
     * ({@code o × P} by {@code P × c}), added image by image in order: the GEMM reads both operands where they
     * are, where the general path transposes the input to channels-last first (measured 1.7× faster for 48 → 16
     * channels at 28×28 and 64 → 32 at 14×14, batch 32, one core).
     */
    private void pointwiseWeight(ConvShape s, MemorySegment x, MemorySegment dy, MemorySegment dw,
                                 MemorySegment dBias, WorkerPool pool) {
        int pixels = s.pixels();
        long work = (long) s.n() * pixels * s.o() * s.c();
        int threads = work < PARALLEL_THRESHOLD ? 1 : Math.min(pool.threads(), s.c());
        if (threads == 1) {
            pointwiseWeightColumns(s, x, dy, dw, dBias, 0, s.c(), 0, s.o());
        } else {
            // Threads take column ranges of dw (input channels) and run their products alone: one hand-off per
            // call instead of two per image. A column's sums do not depend on which columns share its product.
            pool.run(threads, part -> pointwiseWeightColumns(s, x, dy, dw, dBias, split(s.c(), threads, part),
                    split(s.c(), threads, part + 1), split(s.o(), threads, part), split(s.o(), threads, part + 1)));
        }
    }

    /** Columns {@code [c0, c1)} of a 1×1 weight gradient, image by image, and bias sums {@code [o0, o1)}. */
    private void pointwiseWeightColumns(ConvShape s, MemorySegment x, MemorySegment dy, MemorySegment dw,
                                        MemorySegment dBias, int c0, int c1, int o0, int o1) {
        int pixels = s.pixels();
        if (c1 > c0) {
            for (int n = 0; n < s.n(); n++) {
                gemm.gemm(false, true, s.o(), c1 - c0, pixels, 1f, dy, (long) n * s.o() * pixels, pixels, x,
                        ((long) n * s.c() + c0) * pixels, pixels, 1f, dw, c0, s.c(), ALONE);
            }
        }
        if (dBias != null) {
            biasRange(s, dy, dBias, o0, o1);
        }
    }

    /**
     * The weight gradient when all of dw's columns {@code (c, a, b)} fit in one micro-panel (a network's first
     * layer: one input channel, 9 taps): per image, the im2col matrix ({@code pixels × c·kh·kw}, a few KiB) and
     * one product {@code dw += dY[n]·cols}. The general path pads every channel block to NR channels, which for a
     * single channel is 16 times the work (6 ms instead of ~1 for 1 → 16 channels, 3×3, 32 × 28×28, one core).
     * Threads take ranges of output channels (dw's rows), each building the columns itself.
     */
    private void fewColumnsWeight(ConvShape s, MemorySegment x, MemorySegment dy, MemorySegment dw,
                                  MemorySegment dBias, WorkerPool pool) {
        long work = (long) s.n() * s.pixels() * s.o() * s.k();
        int threads = work < PARALLEL_THRESHOLD ? 1 : Math.min(pool.threads(), ceilDiv(s.o(), mr));
        if (threads == 1) {
            fewColumnsWeightRows(s, x, dy, dw, dBias, 0, s.o());
        } else {
            pool.run(threads, part -> fewColumnsWeightRows(s, x, dy, dw, dBias, split(s.o(), threads, part),
                    split(s.o(), threads, part + 1)));
        }
    }

    private void fewColumnsWeightRows(ConvShape s, MemorySegment x, MemorySegment dy, MemorySegment dw,
                                      MemorySegment dBias, int o0, int o1) {
        if (o1 <= o0) {
            return;
        }
        int k = s.k();
        int pixels = s.pixels();
        Scratch mine = SCRATCH.get();
        MemorySegment cols = mine.columns.segment((long) pixels * k);
        for (int n = 0; n < s.n(); n++) {
            im2colRows(s, x, n, cols);
            gemm.gemm(false, false, o1 - o0, k, pixels, 1f, dy, ((long) n * s.o() + o0) * pixels, pixels, cols, 0, k,
                    1f, dw, (long) o0 * k, k, ALONE);
        }
        if (dBias != null) {
            biasRange(s, dy, dBias, o0, o1);
        }
    }

    /**
     * {@code cols[p, (c, a, b)] = x[n, c, oy·stride + a − padding, ox·stride + b − padding]}, zero outside: column
     * by column, so that each inner loop reads one input row in order.
     */
    private static void im2colRows(ConvShape s, MemorySegment x, int n, MemorySegment cols) {
        int k = s.k();
        int r = 0;
        for (int c = 0; c < s.c(); c++) {
            long plane = ((long) n * s.c() + c) * s.h() * s.w();
            for (int a = 0; a < s.kh(); a++) {
                for (int b = 0; b < s.kw(); b++, r++) {
                    for (int oy = 0; oy < s.oh(); oy++) {
                        int iy = oy * s.stride() + a - s.padding();
                        int at = oy * s.ow() * k + r;
                        if (iy < 0 || iy >= s.h()) {
                            for (int ox = 0; ox < s.ow(); ox++, at += k) {
                                cols.setAtIndex(F, at, 0f);
                            }
                            continue;
                        }
                        long row = plane + (long) iy * s.w();
                        for (int ox = 0; ox < s.ow(); ox++, at += k) {
                            int ix = ox * s.stride() + b - s.padding();
                            cols.setAtIndex(F, at, ix >= 0 && ix < s.w() ? x.getAtIndex(F, row + ix) : 0f);
                        }
                    }
                }
            }
        }
    }

    /** A pool of one: products run on the calling thread, inside a part of an outer job. */
    private static final WorkerPool ALONE = new WorkerPool(1);

    /**
     * How the weight gradient's units are numbered: {@code unitsPerImageGroup} units per image group (group g of
     * G holds images {@code [n·g/G, n·(g+1)/G)}, at most {@code imagesPerGroup}), each a column panel cut into
     * {@code groups} output-channel groups; group g's partial sums (o × cols floats) start at float
     * {@code g·groupSums}.
     */
    private record WeightSplit(int imageGroups, int imagesPerGroup, int unitsPerImageGroup, int groups, int cols,
                               long groupSums) {

        int firstImage(int n, int group) {
            return (int) ((long) n * group / imageGroups);
        }
    }

    /**
     * How many output-channel groups each column panel is cut into, so that the units (panel, group) split evenly
     * over the threads: 9 panels (16 channels, 3×3) on 2 threads would be 5 against 4, so they become 18 units of
     * half the rows each. Groups cost little (a panel cut between two threads is packed by both), and every
     * unit sums its whole reduction in the same order, so the result does not depend on the split.
     */
    private static int weightGroups(int jPanels, int mPanels, int threads) {
        if (threads == 1) {
            return 1;
        }
        for (int g = 1; g <= mPanels; g++) {
            if (jPanels * g >= 2 * threads && (jPanels * g) % threads == 0) {
                return g;
            }
        }
        return jPanels >= 2 * threads ? 1 : Math.min(mPanels, ceilDiv(2 * threads, jPanels));
    }

    /**
     * One thread's share: units {@code [from, to)} of (image group, column panel, output-channel group), in that
     * order, and the bias sums of output channels {@code [o0, o1)}.
     */
    private void weightPart(ConvShape s, MemorySegment x, MemorySegment dy, MemorySegment dBias, MemorySegment sums,
                            WeightSplit split, int from, int to, int o0, int o1) {
        if (dBias != null) {
            biasRange(s, dy, dBias, o0, o1);
        }
        if (from >= to) {
            return;
        }
        Scratch mine = SCRATCH.get();
        int taps = s.kh() * s.kw();
        int hp = s.h() + 2 * s.padding();
        int wp = s.w() + 2 * s.padding();
        int groups = split.groups();
        int perGroup = split.unitsPerImageGroup();
        int cols = split.cols();
        int mPanels = ceilDiv(s.o(), mr);
        int kcMax = blocking.kc();
        float[] xt = mine.channelsLast(split.imagesPerGroup() * hp * wp * roundUp(s.c(), nr));
        float[] a = mine.outputGradient(mPanels * mr * kcMax);
        float[] packedB = mine.packedB(kcMax * nr);
        int[] pixel = mine.pixelOffsets(kcMax);
        int[] taps8 = mine.laneBase(nr);
        float[] tile = mine.tile(mr * nr);
        int pixels = s.pixels();
        for (int u = from; u < to; ) {
            int imageGroup = u / perGroup;
            int first = u - imageGroup * perGroup;
            int last = Math.min(to, (imageGroup + 1) * perGroup) - imageGroup * perGroup;   // exclusive
            // The channel blocks these units use: [c0, c0 + width) in the buffer.
            int firstBlock = first / groups / taps;
            int lastBlock = (last - 1) / groups / taps;
            int c0 = firstBlock * nr;
            int c1 = Math.min(s.c(), (lastBlock + 1) * nr);
            int width = (lastBlock - firstBlock + 1) * nr;
            int imageT = hp * wp * width;
            int n0 = split.firstImage(s.n(), imageGroup);
            int images = split.firstImage(s.n(), imageGroup + 1) - n0;
            long sumsBase = imageGroup * split.groupSums();
            ChannelsLast.transpose(x, n0, images, s.c(), s.h(), s.w(), s.padding(), c0, c1, width, xt);
            // Reduction blocks depend on the shape only (never on the split).
            int length = images * pixels;
            int blocks = ceilDiv(length, kcMax);
            for (int b = 0; b < blocks; b++) {
                int l0 = blockStart(length, blocks, b);
                int kc = blockStart(length, blocks, b + 1) - l0;
                for (int i = 0; i < kc; i++) {
                    int l = l0 + i;
                    int img = l / pixels;
                    int p = l % pixels;
                    pixel[i] = img * imageT + ((p / s.ow()) * s.stride() * wp + (p % s.ow()) * s.stride()) * width;
                }
                ChannelsLast.packOutputGradient(dy, n0, s.o(), pixels, l0, kc, mr, a);
                float beta = b == 0 ? 0f : 1f;
                int packed = -1;
                for (int unit = first; unit < last; unit++) {
                    int jp = unit / groups;
                    int group = unit % groups;
                    if (jp != packed) {
                        // Panel jp: tap t of channel block cb, i.e. NR channels at pixel offset (a·wp + b).
                        int cb = jp / taps;
                        int t = jp % taps;
                        int at = ((t / s.kw()) * wp + t % s.kw()) * width + (cb - firstBlock) * nr;
                        for (int v = 0; v < nr; v += V) {
                            taps8[v / V] = at + v;
                        }
                        ChannelsLast.packB(xt, pixel, kc, taps8, nr, packedB);
                        packed = jp;
                    }
                    for (int q = split(mPanels, groups, group); q < split(mPanels, groups, group + 1); q++) {
                        long c = (sumsBase + (long) q * mr * cols + jp * nr) * Float.BYTES;
                        kernel.multiply(kc, a, q * mr * kc, packedB, 0, 1f, beta, sums, c, cols,
                                Math.min(mr, s.o() - q * mr), nr, tile);
                    }
                }
            }
            u = imageGroup * perGroup + last;
        }
    }

    /** {@code dBias[o] += Σ_{n, p} dy[n, o, p]} for o in {@code [o0, o1)}. */
    private static void biasRange(ConvShape s, MemorySegment dy, MemorySegment dBias, int o0, int o1) {
        for (int o = o0; o < o1; o++) {
            float total = 0f;
            for (int n = 0; n < s.n(); n++) {
                total += rowSum(dy, ((long) n * s.o() + o) * s.pixels(), s.pixels());
            }
            dBias.setAtIndex(F, o, dBias.getAtIndex(F, o) + total);
        }
    }

    /** Σ of {@code len} floats from float {@code start}: lane-wise vector sums, then the lanes in fixed order. */
    private static float rowSum(MemorySegment src, long start, int len) {
        FloatVector acc = FloatVector.zero(S);
        long at = start * Float.BYTES;
        int j = 0;
        for (; j + V <= len; j += V) {
            acc = acc.add(FloatVector.fromMemorySegment(S, src, at + (long) j * Float.BYTES, ORDER));
        }
        if (j < len) {
            VectorMask<Float> tail = S.indexInRange(j, len);
            acc = acc.add(FloatVector.fromMemorySegment(S, src, at + (long) j * Float.BYTES, ORDER, tail));
        }
        float sum = 0f;
        for (int lane = 0; lane < V; lane++) {
            sum += acc.lane(lane);
        }
        return sum;
    }

    // ================================================================ helpers

    /** Start of part {@code part} when {@code total} units are split into {@code parts} near-equal ranges. */
    static int split(int total, int parts, int part) {
        return (int) ((long) total * part / parts);
    }

    static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    static int roundUp(int a, int b) {
        return ceilDiv(a, b) * b;
    }

    @Override
    public String toString() {
        return "SimdConv2d[" + blocking + "]";
    }

    /**
     * Per-thread off-heap scratch that grows once, for products the micro-kernel or the GEMM store into. Off-heap,
     * not a segment over a float array: a heap segment reaching the GEMM's shared code (tile stores, packing,
     * GEMV) makes those accesses bimorphic for the rest of the JVM's life, and after convolutions had run, a
     * 768×512×768 GEMM on tensors took 1.7× as long and a 1×768×2304 GEMV twice as long (session 10).
     */
    static final class NativeFloats {
        private MemorySegment segment = MemorySegment.NULL;

        /** At least {@code size} floats, 64-byte aligned; contents unspecified. */
        MemorySegment segment(long size) {
            if (segment.byteSize() < size * Float.BYTES) {
                // An automatic arena: the old buffer is freed by the garbage collector once unreachable.
                segment = Arena.ofAuto().allocate(size * Float.BYTES, 64);
            }
            return segment;
        }
    }

    /** Per-thread buffers: allocated on first use, grown when a larger problem arrives, then reused. */
    private static final class Scratch {
        int[] plane = new int[0];
        int[] dy = new int[0];
        int[] dx = new int[0];
        int[] weightOffset = new int[0];
        /** {@link #batchedRange}'s output block, stored into by the micro-kernel. */
        final NativeFloats batchedOut = new NativeFloats();
        /** The im2col matrix of {@link #fewColumnsWeight}, read by the GEMM. */
        final NativeFloats columns = new NativeFloats();
        /** One phase of a strided input gradient, stored into by the micro-kernel. */
        final NativeFloats phase = new NativeFloats();
        /** The weight gradient's per-group partial sums, stored into by the micro-kernel. */
        final NativeFloats weightSums = new NativeFloats();
        private boolean[] padded = new boolean[0];
        private float[] weights = new float[0];
        private float[] packedB = new float[0];
        private float[] tile = new float[0];
        private float[] outputGradient = new float[0];
        private int[] pixelOffsets = new int[0];
        private int[] laneBase = new int[0];
        private float[] paddedImage = new float[0];
        private float[] channelsLast = new float[0];

        void tables(int k) {
            if (plane.length < k) {
                plane = new int[k];
                dy = new int[k];
                dx = new int[k];
                weightOffset = new int[k];
            }
        }

        /** Which images of the batch this thread has padded in this call: all false on return. */
        boolean[] padded(int images) {
            if (padded.length < images) {
                padded = new boolean[images];
            } else {
                java.util.Arrays.fill(padded, 0, images, false);
            }
            return padded;
        }

        float[] weights(int size) {
            if (weights.length < size) {
                weights = new float[size];
            }
            return weights;
        }

        float[] packedB(int size) {
            if (packedB.length < size) {
                packedB = new float[size];
            }
            return packedB;
        }

        float[] tile(int size) {
            if (tile.length < size) {
                tile = new float[size];
            }
            return tile;
        }

        float[] outputGradient(int size) {
            if (outputGradient.length < size) {
                outputGradient = new float[size];
            }
            return outputGradient;
        }

        int[] pixelOffsets(int size) {
            if (pixelOffsets.length < size) {
                pixelOffsets = new int[size];
            }
            return pixelOffsets;
        }

        int[] laneBase(int size) {
            if (laneBase.length < size) {
                laneBase = new int[size];
            }
            return laneBase;
        }

        float[] paddedImage(int size) {
            if (paddedImage.length < size) {
                paddedImage = new float[size];
            }
            return paddedImage;
        }

        float[] channelsLast(int size) {
            if (channelsLast.length < size) {
                channelsLast = new float[size];
            }
            return channelsLast;
        }
    }
}
