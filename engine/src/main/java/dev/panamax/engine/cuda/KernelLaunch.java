package dev.panamax.engine.cuda;

import static jcuda.driver.JCudaDriver.cuLaunchKernel;

import java.util.ArrayList;
import java.util.List;
import jcuda.Pointer;

/**
 * One kernel launch: grid, block, dynamic shared memory and the arguments in the order of the kernel's C
 * signature ({@code int} → {@link #i32}, {@code long} → {@link #i64}, {@code float} → {@link #f32}, pointers →
 * {@link #ptr}). Queued on the runtime's stream; it returns before the kernel runs.
 */
final class KernelLaunch {

    /** Threads per block of the one-dimensional kernels (the .cu files assume a multiple of 32). */
    static final int BLOCK = 256;

    private final CudaRuntime runtime;
    private final CudaKernel kernel;
    private final List<Pointer> args = new ArrayList<>(16);
    private int gridX = 1;
    private int gridY = 1;
    private int gridZ = 1;
    private int blockX = BLOCK;
    private int blockY = 1;
    private int sharedBytes;

    KernelLaunch(CudaRuntime runtime, CudaKernel kernel) {
        this.runtime = runtime;
        this.kernel = kernel;
    }

    /** A grid-stride elementwise launch over n items: enough blocks to fill the device, at most one per item. */
    KernelLaunch elements(long n) {
        long blocks = (n + BLOCK - 1) / BLOCK;
        gridX = (int) Math.max(1, Math.min(blocks, 32L * runtime.multiprocessors()));
        return this;
    }

    KernelLaunch grid(long x, long y, long z) {
        if (x < 1 || y < 1 || z < 1 || x > Integer.MAX_VALUE || y > 65535 || z > 65535) {
            throw new IllegalArgumentException("cuda " + kernel.entry + ": grid " + x + "×" + y + "×" + z
                    + " is outside the device limits (x < 2^31, y and z ≤ 65535)");
        }
        gridX = (int) x;
        gridY = (int) y;
        gridZ = (int) z;
        return this;
    }

    KernelLaunch block(int x, int y) {
        blockX = x;
        blockY = y;
        return this;
    }

    KernelLaunch sharedBytes(int bytes) {
        sharedBytes = bytes;
        return this;
    }

    KernelLaunch ptr(Pointer devicePointer) {
        args.add(devicePointer == null ? Pointer.to(new long[] {0}) : Pointer.to(devicePointer));
        return this;
    }

    KernelLaunch i32(int value) {
        args.add(Pointer.to(new int[] {value}));
        return this;
    }

    KernelLaunch i64(long value) {
        args.add(Pointer.to(new long[] {value}));
        return this;
    }

    KernelLaunch f32(float value) {
        args.add(Pointer.to(new float[] {value}));
        return this;
    }

    /** A struct of ints passed by value (e.g. the convolution's ConvDims). */
    KernelLaunch ints(int... values) {
        args.add(Pointer.to(values));
        return this;
    }

    void launch() {
        synchronized (runtime) {
            runtime.makeCurrent();
            cuLaunchKernel(runtime.function(kernel, sharedBytes), gridX, gridY, gridZ, blockX, blockY, 1,
                    sharedBytes, runtime.stream(), Pointer.to(args.toArray(new Pointer[0])), null);
        }
    }
}
