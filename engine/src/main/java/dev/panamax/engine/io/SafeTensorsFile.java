package dev.panamax.engine.io;

import dev.panamax.engine.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An open safetensors file: the header parsed and validated, the data memory-mapped, tensors read on request.
 *
 * <p>Mapping instead of reading means a 500 MB GPT-2 checkpoint never passes through the Java heap: each tensor
 * is copied once, from the page cache straight into its off-heap {@link Tensor} (converted from F16/BF16/F64 on
 * the way when needed). Reading only some tensors touches only their pages.
 *
 * <p>{@link #open} validates the whole header as the reference implementation (the Rust {@code safetensors}
 * crate) does, so a file accepted here is accepted everywhere: every tensor's byte range matches its shape and
 * dtype, the ranges tile the data area exactly (no overlap, no gap, nothing after the last one), and names are
 * unique. Any problem is a {@link SafeTensorsException} that names the file and the problem.
 *
 * <p>Close the file to unmap it; tensors already read stay valid (they live in the caller's arena).
 */
public final class SafeTensorsFile implements AutoCloseable {

    /** The reference implementation's limit; a larger "header" is a corrupt length field. */
    public static final long MAX_HEADER_BYTES = 100_000_000;
    static final String METADATA_KEY = "__metadata__";

    private static final ValueLayout.OfLong LE_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble LE_DOUBLE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** One tensor's header entry. Offsets count bytes from the start of the data area. */
    public static final class Entry {
        private final String name;
        private final DType dtype;
        private final long[] shape;
        private final long begin;
        private final long end;

        Entry(String name, DType dtype, long[] shape, long begin, long end) {
            this.name = name;
            this.dtype = dtype;
            this.shape = shape;
            this.begin = begin;
            this.end = end;
        }

        public String name() {
            return name;
        }

        public DType dtype() {
            return dtype;
        }

        /** The shape as stored (a scalar has the empty shape). */
        public long[] shape() {
            return shape.clone();
        }

        public long elementCount() {
            long count = 1;
            for (long d : shape) {
                count *= d;
            }
            return count;
        }

        /** First byte in the data area. */
        public long begin() {
            return begin;
        }

        /** One past the last byte in the data area. */
        public long end() {
            return end;
        }

        public String shapeString() {
            return Arrays.toString(shape);
        }

        @Override
        public String toString() {
            return name + " " + dtype + " " + shapeString();
        }
    }

    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final long dataStart;
    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;

    private SafeTensorsFile(Path path, Arena arena, MemorySegment file, long dataStart, Map<String, Entry> entries,
                            Map<String, String> metadata) {
        this.path = path;
        this.arena = arena;
        this.file = file;
        this.dataStart = dataStart;
        this.entries = entries;
        this.metadata = metadata;
    }

    /** Maps {@code path} and validates its header. */
    public static SafeTensorsFile open(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try {
            MemorySegment file;
            try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
                long size = channel.size();
                if (size < Long.BYTES) {
                    throw new SafeTensorsException(path, "truncated: the file has " + size
                            + " bytes, fewer than the 8-byte header length that starts a safetensors file");
                }
                file = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            }
            SafeTensorsFile opened = parse(path, arena, file);
            return opened;
        } catch (IOException | RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    private static SafeTensorsFile parse(Path path, Arena arena, MemorySegment file) throws SafeTensorsException {
        long size = file.byteSize();
        long headerLength = file.get(LE_LONG, 0);
        if (headerLength < 0 || headerLength > size - Long.BYTES) {
            throw new SafeTensorsException(path, "the header length field says " + Long.toUnsignedString(headerLength)
                    + " bytes, but the file has only " + (size - Long.BYTES) + " bytes after it (truncated, or not "
                    + "a safetensors file)");
        }
        if (headerLength > MAX_HEADER_BYTES) {
            throw new SafeTensorsException(path, "the header length field says " + headerLength
                    + " bytes, more than the " + MAX_HEADER_BYTES + "-byte limit of the format");
        }
        long dataStart = Long.BYTES + headerLength;
        long dataSize = size - dataStart;
        String header = decodeHeader(path, file.asSlice(Long.BYTES, headerLength));
        Map<?, ?> root = parseHeader(path, header);

        Map<String, Entry> entries = new LinkedHashMap<>();
        Map<String, String> metadata = Map.of();
        for (Map.Entry<?, ?> item : root.entrySet()) {
            String name = (String) item.getKey();
            if (name.equals(METADATA_KEY)) {
                metadata = metadata(path, item.getValue());
            } else {
                Entry entry = entry(path, name, item.getValue());
                if (entry.end > dataSize) {
                    throw new SafeTensorsException(path, "truncated: tensor \"" + name + "\" has data_offsets ["
                            + entry.begin + ", " + entry.end + "], but the file holds only " + dataSize
                            + " bytes of data after its " + dataStart + "-byte header");
                }
                entries.put(name, entry);
            }
        }
        checkTiling(path, entries.values(), dataSize);
        return new SafeTensorsFile(path, arena, file, dataStart, Collections.unmodifiableMap(entries),
                Collections.unmodifiableMap(metadata));
    }

    private static String decodeHeader(Path path, MemorySegment bytes) throws SafeTensorsException {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes.toArray(ValueLayout.JAVA_BYTE)))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new SafeTensorsException(path, "the header is not valid UTF-8 (not a safetensors file?)", e);
        }
    }

    private static Map<?, ?> parseHeader(Path path, String header) throws SafeTensorsException {
        if (!header.startsWith("{")) {
            throw new SafeTensorsException(path, "the header does not start with '{' (not a safetensors file?)");
        }
        Object root;
        try {
            root = Json.parse(header);
        } catch (Json.JsonException e) {
            if (e.duplicateKey() != null && e.duplicateKeyDepth() == 0) {
                throw new SafeTensorsException(path, "the header names tensor \"" + e.duplicateKey() + "\" twice", e);
            }
            throw new SafeTensorsException(path, "the header is not valid JSON: " + e.getMessage(), e);
        }
        if (!(root instanceof Map<?, ?> map)) {
            throw new SafeTensorsException(path, "the header is not a JSON object");
        }
        return map;
    }

    private static Map<String, String> metadata(Path path, Object value) throws SafeTensorsException {
        if (!(value instanceof Map<?, ?> map)) {
            throw new SafeTensorsException(path, "\"" + METADATA_KEY + "\" must be an object of strings, got "
                    + Json.write(value));
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<?, ?> item : map.entrySet()) {
            if (!(item.getValue() instanceof String text)) {
                throw new SafeTensorsException(path, "\"" + METADATA_KEY + "\" entry \"" + item.getKey()
                        + "\" is " + Json.write(item.getValue()) + "; safetensors metadata values are strings");
            }
            metadata.put((String) item.getKey(), text);
        }
        return metadata;
    }

    private static Entry entry(Path path, String name, Object value) throws SafeTensorsException {
        if (!(value instanceof Map<?, ?> info)) {
            throw new SafeTensorsException(path, "tensor \"" + name + "\" must be described by an object with "
                    + "dtype, shape and data_offsets, got " + Json.write(value));
        }
        Object dtypeName = info.get("dtype");
        if (!(dtypeName instanceof String dtypeText)) {
            throw new SafeTensorsException(path, "tensor \"" + name + "\" has no dtype string");
        }
        DType dtype = DType.forName(dtypeText);
        if (dtype == null) {
            throw new SafeTensorsException(path, "tensor \"" + name + "\" has unknown dtype \"" + dtypeText
                    + "\" (known: " + Arrays.toString(DType.values()) + ")");
        }
        long[] shape = naturals(path, name, "shape", info.get("shape"));
        long[] offsets = naturals(path, name, "data_offsets", info.get("data_offsets"));
        if (offsets.length != 2) {
            throw new SafeTensorsException(path, "tensor \"" + name + "\" has data_offsets "
                    + Arrays.toString(offsets) + "; expected [begin, end]");
        }
        if (offsets[1] < offsets[0]) {
            throw new SafeTensorsException(path, "tensor \"" + name + "\" has data_offsets "
                    + Arrays.toString(offsets) + ", which end before they begin");
        }
        long bytes;
        try {
            long elements = 1;
            for (long d : shape) {
                elements = Math.multiplyExact(elements, d);
            }
            bytes = Math.multiplyExact(elements, dtype.bytes());
        } catch (ArithmeticException e) {
            throw new SafeTensorsException(path, "tensor \"" + name + "\" has shape " + Arrays.toString(shape)
                    + ", too large to address");
        }
        if (offsets[1] - offsets[0] != bytes) {
            throw new SafeTensorsException(path, "tensor \"" + name + "\" has data_offsets "
                    + Arrays.toString(offsets) + " (" + (offsets[1] - offsets[0]) + " bytes), but shape "
                    + Arrays.toString(shape) + " of " + dtype + " needs " + bytes + " bytes");
        }
        return new Entry(name, dtype, shape, offsets[0], offsets[1]);
    }

    private static long[] naturals(Path path, String name, String field, Object value) throws SafeTensorsException {
        if (!(value instanceof List<?> list)) {
            throw new SafeTensorsException(path, "tensor \"" + name + "\" has no " + field + " list"
                    + (value == null ? "" : ", got " + Json.write(value)));
        }
        long[] numbers = new long[list.size()];
        for (int i = 0; i < numbers.length; i++) {
            if (!(list.get(i) instanceof Long n) || n < 0) {
                throw new SafeTensorsException(path, "tensor \"" + name + "\" has " + field + " " + Json.write(list)
                        + "; expected non-negative integers");
            }
            numbers[i] = n;
        }
        return numbers;
    }

    /** The tensors' byte ranges must cover the data area exactly, as the reference implementation requires. */
    private static void checkTiling(Path path, Iterable<Entry> entries, long dataSize) throws SafeTensorsException {
        List<Entry> byOffset = new ArrayList<>();
        entries.forEach(byOffset::add);
        byOffset.sort(Comparator.comparingLong((Entry e) -> e.begin).thenComparingLong(e -> e.end));
        long covered = 0;
        Entry previous = null;
        for (Entry entry : byOffset) {
            if (entry.begin < covered) {
                throw new SafeTensorsException(path, "tensor \"" + entry.name + "\" (bytes [" + entry.begin + ", "
                        + entry.end + ")) overlaps tensor \"" + previous.name + "\" (bytes [" + previous.begin
                        + ", " + previous.end + "))");
            }
            if (entry.begin > covered) {
                throw new SafeTensorsException(path, "bytes [" + covered + ", " + entry.begin
                        + ") of the data belong to no tensor (the next one, \"" + entry.name + "\", starts at "
                        + entry.begin + ")");
            }
            covered = entry.end;
            previous = entry;
        }
        if (covered != dataSize) {
            throw new SafeTensorsException(path, "the file has " + (dataSize - covered)
                    + " bytes after the last tensor's data (ending at " + covered + "), which belong to no tensor");
        }
    }

    // ---------------------------------------------------------------- access

    public Path path() {
        return path;
    }

    /** The header's {@code __metadata__} (empty when absent). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Every tensor's entry, in header order. */
    public List<Entry> entries() {
        return List.copyOf(entries.values());
    }

    /** The entry of tensor {@code name}, or null when the file has none. */
    public Entry entry(String name) {
        return entries.get(name);
    }

    /** Tensor {@code name} as a new float32 tensor in {@code arena}. A scalar (empty shape) becomes shape [1]. */
    public Tensor read(String name, Arena target) throws SafeTensorsException {
        Entry entry = required(name);
        Tensor tensor = Tensor.zeros(target, tensorShape(entry));
        copy(entry, tensor);
        return tensor;
    }

    /** Copies tensor {@code name} into {@code target}, whose shape must be the stored one. */
    public void readInto(String name, Tensor target) throws SafeTensorsException {
        Entry entry = required(name);
        int[] shape = tensorShape(entry);
        if (!Arrays.equals(shape, target.shape())) {
            throw new SafeTensorsException(path, "tensor \"" + name + "\" is " + entry.shapeString()
                    + " in the file, but the target is " + target.shapeString());
        }
        target.requireAlive("readInto");
        copy(entry, target);
    }

    private Entry required(String name) throws SafeTensorsException {
        Entry entry = entries.get(name);
        if (entry == null) {
            throw new SafeTensorsException(path, "no tensor named \"" + name + "\"");
        }
        return entry;
    }

    /** The shape as a Panamax tensor holds it: int dimensions, at least one, all >= 1. */
    int[] tensorShape(Entry entry) throws SafeTensorsException {
        if (!entry.dtype.readableAsFloat()) {
            throw new SafeTensorsException(path, "tensor \"" + entry.name + "\" has dtype " + entry.dtype
                    + "; Panamax reads F32, F16, BF16 and F64 tensors (as float32)");
        }
        if (entry.shape.length == 0) {
            return new int[] {1};
        }
        int[] shape = new int[entry.shape.length];
        for (int i = 0; i < shape.length; i++) {
            if (entry.shape[i] == 0 || entry.shape[i] > Integer.MAX_VALUE) {
                throw new SafeTensorsException(path, "tensor \"" + entry.name + "\" has shape " + entry.shapeString()
                        + ", which a Panamax tensor cannot hold (every dimension must be between 1 and 2^31 - 1)");
            }
            shape[i] = (int) entry.shape[i];
        }
        return shape;
    }

    private void copy(Entry entry, Tensor target) {
        MemorySegment to = target.segment();
        long from = dataStart + entry.begin;
        long count = entry.elementCount();
        switch (entry.dtype) {
            case F32 -> MemorySegment.copy(file, LE_FLOAT, from, to, ValueLayout.JAVA_FLOAT, 0, count);
            case F16 -> {
                for (long i = 0; i < count; i++) {
                    to.setAtIndex(ValueLayout.JAVA_FLOAT, i, Float.float16ToFloat(file.get(LE_SHORT, from + 2 * i)));
                }
            }
            case BF16 -> {
                for (long i = 0; i < count; i++) {
                    int bits = (file.get(LE_SHORT, from + 2 * i) & 0xFFFF) << 16;
                    to.setAtIndex(ValueLayout.JAVA_FLOAT, i, Float.intBitsToFloat(bits));
                }
            }
            case F64 -> {
                for (long i = 0; i < count; i++) {
                    to.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) file.get(LE_DOUBLE, from + 8 * i));
                }
            }
            default -> throw new IllegalStateException("unreachable: " + entry.dtype + " passed tensorShape");
        }
    }

    /** Unmaps the file. */
    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }

    @Override
    public String toString() {
        return "SafeTensorsFile[" + path + ", " + entries.size() + " tensors]";
    }
}
