package dev.panamax.engine;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Off-heap memory that training steps reuse: each step's tensors are carved from slabs kept from the step before,
 * instead of fresh allocations that {@link Arena#allocate} zeroes (and the OS maps in) on the calling thread.
 *
 * <p>A training step allocates the same tensors in the same order every time (tens of MB for a small GPT, a few
 * hundred for a U-Net step), and {@code Arena.allocate} zeroes every byte of them on the thread that calls it, while
 * the worker threads wait. Most of those tensors are outputs a kernel overwrites entirely, so the zeroing is wasted
 * work, and it is the part of a step that does not get faster with more threads. A {@code StepMemory} lends each
 * step a slab; {@link Tensor#uninitialized} takes such outputs from it without touching them, and
 * {@link Tensor#zeros} clears only what it takes.
 *
 * <p>Safety is unchanged: every segment handed out belongs to the step's own arena (a shared arena, closed with the
 * step), so a tensor used after its step has closed throws {@link IllegalStateException} as before; the slab goes
 * back to this object only after that arena has closed. Several steps may be open at once (say a training step
 * and an evaluation); each gets its own slab.
 *
 * <pre>
 * StepMemory memory = new StepMemory();
 * for (int step = 0; step &lt; steps; step++) {
 *     try (Tape tape = new Tape(backend, memory)) { ... }
 * }
 * </pre>
 *
 * <p>The memory stays reserved while this object is reachable (see {@link #reservedBytes()}); the garbage collector
 * frees it after that, or {@link #release()} drops the idle slabs at once (a slab lent to an open step comes back
 * when that step closes).
 *
 * <p>With the system property {@code panamax.poisonUninitialized=true} (the test suites set it), uninitialised
 * memory is filled with NaN, so a kernel that leaves part of its output unwritten shows up as NaN in the results.
 */
public final class StepMemory {

    /** Slabs grow in chunks of this size (or one chunk per allocation larger than it). */
    static final long CHUNK_BYTES = 16L << 20;

    private static final boolean POISON = Boolean.getBoolean("panamax.poisonUninitialized");

    private final Deque<Slab> idle = new ArrayDeque<>();
    private long reservedBytes;

    /**
     * An arena for one step: allocations come from a slab of this memory, and closing the arena returns the slab.
     * The arena is shared (kernels run on worker threads).
     */
    public Arena openStep() {
        Slab slab;
        synchronized (this) {
            slab = idle.poll();
        }
        return new StepArena(slab != null ? slab : new Slab());
    }

    /** Bytes held in slabs, idle or lent to an open step. */
    public synchronized long reservedBytes() {
        return reservedBytes;
    }

    /** Drops the idle slabs, so their memory can be freed. */
    public synchronized void release() {
        for (Slab slab : idle) {
            reservedBytes -= slab.bytes();
        }
        idle.clear();
    }

    private synchronized void grew(long bytes) {
        reservedBytes += bytes;
    }

    private synchronized void giveBack(Slab slab) {
        slab.rewind();
        idle.push(slab);
    }

    /**
     * A list of chunks allocated bump-pointer style; {@link #rewind} makes them all free again. Only the step that
     * holds the slab allocates from it, under the step arena's lock.
     */
    private final class Slab {
        /** Automatic arena: the chunks live as long as some slab, step or segment still refers to them. */
        private final Arena owner = Arena.ofAuto();
        private final List<MemorySegment> chunks = new ArrayList<>();
        private int chunk;
        private long offset;

        MemorySegment take(long byteSize, long byteAlignment) {
            while (true) {
                if (chunk == chunks.size()) {              // past the last chunk: one more, large enough for this
                    long size = Math.max(CHUNK_BYTES, byteSize + byteAlignment);
                    chunks.add(owner.allocate(size, Math.max(byteAlignment, Tensor.ALIGNMENT)));
                    grew(size);
                }
                MemorySegment current = chunks.get(chunk);
                long base = current.address();
                long start = alignUp(base + offset, byteAlignment) - base;
                if (start + byteSize <= current.byteSize()) {
                    offset = start + byteSize;
                    return current.asSlice(start, byteSize);
                }
                chunk++;
                offset = 0;
            }
        }

        void rewind() {
            chunk = 0;
            offset = 0;
        }

        long bytes() {
            long total = 0;
            for (MemorySegment c : chunks) {
                total += c.byteSize();
            }
            return total;
        }

        private static long alignUp(long address, long alignment) {
            return (address + alignment - 1) & -alignment;
        }
    }

    /**
     * One step's arena. {@link #allocate} keeps the {@link Arena} contract (zeroed memory);
     * {@link #allocateUninitialized} skips the clearing for outputs a kernel overwrites.
     */
    final class StepArena implements Arena {
        private final Arena scope = Arena.ofShared();
        private final Slab slab;
        private boolean closed;

        StepArena(Slab slab) {
            this.slab = slab;
        }

        @Override
        public MemorySegment allocate(long byteSize, long byteAlignment) {
            MemorySegment segment = allocateUninitialized(byteSize, byteAlignment);
            segment.fill((byte) 0);
            return segment;
        }

        /** Memory whose contents are whatever the slab held (or NaN with {@code panamax.poisonUninitialized}). */
        synchronized MemorySegment allocateUninitialized(long byteSize, long byteAlignment) {
            if (closed) {
                throw new IllegalStateException("StepMemory: this step's arena is already closed");
            }
            if (byteSize < 0 || byteAlignment <= 0 || (byteAlignment & (byteAlignment - 1)) != 0) {
                throw new IllegalArgumentException("StepMemory: cannot allocate " + byteSize + " bytes aligned to "
                        + byteAlignment + " (size must be >= 0, alignment a power of two)");
            }
            // Re-scoped to this step: once the step closes, every access through it throws.
            MemorySegment segment = slab.take(byteSize, byteAlignment).reinterpret(scope, null);
            if (POISON) {
                segment.fill((byte) 0xFF);   // 0xFFFFFFFF is a NaN
            }
            return segment;
        }

        @Override
        public MemorySegment.Scope scope() {
            return scope.scope();
        }

        @Override
        public void close() {
            synchronized (this) {
                if (closed) {
                    throw new IllegalStateException("StepMemory: this step's arena is already closed");
                }
                closed = true;
            }
            scope.close();       // first: no segment of the step can be used any more
            giveBack(slab);      // then the memory may serve the next step
        }
    }
}
