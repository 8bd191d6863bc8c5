package dev.panamax.engine.io;

import dev.panamax.engine.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes the safetensors format, the checkpoint format of Hugging Face and of Panamax, so that weights
 * move freely between PyTorch and Panamax (GPT-2's published {@code model.safetensors} loads directly).
 *
 * <pre>
 *   8 bytes      N, unsigned little-endian
 *   N bytes      UTF-8 JSON: {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
 *                             "__metadata__": {"key": "value", ...}}, padded with spaces
 *   the rest     the tensors' raw little-endian bytes; offsets count from the first byte after the header
 * </pre>
 *
 * Writing pads the header to a multiple of 8 bytes, so every tensor starts aligned, and stores tensors in the
 * map's order. It goes through {@link AtomicFiles}: a crash while saving leaves the previous file intact. Reading
 * is {@link SafeTensorsFile}: mapped, validated, converted to float32.
 */
public final class SafeTensors {

    private static final ValueLayout.OfLong LE_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** What a file holds: the tensors in header order, and the metadata. */
    public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata) {
    }

    private SafeTensors() {
    }

    /** Opens {@code file} for reading some or all of its tensors; close it when done. */
    public static SafeTensorsFile open(Path file) throws IOException {
        return SafeTensorsFile.open(file);
    }

    /** Reads every tensor of {@code file} into {@code arena} (as float32), with the metadata. */
    public static Contents read(Path file, Arena arena) throws IOException {
        try (SafeTensorsFile opened = SafeTensorsFile.open(file)) {
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (SafeTensorsFile.Entry entry : opened.entries()) {
                tensors.put(entry.name(), opened.read(entry.name(), arena));
            }
            return new Contents(Collections.unmodifiableMap(tensors), opened.metadata());
        }
    }

    /**
     * Writes {@code tensors} (as F32, in the map's order) and {@code metadata} (may be empty or null) to
     * {@code file}, replacing it atomically.
     */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        Map<String, String> notes = metadata == null ? Map.of() : metadata;
        List<String> names = new ArrayList<>(tensors.keySet());
        List<Tensor> values = new ArrayList<>();
        for (String name : names) {
            if (name == null || name.isEmpty() || name.equals(SafeTensorsFile.METADATA_KEY)) {
                throw new IllegalArgumentException("SafeTensors.write: " + (name == null ? "null" : "\"" + name + "\"")
                        + " cannot name a tensor");
            }
            Tensor tensor = tensors.get(name);
            if (tensor == null) {
                throw new IllegalArgumentException("SafeTensors.write: tensor \"" + name + "\" is null");
            }
            tensor.requireAlive("SafeTensors.write (tensor \"" + name + "\")");
            values.add(tensor);
        }
        notes.forEach((key, value) -> {
            if (key == null || value == null) {
                throw new IllegalArgumentException("SafeTensors.write: metadata " + key + " = " + value
                        + ": keys and values must not be null");
            }
        });
        byte[] header = header(names, values, notes);
        long dataBytes = 0;
        for (Tensor t : values) {
            dataBytes += t.size() * Float.BYTES;
        }
        long total = Long.BYTES + header.length + dataBytes;
        AtomicFiles.write(file, channel -> writeMapped(channel, total, header, values));
    }

    private static void writeMapped(FileChannel channel, long total, byte[] header, List<Tensor> values)
            throws IOException {
        try (Arena mapping = Arena.ofConfined()) {
            MemorySegment out = channel.map(FileChannel.MapMode.READ_WRITE, 0, total, mapping);
            out.set(LE_LONG, 0, header.length);
            MemorySegment.copy(header, 0, out, ValueLayout.JAVA_BYTE, Long.BYTES, header.length);
            long at = Long.BYTES + header.length;
            for (Tensor t : values) {
                MemorySegment.copy(t.segment(), ValueLayout.JAVA_FLOAT, 0, out, LE_FLOAT, at, t.size());
                at += t.size() * Float.BYTES;
            }
            out.force();
        }
    }

    /** The JSON header, padded with spaces to a multiple of 8 bytes. */
    static byte[] header(List<String> names, List<Tensor> values, Map<String, String> metadata) {
        Map<String, Object> root = new LinkedHashMap<>();
        if (!metadata.isEmpty()) {
            root.put(SafeTensorsFile.METADATA_KEY, metadata);
        }
        long offset = 0;
        for (int i = 0; i < names.size(); i++) {
            Tensor t = values.get(i);
            List<Long> shape = new ArrayList<>();
            for (int d : t.shape()) {
                shape.add((long) d);
            }
            long end = offset + t.size() * Float.BYTES;
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("dtype", DType.F32.name());
            info.put("shape", shape);
            info.put("data_offsets", List.of(offset, end));
            root.put(names.get(i), info);
            offset = end;
        }
        byte[] json = Json.write(root).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        byte[] header = new byte[padded];
        System.arraycopy(json, 0, header, 0, json.length);
        java.util.Arrays.fill(header, json.length, padded, (byte) ' ');
        return header;
    }
}
