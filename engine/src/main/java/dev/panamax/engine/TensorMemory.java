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

    private final MemorySegment segment;
    private final Arena arena;
    private volatile boolean hostWritten;
    private volatile DeviceResidency residency;

    TensorMemory(MemorySegment segment, Arena arena) {
        this.segment = segment;
        this.arena = arena;
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

    /** Returns the attached device copy, attaching {@code create.apply(this)} first if there is none. */
    public synchronized DeviceResidency attach(Function<TensorMemory, DeviceResidency> create) {
        if (residency == null) {
            residency = create.apply(this);
        }
        return residency;
    }

    void beforeHostRead() {
        DeviceResidency r = residency;
        if (r != null) {
            r.beforeHostAccess(false);
        }
    }

    void beforeHostWrite() {
        hostWritten = true;
        DeviceResidency r = residency;
        if (r != null) {
            r.beforeHostAccess(true);
        }
    }
}
