package dev.panamax.engine.cuda;

import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import jcuda.CudaException;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;

/**
 * A caching allocator for device memory. A training step allocates the same activation sizes every step (its
 * arena is closed and reopened), and {@code cuMemAlloc}/{@code cuMemFree} synchronise the device, so released
 * blocks are kept in free lists by size and handed out again.
 *
 * <p>Sizes are rounded up to 1/8 of their highest power of two (at most 12.5% waste), so a size recurs exactly.
 * Releasing may happen on any thread (an arena closing, or a cleaner); it only queues the block. Reuse is safe
 * without waiting for the device: every kernel and copy runs on one stream, so work queued before the release
 * finishes before work queued after the reuse.
 */
final class DeviceMemoryPool {

    private final CUstream stream;
    private final Map<Long, ArrayDeque<CUdeviceptr>> free = new HashMap<>();
    private final ConcurrentLinkedQueue<DeviceBuffer> released = new ConcurrentLinkedQueue<>();

    DeviceMemoryPool(CUstream stream) {
        this.stream = stream;
    }

    static long roundUp(long bytes) {
        long granule = Math.max(256, Long.highestOneBit(Math.max(1, bytes)) / 8);
        return (Math.max(1, bytes) + granule - 1) / granule * granule;
    }

    /** A block of at least {@code bytes}; the caller holds the runtime lock with the context current. */
    DeviceBuffer allocate(long bytes) {
        drainReleased();
        long size = roundUp(bytes);
        ArrayDeque<CUdeviceptr> cached = free.get(size);
        if (cached != null && !cached.isEmpty()) {
            return new DeviceBuffer(cached.pop(), size);
        }
        CUdeviceptr pointer = new CUdeviceptr();
        try {
            cuMemAlloc(pointer, size);
        } catch (CudaException outOfMemory) {
            emptyCache();
            try {
                cuMemAlloc(pointer, size);
            } catch (CudaException again) {
                throw new IllegalStateException("cuda: cannot allocate " + size + " bytes of device memory: "
                        + again.getMessage(), again);
            }
        }
        return new DeviceBuffer(pointer, size);
    }

    /** Returns a block for reuse; callable from any thread. */
    void release(DeviceBuffer buffer) {
        released.add(buffer);
    }

    private void drainReleased() {
        DeviceBuffer b;
        while ((b = released.poll()) != null) {
            free.computeIfAbsent(b.bytes(), k -> new ArrayDeque<>()).push(b.pointer());
        }
    }

    /** Frees every cached block (after the queued work, which may still use them). */
    void emptyCache() {
        drainReleased();
        cuStreamSynchronize(stream);
        for (ArrayDeque<CUdeviceptr> blocks : free.values()) {
            for (CUdeviceptr p : blocks) {
                cuMemFree(p);
            }
        }
        free.clear();
    }
}
