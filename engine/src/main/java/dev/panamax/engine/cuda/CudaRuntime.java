package dev.panamax.engine.cuda;

import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuDeviceTotalMem;
import static jcuda.driver.JCudaDriver.cuDriverGetVersion;
import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventElapsedTime;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;
import static jcuda.driver.JCudaDriver.cuFuncSetAttribute;
import static jcuda.driver.JCudaDriver.cuInit;
import static jcuda.driver.JCudaDriver.cuMemAllocHost;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemsetD32Async;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import dev.panamax.engine.TensorMemory;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUfunction;
import jcuda.driver.CUfunction_attribute;
import jcuda.driver.CUmodule;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

/**
 * The process-wide CUDA state: device 0, its primary context, one stream every kernel and copy is queued on (so
 * they run in program order without further synchronisation), the loaded PTX modules, the device memory pool,
 * and the device copies of tensor memory, found by host address.
 *
 * <p>All methods run under this object's lock, and make the context current on the calling thread first: the
 * backend may be used from any thread, and host reads of device data may come from worker threads.
 */
final class CudaRuntime {

    /** Host↔device copies go in pieces of at most this many bytes (a ByteBuffer view holds at most 2 GiB). */
    private static final long COPY_CHUNK = 1L << 30;

    private final CUcontext context = new CUcontext();
    private final CUstream stream = new CUstream();
    private final Map<CudaKernel, CUfunction> functions = new EnumMap<>(CudaKernel.class);
    private final String description;
    private final int multiprocessors;
    private final int maxSharedBytesPerBlock;
    private final DeviceMemoryPool pool;
    /** Device copies by the host address of their allocation. */
    private final ConcurrentSkipListMap<Long, DeviceMirror> mirrors = new ConcurrentSkipListMap<>();
    private final ThreadLocal<Boolean> current = ThreadLocal.withInitial(() -> false);

    /** Pinned host memory for the small uploads (ids, targets) and downloads (partial sums) of every step. */
    private final Pointer pinned = new Pointer();
    private ByteBuffer pinnedBuffer;
    private long pinnedBytes;
    /** Recorded after each upload from {@link #pinned}: it may be refilled only when that copy is done. */
    private final CUevent pinnedFree = new CUevent();
    private final Map<String, DeviceBuffer> scratch = new HashMap<>();

    private CudaRuntime() {
        JCudaDriver.setExceptionsEnabled(true);
        cuInit(0);
        CUdevice device = new CUdevice();
        cuDeviceGet(device, 0);
        int major = attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
        int minor = attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
        byte[] name = new byte[256];
        cuDeviceGetName(name, name.length, device);
        String deviceName = new String(name, StandardCharsets.US_ASCII).trim().replace("\0", "");
        if (major < 8) {
            throw new IllegalStateException(deviceName + " has compute capability " + major + "." + minor
                    + "; the PTX targets compute_80 (Ampere) or newer");
        }
        multiprocessors = attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
        maxSharedBytesPerBlock = attribute(device,
                CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN);
        long[] total = new long[1];
        cuDeviceTotalMem(total, device);
        int[] driver = new int[1];
        cuDriverGetVersion(driver);
        cuDevicePrimaryCtxRetain(context, device);
        makeCurrent();
        cuStreamCreate(stream, 0);
        cuEventCreate(pinnedFree, CUevent_flags.CU_EVENT_DISABLE_TIMING);
        cuEventRecord(pinnedFree, stream);
        Map<String, CUmodule> modules = new HashMap<>();
        for (String module : CudaKernel.MODULES) {
            CUmodule loaded = new CUmodule();
            cuModuleLoadData(loaded, PtxModules.image(module));
            modules.put(module, loaded);
        }
        for (CudaKernel kernel : CudaKernel.values()) {
            CUfunction function = new CUfunction();
            cuModuleGetFunction(function, modules.get(kernel.module), kernel.entry);
            functions.put(kernel, function);
        }
        pool = new DeviceMemoryPool(stream);
        TensorMemory.deviceStarted();
        description = String.format("%s (compute %d.%d, %d SMs, %.0f GiB), driver %d.%d", deviceName, major, minor,
                multiprocessors, total[0] / (double) (1L << 30), driver[0] / 1000, driver[0] % 1000 / 10);
    }

    static CudaRuntime start() {
        return new CudaRuntime();
    }

    private static int attribute(CUdevice device, int attribute) {
        int[] value = new int[1];
        cuDeviceGetAttribute(value, attribute, device);
        return value[0];
    }

    String description() {
        return description;
    }

    int multiprocessors() {
        return multiprocessors;
    }

    int maxSharedBytesPerBlock() {
        return maxSharedBytesPerBlock;
    }

    CUstream stream() {
        return stream;
    }

    /** Binds the context to the calling thread (once per thread). */
    void makeCurrent() {
        if (!current.get()) {
            cuCtxSetCurrent(context);
            current.set(true);
        }
    }

    synchronized CUfunction function(CudaKernel kernel, int dynamicSharedBytes) {
        CUfunction f = functions.get(kernel);
        if (dynamicSharedBytes > 48 * 1024) {
            cuFuncSetAttribute(f, CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                    dynamicSharedBytes);
        }
        return f;
    }

    /** Waits until everything queued so far has run. */
    synchronized void synchronize() {
        makeCurrent();
        cuStreamSynchronize(stream);
    }

