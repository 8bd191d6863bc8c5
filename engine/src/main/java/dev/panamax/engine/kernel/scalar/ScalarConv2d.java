package dev.panamax.engine.kernel.scalar;

import dev.panamax.engine.kernel.ConvShape;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The reference 2-D convolution (NCHW, weight [o, c, kh, kw], square stride and zero padding) as plain loops
 * straight from the definition
 * <pre>
 * y[n, o, oy, ox] = bias[o] + Σ_{c, a, b} w[o, c, a, b] · x[n, c, oy·stride − padding + a, ox·stride − padding + b]
 * </pre>
 * where taps outside the input read zero. Each backward kernel is the same loop nest with the roles swapped, so
 * the three are visibly transposes of each other. Sums are float, in loop order. The oracle for the SIMD and CUDA
 * kernels; it stays obviously correct rather than fast. Callers validate the shape ({@link ConvShape}).
 */
public final class ScalarConv2d {

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    private ScalarConv2d() {
    }

    /** {@code y = conv2d(x, w) + bias}; {@code bias} may be null (no bias). */
    public static void forward(ConvShape s, MemorySegment x, MemorySegment w, MemorySegment bias, MemorySegment y) {
        for (int n = 0; n < s.n(); n++) {
            for (int o = 0; o < s.o(); o++) {
                for (int oy = 0; oy < s.oh(); oy++) {
                    for (int ox = 0; ox < s.ow(); ox++) {
                        float sum = 0f;
                        for (int c = 0; c < s.c(); c++) {
                            for (int a = 0; a < s.kh(); a++) {
                                int iy = oy * s.stride() - s.padding() + a;
                                if (iy < 0 || iy >= s.h()) {
                                    continue;
                                }
                                for (int b = 0; b < s.kw(); b++) {
                                    int ix = ox * s.stride() - s.padding() + b;
                                    if (ix >= 0 && ix < s.w()) {
                                        sum += w.getAtIndex(F, wIndex(s, o, c, a, b)) * x.getAtIndex(F, xIndex(s, n, c, iy, ix));
                                    }
                                }
                            }
                        }
                        if (bias != null) {
                            sum += bias.getAtIndex(F, o);
                        }
                        y.setAtIndex(F, yIndex(s, n, o, oy, ox), sum);
                    }
                }
            }
        }
    }

    /** {@code dx += ∂y/∂x · dy}: every tap of the forward loop sends {@code w·dy} back to the input it read. */
    public static void backwardInput(ConvShape s, MemorySegment dy, MemorySegment w, MemorySegment dx) {
        for (int n = 0; n < s.n(); n++) {
            for (int o = 0; o < s.o(); o++) {
                for (int oy = 0; oy < s.oh(); oy++) {
                    for (int ox = 0; ox < s.ow(); ox++) {
                        float g = dy.getAtIndex(F, yIndex(s, n, o, oy, ox));
                        for (int c = 0; c < s.c(); c++) {
                            for (int a = 0; a < s.kh(); a++) {
                                int iy = oy * s.stride() - s.padding() + a;
                                if (iy < 0 || iy >= s.h()) {
                                    continue;
                                }
                                for (int b = 0; b < s.kw(); b++) {
                                    int ix = ox * s.stride() - s.padding() + b;
                                    if (ix >= 0 && ix < s.w()) {
                                        long at = xIndex(s, n, c, iy, ix);
                                        dx.setAtIndex(F, at, dx.getAtIndex(F, at) + w.getAtIndex(F, wIndex(s, o, c, a, b)) * g);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * {@code dw += Σ_{n, oy, ox} dy · x} over the taps of the forward loop, and {@code dBias[o] += Σ dy[n, o, ·]}
     * when {@code dBias} is not null.
     */
    public static void backwardWeight(ConvShape s, MemorySegment x, MemorySegment dy, MemorySegment dw,
                                      MemorySegment dBias) {
        for (int o = 0; o < s.o(); o++) {
            for (int c = 0; c < s.c(); c++) {
                for (int a = 0; a < s.kh(); a++) {
                    for (int b = 0; b < s.kw(); b++) {
                        float sum = 0f;
                        for (int n = 0; n < s.n(); n++) {
                            for (int oy = 0; oy < s.oh(); oy++) {
                                int iy = oy * s.stride() - s.padding() + a;
                                if (iy < 0 || iy >= s.h()) {
                                    continue;
                                }
                                for (int ox = 0; ox < s.ow(); ox++) {
                                    int ix = ox * s.stride() - s.padding() + b;
                                    if (ix >= 0 && ix < s.w()) {
                                        sum += dy.getAtIndex(F, yIndex(s, n, o, oy, ox)) * x.getAtIndex(F, xIndex(s, n, c, iy, ix));
                                    }
                                }
                            }
                        }
                        long at = wIndex(s, o, c, a, b);
                        dw.setAtIndex(F, at, dw.getAtIndex(F, at) + sum);
                    }
                }
            }
            if (dBias != null) {
                float sum = 0f;
                for (int n = 0; n < s.n(); n++) {
                    for (int p = 0; p < s.pixels(); p++) {
                        sum += dy.getAtIndex(F, yIndex(s, n, o, 0, 0) + p);
                    }
                }
                dBias.setAtIndex(F, o, dBias.getAtIndex(F, o) + sum);
            }
        }
    }

    private static long xIndex(ConvShape s, int n, int c, int iy, int ix) {
        return (((long) n * s.c() + c) * s.h() + iy) * s.w() + ix;
    }

    private static long yIndex(ConvShape s, int n, int o, int oy, int ox) {
        return (((long) n * s.o() + o) * s.oh() + oy) * s.ow() + ox;
    }

    private static long wIndex(ConvShape s, int o, int c, int a, int b) {
        return (((long) o * s.c() + c) * s.kh() + a) * s.kw() + b;
    }
}
