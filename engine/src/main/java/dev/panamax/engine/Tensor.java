package dev.panamax.engine;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A float32, N-dimensional, row-major array in off-heap memory.
 *
 * <p>The memory belongs to the {@link Arena} passed to the factory: closing the arena frees every tensor made
 * in it, and any later use throws {@link IllegalStateException} (never a crash). The arena must be shared,
 * automatic or global, because kernels run on worker threads; a confined arena is rejected up front.
 *
 * <p>Tensors are always contiguous. Views ({@link #reshape}, {@link #slice}, {@link #rows}) share memory with
 * their parent; sub-matrices with a stride are expressed at the GEMM level with leading dimensions instead.
 *
 * <p>A device backend (CUDA) may keep a copy of the memory on the GPU ({@link TensorMemory}, shared by a tensor
 * and its views). The host memory stays the tensor's identity; every host access here ({@link #get},
 * {@link #set}, {@link #toArray}, {@link #copyFrom}, {@link #fill}, {@link #segment}) first brings newer device
 * data down, and a write marks the device copy stale. So code that reads or writes tensors on the host works
 * unchanged whichever backend ran last, and data stays on the device while only device kernels touch it.
 */
public final class Tensor {

    /** Allocations are aligned for the widest vector loads (AVX-512: 64 bytes). */
    public static final long ALIGNMENT = 64;

    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;
    /** Never started: only used to ask a segment whether threads other than its owner may touch it. */
    private static final Thread SOME_OTHER_THREAD = new Thread(() -> { }, "panamax-accessibility-probe");

    private final TensorMemory memory;
    private final MemorySegment data;
    private final int[] shape;
    private final long size;

    private Tensor(TensorMemory memory, MemorySegment data, int[] shape, long size) {
        this.memory = memory;
        this.data = data;
        this.shape = shape;
        this.size = size;
    }

    // ---------------------------------------------------------------- factories

    /** A tensor of zeros. */
    public static Tensor zeros(Arena arena, int... shape) {
        long size = checkedSize("zeros", shape);
        MemorySegment segment = allocate(arena, size);
        return new Tensor(new TensorMemory(segment, arena), segment, shape.clone(), size);
    }

    /**
     * A tensor whose contents are unspecified, for an output that a kernel overwrites entirely. From a
     * {@link StepMemory} step arena the memory is not cleared (that is the point); from any other arena it is zeros.
     */
    public static Tensor uninitialized(Arena arena, int... shape) {
        long size = checkedSize("uninitialized", shape);
        if (!(arena instanceof StepMemory.StepArena step)) {
            return zeros(arena, shape);
        }
        MemorySegment segment = step.allocateUninitialized(size * Float.BYTES, ALIGNMENT);
        return new Tensor(new TensorMemory(segment, arena), segment, shape.clone(), size);
    }

    /** A tensor holding a copy of {@code values}, whose length must equal the product of {@code shape}. */
    public static Tensor of(Arena arena, float[] values, int... shape) {
        long size = checkedSize("of", shape);
        if (values.length != size) {
            throw new IllegalArgumentException("Tensor.of: " + values.length + " values cannot fill shape "
                    + Arrays.toString(shape) + ", which holds " + size);
        }
        Tensor t = zeros(arena, shape);
        t.copyFrom(values);
        return t;
    }

    /** Samples from a normal distribution N(mean, std²); the same seed gives the same tensor. */
    public static Tensor randn(Arena arena, long seed, float mean, float std, int... shape) {
        Tensor t = zeros(arena, shape);
        t.memory.beforeHostWrite();
        SplittableRandom random = new SplittableRandom(seed);
        for (long i = 0; i < t.size; i++) {
            t.data.setAtIndex(FLOAT, i, (float) random.nextGaussian(mean, std));
        }
        return t;
    }

    /** Samples from N(0, 1). */
    public static Tensor randn(Arena arena, long seed, int... shape) {
        return randn(arena, seed, 0f, 1f, shape);
    }

    /** Samples uniformly from [low, high); the same seed gives the same tensor. */
    public static Tensor uniform(Arena arena, long seed, float low, float high, int... shape) {
        if (!(low < high)) {
            throw new IllegalArgumentException("Tensor.uniform: low must be < high, got low=" + low + ", high=" + high);
        }
        Tensor t = zeros(arena, shape);
        t.memory.beforeHostWrite();
        SplittableRandom random = new SplittableRandom(seed);
        for (long i = 0; i < t.size; i++) {
            t.data.setAtIndex(FLOAT, i, (float) random.nextDouble(low, high));
        }
        return t;
    }

    private static MemorySegment allocate(Arena arena, long size) {
        if (arena == null) {
            throw new IllegalArgumentException("Tensor: arena is null");
        }
        MemorySegment segment = arena.allocate(Math.max(1, size) * Float.BYTES, ALIGNMENT);
        if (!segment.isAccessibleBy(SOME_OTHER_THREAD)) {
            throw new IllegalArgumentException("Tensor: the arena is confined to one thread, but kernels run on "
                    + "worker threads; use Arena.ofShared(), Arena.ofAuto() or Arena.global()");
        }
        return segment.asSlice(0, size * Float.BYTES);
    }

    private static long checkedSize(String op, int[] shape) {
        if (shape == null || shape.length == 0) {
            throw new IllegalArgumentException("Tensor." + op + ": a shape needs at least one dimension, got "
                    + Arrays.toString(shape));
        }
        long size = 1;
        for (int d : shape) {
            if (d <= 0) {
                throw new IllegalArgumentException("Tensor." + op + ": every dimension must be >= 1, got shape "
                        + Arrays.toString(shape));
            }
            size = Math.multiplyExact(size, d);
        }
        return size;
    }

    // ---------------------------------------------------------------- shape

    /** A copy of the shape. */
    public int[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    /** The size of dimension {@code axis}; negative axes count from the end. */
    public int dim(int axis) {
        int a = axis < 0 ? axis + shape.length : axis;
        if (a < 0 || a >= shape.length) {
            throw new IndexOutOfBoundsException("Tensor" + shapeString() + ": axis " + axis
                    + " out of range for rank " + shape.length);
        }
        return shape[a];
    }

    /** Number of elements. */
    public long size() {
        return size;
    }

    /** The shape as {@code [2, 3]}, for messages. */
    public String shapeString() {
        return Arrays.toString(shape);
    }

    // ---------------------------------------------------------------- views

    /** The same memory with another shape of the same size; one dimension may be -1 (inferred). */
    public Tensor reshape(int... newShape) {
        requireAlive("reshape");
        int[] resolved = newShape.clone();
        int inferred = -1;
        long known = 1;
        for (int i = 0; i < resolved.length; i++) {
            if (resolved[i] == -1 && inferred < 0) {
                inferred = i;
            } else if (resolved[i] <= 0) {
                throw new IllegalArgumentException("reshape: cannot view " + shapeString() + " as "
                        + Arrays.toString(newShape) + ": dimensions must be >= 1 (one may be -1)");
            } else {
                known *= resolved[i];
            }
        }
        if (inferred >= 0) {
            if (size % known != 0) {
                throw new IllegalArgumentException("reshape: cannot view " + shapeString() + " (" + size
                        + " elements) as " + Arrays.toString(newShape));
            }
            resolved[inferred] = (int) (size / known);
        }
        long newSize = checkedSize("reshape", resolved);
        if (newSize != size) {
            throw new IllegalArgumentException("reshape: cannot view " + shapeString() + " (" + size
                    + " elements) as " + Arrays.toString(newShape) + " (" + newSize + " elements)");
        }
        return new Tensor(memory, data, resolved, size);
    }

    /** Element {@code index} along the first dimension, as a tensor of rank one lower (a rank-1 tensor gives [1]). */
    public Tensor slice(int index) {
        requireAlive("slice");
        if (index < 0 || index >= shape[0]) {
            throw new IndexOutOfBoundsException("slice: index " + index + " out of range for first dimension of "
                    + shapeString());
        }
        int[] rest = shape.length == 1 ? new int[] {1} : Arrays.copyOfRange(shape, 1, shape.length);
        long inner = size / shape[0];
        return new Tensor(memory, data.asSlice(index * inner * Float.BYTES, inner * Float.BYTES), rest, inner);
    }

    /** Rows {@code [from, to)} along the first dimension, keeping the rank. */
    public Tensor rows(int from, int to) {
        requireAlive("rows");
        if (from < 0 || to > shape[0] || from >= to) {
            throw new IndexOutOfBoundsException("rows: range [" + from + ", " + to + ") is empty or outside the "
                    + "first dimension of " + shapeString());
        }
        int[] newShape = shape.clone();
        newShape[0] = to - from;
        long inner = size / shape[0];
        long newSize = inner * (to - from);
        return new Tensor(memory, data.asSlice(from * inner * Float.BYTES, newSize * Float.BYTES), newShape, newSize);
    }

    // ---------------------------------------------------------------- elements

    /** The element at a full index. */
    public float get(int... index) {
        long at = flatIndex(index);
        memory.beforeHostRead();
        return data.getAtIndex(FLOAT, at);
    }

    /** Sets the element at a full index. */
    public void set(float value, int... index) {
        long at = flatIndex(index);
        memory.beforeHostWrite();
        data.setAtIndex(FLOAT, at, value);
    }

    /** A copy of all elements in row-major order. */
    public float[] toArray() {
        requireAlive("toArray");
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("toArray: " + shapeString() + " has " + size
                    + " elements, more than a Java array holds");
        }
        memory.beforeHostRead();
        return data.toArray(FLOAT);
    }

    /** Overwrites all elements with {@code values} (row-major, same length). */
    public void copyFrom(float[] values) {
        requireAlive("copyFrom");
        if (values.length != size) {
            throw new IllegalArgumentException("copyFrom: " + values.length + " values for tensor "
                    + shapeString() + " of " + size + " elements");
        }
        memory.beforeHostWrite();
        MemorySegment.copy(values, 0, data, FLOAT, 0, values.length);
    }

    /** Sets every element to {@code value}. */
    public void fill(float value) {
        requireAlive("fill");
        memory.beforeHostWrite();
        if (value == 0f) {
            data.fill((byte) 0);
        } else {
            for (long i = 0; i < size; i++) {
                data.setAtIndex(FLOAT, i, value);
            }
        }
    }

    private long flatIndex(int[] index) {
        requireAlive("get/set");
        if (index.length != shape.length) {
            throw new IllegalArgumentException("index " + Arrays.toString(index) + " has " + index.length
                    + " coordinates, tensor " + shapeString() + " has rank " + shape.length);
        }
        long flat = 0;
        for (int i = 0; i < shape.length; i++) {
            if (index[i] < 0 || index[i] >= shape[i]) {
                throw new IndexOutOfBoundsException("index " + Arrays.toString(index) + " out of bounds for "
                        + shapeString());
            }
            flat = flat * shape[i] + index[i];
        }
        return flat;
    }

    // ---------------------------------------------------------------- memory

    /**
     * The tensor's memory: exactly {@code size() * 4} bytes, little-endian float32 in row-major order. Kernels
     * address it by element offset and leading dimension. The caller may read and write it, so when a device
     * holds newer data it is copied down first and the device copy is marked stale.
     */
    public MemorySegment segment() {
        memory.beforeHostWrite();
        return data;
    }

    /**
     * The native address of the first element: for overlap checks, which must not move data between host and
     * device (unlike {@link #segment()}).
     */
    public long address() {
        return data.address();
    }

    /** The allocation this tensor views, shared with its parent and other views: for device backends. */
    public TensorMemory memory() {
        return memory;
    }

    /** Where this tensor starts inside {@link #memory()}, in bytes. */
    public long memoryOffset() {
        return data.address() - memory.rawSegment().address();
    }

    /** False once the owning arena is closed. */
    public boolean isAlive() {
        return data.scope().isAlive();
    }

    /**
     * Throws a clear {@link IllegalStateException} if the owning arena is closed. {@code op} names the operation
     * in the message.
     */
    public void requireAlive(String op) {
        if (!isAlive()) {
            throw new IllegalStateException(op + ": tensor " + shapeString()
                    + " is no longer usable: the arena that owned it was closed");
        }
    }

    @Override
    public String toString() {
        return "Tensor" + shapeString() + (isAlive() ? "" : " (closed)");
    }
}