    /** GPU time of the work {@code queue} puts on the stream, measured with CUDA events. */
    synchronized float elapsedMillis(Runnable queue) {
        makeCurrent();
        CUevent start = new CUevent();
        CUevent stop = new CUevent();
        cuEventCreate(start, CUevent_flags.CU_EVENT_DEFAULT);
        cuEventCreate(stop, CUevent_flags.CU_EVENT_DEFAULT);
        try {
            cuEventRecord(start, stream);
            queue.run();
            cuEventRecord(stop, stream);
            cuEventSynchronize(stop);
            float[] ms = new float[1];
            cuEventElapsedTime(ms, start, stop);
            return ms[0];
        } finally {
            JCudaDriver.cuEventDestroy(start);
            JCudaDriver.cuEventDestroy(stop);
        }
    }

    // ---------------------------------------------------------------- tensor memory on the device

    /** The device copy of {@code memory}, attaching one on first use. */
    synchronized DeviceMirror mirror(TensorMemory memory) {
        makeCurrent();
        return (DeviceMirror) memory.attach(m -> {
            DeviceMirror mirror = new DeviceMirror(this, m);
            mirrors.put(m.rawSegment().address(), mirror);
            return mirror;
        });
    }

    /** The device copy holding the host range of {@code segment} (a tensor's memory handed to a kernel method). */
    DeviceMirror mirrorOf(MemorySegment segment) {
        Map.Entry<Long, DeviceMirror> e = mirrors.floorEntry(segment.address());
        if (e == null || !e.getValue().contains(segment)) {
            throw new IllegalStateException("cuda: a kernel received memory that is not on the device (address 0x"
                    + Long.toHexString(segment.address()) + "); CudaBackend.memoryOf was bypassed");
        }
        return e.getValue();
    }

    /** Called when the arena owning a mirrored allocation closes. */
    void forget(DeviceMirror mirror, long hostAddress) {
        mirrors.remove(hostAddress, mirror);
    }

    DeviceMemoryPool pool() {
        return pool;
    }

    /** Copies host memory to the device; the host may change it as soon as this returns. */
    synchronized void upload(MemorySegment host, CUdeviceptr device) {
        makeCurrent();
        for (long at = 0; at < host.byteSize(); at += COPY_CHUNK) {
            long bytes = Math.min(COPY_CHUNK, host.byteSize() - at);
            // Pageable memory: the driver stages it before returning, so no synchronisation is needed after.
            cuMemcpyHtoDAsync(device.withByteOffset(at), Pointer.to(host.asSlice(at, bytes).asByteBuffer()), bytes,
                    stream);
        }
    }

    /** Copies device memory to the host, waiting for every queued kernel first (stream order). */
    synchronized void download(CUdeviceptr device, MemorySegment host) {
        makeCurrent();
        for (long at = 0; at < host.byteSize(); at += COPY_CHUNK) {
            long bytes = Math.min(COPY_CHUNK, host.byteSize() - at);
            cuMemcpyDtoHAsync(Pointer.to(host.asSlice(at, bytes).asByteBuffer()), device.withByteOffset(at), bytes,
                    stream);
        }
        cuStreamSynchronize(stream);
    }

    synchronized void clear(CUdeviceptr device, long bytes) {
        makeCurrent();
        cuMemsetD32Async(device, 0, bytes / Float.BYTES, stream);
    }

    // ---------------------------------------------------------------- scratch and pinned staging

    /** A device work buffer of at least {@code bytes}, reused by name (stream order keeps reuse safe). */
    synchronized CUdeviceptr scratch(String name, long bytes) {
        DeviceBuffer b = scratch.get(name);
        if (b == null || b.bytes() < bytes) {
            if (b != null) {
                pool.release(b);
            }
            b = pool.allocate(Math.max(bytes, 4096));
            scratch.put(name, b);
        }
        return b.pointer();
    }

    private ByteBuffer pinned(long bytes) {
        cuEventSynchronize(pinnedFree);  // the previous upload from it has been copied
        if (bytes > pinnedBytes) {
            if (pinnedBytes > 0) {
                JCudaDriver.cuMemFreeHost(pinned);
            }
            pinnedBytes = Math.max(bytes, 1 << 16);
            cuMemAllocHost(pinned, pinnedBytes);
            pinnedBuffer = pinned.getByteBuffer(0, pinnedBytes).order(ByteOrder.nativeOrder());
        }
        return pinnedBuffer.clear();
    }

    /** Uploads ints (ids, targets) through pinned memory into the scratch buffer {@code name}. */
    synchronized CUdeviceptr uploadInts(String name, int[] values) {
        makeCurrent();
        long bytes = (long) values.length * Integer.BYTES;
        CUdeviceptr device = scratch(name, bytes);
        pinned(bytes).asIntBuffer().put(values);
        cuMemcpyHtoDAsync(device, pinned, bytes, stream);
        cuEventRecord(pinnedFree, stream);
        return device;
    }

    /** Downloads {@code count} doubles (partial sums) through pinned memory, after the queued work. */
    synchronized double[] downloadDoubles(CUdeviceptr device, int count) {
        makeCurrent();
        long bytes = (long) count * Double.BYTES;
        ByteBuffer buffer = pinned(bytes);
        cuMemcpyDtoHAsync(pinned, device, bytes, stream);
        cuStreamSynchronize(stream);
        double[] values = new double[count];
        buffer.asDoubleBuffer().get(values);
        return values;
    }
}
