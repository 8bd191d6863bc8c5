package dev.panamax.engine;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.function.Function;

/**
 * One off-heap allocation, shared by a {@link Tensor} and all its views (reshape, slice, rows). It is the unit a
 * device backend mirrors: the CUDA backend attaches a {@link DeviceResidency} here, keyed by the allocation rather
 * than by tensor object, so a view and its parent always agree on where the newest data is.
 *
 * <p>CPU backends never look at this class; it costs them one null check per host access.
 */
public final class TensorMemory {

    /** Set once a device backend has started in this process; until then no allocation is tracked at all. */
    private static volatile boolean deviceStarted;

    private final MemorySegment segment;
    private final Arena arena;
    /**
     * True while a host access has something to do: the memory is still fresh (never written by the host) or a
     * device copy is attached. It starts false unless a device backend is running, so CPU-only code pays one
     * never-taken branch per host access (the JIT compiles it away) and nothing else.
     */
    private volatile boolean hooked;
    private volatile boolean hostWritten;
    private volatile DeviceResidency residency;

    TensorMemory(MemorySegment segment, Arena arena) {
        this.segment = segment;
        this.arena = arena;
        boolean tracked = deviceStarted;
        this.hooked = tracked;
        this.hostWritten = !tracked;   // untracked memory may have been written: a device must upload it
    }

    /**
     * Called by a device backend when it starts: allocations made from then on remember whether the host wrote
     * them, so fresh zeros can be cleared on the device instead of uploaded. (Earlier ones are simply uploaded.)
     */
    public static void deviceStarted() {
        deviceStarted = true;
    }

    /**
     * The whole allocation, without synchronising with a device: for device backends, which copy it up or down
     * themselves. Everything else uses {@link Tensor#segment()}.
     */
    public MemorySegment rawSegment() {
        return segment;
    }

    /** The arena that owns the allocation (a device backend frees its copy when the arena closes). */
    public Arena arena() {
        return arena;
    }

    /**
     * Whether the host may have written anything since allocation. False means the memory still holds the zeros
     * {@link Tensor#zeros} gave it, so a device copy can be cleared instead of uploaded.
     */
    public boolean hostWritten() {
        return hostWritten;
    }

    /** The attached device copy, or null. */
    public DeviceResidency residency() {
        return residency;
    }

    /**
     * Returns the attached device copy, attaching {@code create.apply(this)} first if there is none. A device
     * backend calls it holding its own lock; the host-access path below never holds this object's lock while it
     * calls into the device, so the two cannot deadlock.
     */
    public synchronized DeviceResidency attach(Function<TensorMemory, DeviceResidency> create) {
        if (residency == null) {
            residency = create.apply(this);
            hooked = true;
        }
        return residency;
    }

    void beforeHostRead() {
        if (hooked) {
            hostAccess(false);
        }
    }

    void beforeHostWrite() {
        if (hooked) {
            hostAccess(true);
        }
    }

    private void hostAccess(boolean write) {
        DeviceResidency r;
        synchronized (this) {
            if (write) {
                hostWritten = true;
            }
            r = residency;
            if (r == null && hostWritten) {
                hooked = false;   // host-only memory from now on, until a device attaches
            }
        }
        if (r != null) {
            r.beforeHostAccess(write);
        }
    }
}
