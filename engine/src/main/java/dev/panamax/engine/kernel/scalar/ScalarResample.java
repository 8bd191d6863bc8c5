package dev.panamax.engine.kernel.scalar;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The reference 2× resampling of NCHW images, for the U-Net's resolution changes: nearest-neighbour upsampling and
 * 2×2 average pooling, each with its backward. {@code planes} is batch·channels; {@code h × w} is the small
 * resolution, and the large one is {@code H × W} with {@code h = H/2, w = W/2} (pooling drops an odd last row or
 * column, which then gets no gradient). A 2×2 window is always summed as {@code (x00 + x10) + (x01 + x11)} (row
 * pairs first), the order the SIMD kernel uses, so both give identical bits.
 */
public final class ScalarResample {

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    private ScalarResample() {
    }

    /** {@code out[2y + i, 2x + j] = in[y, x]}; in is [planes, h, w], out is [planes, 2h, 2w]. */
    public static void upsampleNearest2x(MemorySegment in, MemorySegment out, int planes, int h, int w) {
        for (long p = 0; p < planes; p++) {
            for (int y = 0; y < 2 * h; y++) {
                for (int x = 0; x < 2 * w; x++) {
                    out.setAtIndex(F, (p * 2 * h + y) * 2 * w + x, in.getAtIndex(F, (p * h + y / 2) * w + x / 2));
                }
            }
        }
    }

    /** {@code dIn[y, x] += (dOut[2y, 2x] + dOut[2y+1, 2x]) + (dOut[2y, 2x+1] + dOut[2y+1, 2x+1])}. */
    public static void upsampleNearest2xBackward(MemorySegment dOut, MemorySegment dIn, int planes, int h, int w) {
        for (long p = 0; p < planes; p++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    long at = (p * h + y) * w + x;
                    float window = windowSum(dOut, p, 2 * h, 2 * w, y, x);
                    dIn.setAtIndex(F, at, dIn.getAtIndex(F, at) + window);
                }
            }
        }
    }

    /** {@code out[y, x] = 0.25·window(y, x)}; in is [planes, H, W], out is [planes, h, w] = [planes, H/2, W/2]. */
    public static void avgPool2x2(MemorySegment in, MemorySegment out, int planes, int bigH, int bigW) {
        int h = bigH / 2;
        int w = bigW / 2;
        for (long p = 0; p < planes; p++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    out.setAtIndex(F, (p * h + y) * w + x, 0.25f * windowSum(in, p, bigH, bigW, y, x));
                }
            }
        }
    }

    /** {@code dIn[2y + i, 2x + j] += 0.25·dOut[y, x]}; positions outside every window get nothing. */
    public static void avgPool2x2Backward(MemorySegment dOut, MemorySegment dIn, int planes, int bigH, int bigW) {
        int h = bigH / 2;
        int w = bigW / 2;
        for (long p = 0; p < planes; p++) {
            for (int y = 0; y < 2 * h; y++) {
                for (int x = 0; x < 2 * w; x++) {
                    long at = (p * bigH + y) * bigW + x;
                    float g = 0.25f * dOut.getAtIndex(F, (p * h + y / 2) * w + x / 2);
                    dIn.setAtIndex(F, at, dIn.getAtIndex(F, at) + g);
                }
            }
        }
    }

    /** The 2×2 window at small position (y, x) of plane p of a {@code bigH × bigW} image. */
    private static float windowSum(MemorySegment big, long p, int bigH, int bigW, int y, int x) {
        long top = (p * bigH + 2L * y) * bigW + 2L * x;
        long bottom = top + bigW;
        float left = big.getAtIndex(F, top) + big.getAtIndex(F, bottom);
        float right = big.getAtIndex(F, top + 1) + big.getAtIndex(F, bottom + 1);
        return left + right;
    }
}
