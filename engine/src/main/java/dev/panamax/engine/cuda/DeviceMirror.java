package dev.panamax.engine.cuda;

import dev.panamax.engine.DeviceResidency;
import dev.panamax.engine.TensorMemory;
import java.lang.foreign.MemorySegment;
import jcuda.driver.CUdeviceptr;

/**
 * The device copy of one {@link TensorMemory} (a tensor allocation with all its views), and which side holds the
 * newest data:
 * <ul>
 *   <li>HOST_NEWER: the host was written since the last upload; a kernel reading it uploads first.</li>
 *   <li>SAME: both copies agree.</li>
 *   <li>DEVICE_NEWER: a kernel wrote it; a host access downloads first.</li>
 * </ul>
 * A fresh {@link dev.panamax.engine.Tensor#zeros} allocation is cleared on the device instead of uploaded. When
 * the owning arena closes, the device block goes back to the pool. State changes happen under the runtime lock.
 */
final class DeviceMirror implements DeviceResidency {

    private enum State { HOST_NEWER, SAME, DEVICE_NEWER }

    private final CudaRuntime runtime;
    private final MemorySegment host;
    private final DeviceBuffer buffer;
    private State state;
    private boolean closed;

    DeviceMirror(CudaRuntime runtime, TensorMemory memory) {
        this.runtime = runtime;
        // An unscoped view of the same memory: the runtime's registry must not keep the arena reachable (an
        // automatic arena would never be collected). It is only touched while the mirror is open.
        MemorySegment raw = memory.rawSegment();
        this.host = MemorySegment.ofAddress(raw.address()).reinterpret(raw.byteSize());
        this.buffer = runtime.pool().allocate(host.byteSize());
        if (memory.hostWritten()) {
            state = State.HOST_NEWER;
        } else {
            runtime.clear(buffer.pointer(), host.byteSize());
            state = State.SAME;
        }
        long hostAddress = host.address();
        // Runs when the arena closes (on the closing thread, or a cleaner for automatic arenas): after that the
        // host address may be reused by a new allocation, so the mirror is unregistered right away.
        MemorySegment.ofAddress(hostAddress).reinterpret(0, memory.arena(), ignored -> close(hostAddress));
    }

    boolean contains(MemorySegment segment) {
        return !closed && segment.address() >= host.address()
                && segment.address() + segment.byteSize() <= host.address() + host.byteSize();
    }

    /** The device address of {@code segment} (inside this allocation) for a kernel that reads it. */
    CUdeviceptr forRead(MemorySegment segment) {
        synchronized (runtime) {
            if (state == State.HOST_NEWER) {
                runtime.upload(host, buffer.pointer());
                state = State.SAME;
            }
            return buffer.pointer().withByteOffset(segment.address() - host.address());
        }
    }

    /** The device address of {@code segment} for a kernel that writes it (possibly only part of the allocation). */
    CUdeviceptr forWrite(MemorySegment segment) {
        synchronized (runtime) {
            CUdeviceptr p = forRead(segment);
            state = State.DEVICE_NEWER;
            return p;
        }
    }

    /** Byte offset of {@code segment} from the start of its device block (which is 256-byte aligned). */
    long offset(MemorySegment segment) {
        return segment.address() - host.address();
    }

    @Override
    public void beforeHostAccess(boolean write) {
        synchronized (runtime) {
            if (closed) {
                return;
            }
            if (state == State.DEVICE_NEWER) {
                runtime.download(buffer.pointer(), host);
                state = State.SAME;
            }
            if (write) {
                state = State.HOST_NEWER;
            }
        }
    }

    private void close(long hostAddress) {
        synchronized (runtime) {
            if (!closed) {
                closed = true;
                runtime.forget(this, hostAddress);
                runtime.pool().release(buffer);
            }
        }
    }
}
