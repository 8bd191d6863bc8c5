package dev.panamax.engine.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panamax.engine.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {

    @TempDir
    Path dir;

    // ---------------------------------------------------------------- round trip

    @Test
    void roundTripKeepsNamesShapesBitsAndMetadata() throws IOException {
        try (Arena arena = Arena.ofShared()) {
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            tensors.put("wte.weight", Tensor.randn(arena, 1, 17, 33));
            tensors.put("h.0.ln_1.bias", Tensor.randn(arena, 2, 1));
            tensors.put("odd \"name\" é/\\", Tensor.randn(arena, 3, 7, 1, 1, 2));
            tensors.put("specials", Tensor.of(arena, new float[] {Float.NaN, -0f, Float.POSITIVE_INFINITY,
                    Float.MIN_VALUE, -Float.MAX_VALUE, 1f / 3}, 2, 3));
            Map<String, String> metadata = new LinkedHashMap<>();
            metadata.put("format", "pt");
            metadata.put("note", "line\nbreak, \"quotes\", ünïcödé \uD83D\uDE00");
            Path file = dir.resolve("model.safetensors");
            SafeTensors.write(file, tensors, metadata);

            long headerLength = ByteBuffer.wrap(Files.readAllBytes(file), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            assertEquals(0, headerLength % 8, "the header is padded so that the data starts 8-aligned");

            SafeTensors.Contents read = SafeTensors.read(file, arena);
            assertEquals(List.copyOf(tensors.keySet()), List.copyOf(read.tensors().keySet()));
            assertEquals(metadata, read.metadata());
            for (String name : tensors.keySet()) {
                Tensor expected = tensors.get(name);
                Tensor actual = read.tensors().get(name);
                assertArrayEquals(expected.shape(), actual.shape(), name);
                float[] e = expected.toArray();
                float[] a = actual.toArray();
                for (int i = 0; i < e.length; i++) {
                    assertEquals(Float.floatToRawIntBits(e[i]), Float.floatToRawIntBits(a[i]), name + "[" + i + "]");
                }
            }
        }
    }

    @Test
    void emptyFilesAndFilesWithoutMetadataRoundTrip() throws IOException {
        try (Arena arena = Arena.ofShared()) {
            Path empty = dir.resolve("empty.safetensors");
            SafeTensors.write(empty, Map.of(), null);
            SafeTensors.Contents contents = SafeTensors.read(empty, arena);
            assertEquals(Map.of(), contents.tensors());
            assertEquals(Map.of(), contents.metadata());
            Path one = dir.resolve("one.safetensors");
            SafeTensors.write(one, Map.of("x", Tensor.of(arena, new float[] {4}, 1)), Map.of());
            assertEquals(4f, SafeTensors.read(one, arena).tensors().get("x").get(0));
        }
    }

    // ---------------------------------------------------------------- files built by hand

    /** A safetensors file from a header and data, as Python's {@code safetensors} lays it out. */
    static byte[] file(String header, byte[] data, boolean padToEight) {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        int length = padToEight ? (json.length + 7) / 8 * 8 : json.length;
        ByteBuffer out = ByteBuffer.allocate(8 + length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(length).put(json);
        for (int i = json.length; i < length; i++) {
            out.put((byte) ' ');
        }
        return out.put(data).array();
    }

    static byte[] littleEndian(Object... values) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (Object v : values) {
            ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            switch (v) {
                case Float f -> b.putFloat(f);
                case Double d -> b.putDouble(d);
                case Short s -> b.putShort(s);
                case Long l -> b.putLong(l);
                default -> throw new IllegalArgumentException(v.toString());
            }
            bytes.write(b.array(), 0, b.position());
        }
        return bytes.toByteArray();
    }

    private Path write(String name, byte[] bytes) throws IOException {
        Path file = dir.resolve(name);
        Files.write(file, bytes);
        return file;
    }

    @Test
    void readsAHandBuiltFileWithEveryFloatType() throws IOException {
        // Keys in no particular order, metadata in the middle, whitespace everywhere, escaped names; the data
        // order differs from the header order. F16 1.5 = 0x3E00, -2 = 0xC000; BF16 3.0 = 0x4040, -0.5 = 0xBF00.
        String header = """
                {
                  "b" : { "shape": [2], "dtype": "F16", "data_offsets": [24, 28] },
                  "__metadata__": {"format": "pt", "t\\u00e9xt": "a\\"b"},
                  "a\\/w": {"data_offsets": [0, 24], "dtype": "F32", "shape": [2, 3]},
                  "c": {"dtype": "BF16", "shape": [2], "data_offsets": [28, 32]},
                  "d": {"dtype": "F64", "shape": [], "data_offsets": [32, 40]}
                }""";
        byte[] data = littleEndian(1f, 2f, 3f, -4f, 0.5f, 1e-20f, (short) 0x3E00, (short) 0xC000,
                (short) 0x4040, (short) 0xBF00, 0.1);
        for (boolean pad : new boolean[] {true, false}) {
            Path file = write("hand" + pad + ".safetensors", file(header, data, pad));
            try (Arena arena = Arena.ofShared()) {
                SafeTensors.Contents contents = SafeTensors.read(file, arena);
                assertEquals(List.of("b", "a/w", "c", "d"), List.copyOf(contents.tensors().keySet()));
                assertEquals(Map.of("format", "pt", "téxt", "a\"b"), contents.metadata());
                Tensor w = contents.tensors().get("a/w");
                assertArrayEquals(new int[] {2, 3}, w.shape());
                assertArrayEquals(new float[] {1, 2, 3, -4, 0.5f, 1e-20f}, w.toArray(), 0f);
                assertArrayEquals(new float[] {1.5f, -2f}, contents.tensors().get("b").toArray(), 0f);
                assertArrayEquals(new float[] {3f, -0.5f}, contents.tensors().get("c").toArray(), 0f);
                assertArrayEquals(new int[] {1}, contents.tensors().get("d").shape(), "a scalar becomes [1]");
                assertEquals(0.1f, contents.tensors().get("d").get(0));
            }
        }
    }

    @Test
    void openListsEntriesAndReadsSomeTensorsOnly() throws IOException {
        String header = "{\"ids\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[16,24]}}";
        Path file = write("mixed.safetensors", file(header, littleEndian(7L, 8L, 1f, 2f), true));
        try (SafeTensorsFile opened = SafeTensors.open(file); Arena arena = Arena.ofShared()) {
            assertEquals(2, opened.entries().size());
            assertEquals(DType.I64, opened.entry("ids").dtype());
            assertArrayEquals(new long[] {2}, opened.entry("ids").shape());
            assertArrayEquals(new float[] {1, 2}, opened.read("w", arena).toArray(), 0f);
            Tensor target = Tensor.zeros(arena, 1, 2);
            opened.readInto("w", target);
            assertArrayEquals(new float[] {1, 2}, target.toArray(), 0f);
            assertMessage(() -> opened.read("ids", arena), "tensor \"ids\" has dtype I64; Panamax reads F32");
            assertMessage(() -> opened.readInto("w", Tensor.zeros(arena, 2)), "tensor \"w\" is [1, 2] in the file, but the target is [2]");
            assertMessage(() -> opened.read("nope", arena), "no tensor named \"nope\"");
        }
    }

    // ---------------------------------------------------------------- malformed files

    private static final String W = "\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";

    @Test
    void truncatedFilesAreRejected() throws IOException {
        assertRejected(write("short", new byte[5]), "truncated: the file has 5 bytes, fewer than the 8-byte header length");
        assertRejected(write("zero", new byte[0]), "truncated: the file has 0 bytes");
        byte[] whole = file("{" + W + "}", littleEndian(1f, 2f), true);
        assertRejected(write("cut", java.util.Arrays.copyOf(whole, whole.length - 3)),
                "truncated: tensor \"w\" has data_offsets [0, 8], but the file holds only 5 bytes of data");
        assertRejected(write("headerOnly", java.util.Arrays.copyOf(whole, 20)),
                "the header length field says 56 bytes, but the file has only 12 bytes after it");
    }

    @Test
    void headerLongerThanTheFileIsRejected() throws IOException {
        assertRejected(write("long", littleEndian(1000L, 0L)), "the header length field says 1000 bytes, but the file has only 8");
        assertRejected(write("negative", littleEndian(-1L, 0L)), "the header length field says 18446744073709551615 bytes");
    }

    @Test
    void invalidHeadersAreRejected() throws IOException {
        assertRejected(write("json", file("{" + W + ",}", littleEndian(1f, 2f), true)),
                "the header is not valid JSON: unexpected '}', expected a string key");
        assertRejected(write("notObject", file("[1, 2]", new byte[0], true)), "the header does not start with '{'");
        assertRejected(write("text", "hello world, this is not safetensors".getBytes(StandardCharsets.US_ASCII)),
                "the header length field says");
        byte[] badUtf8 = file("{\"\u00e9\":1}", new byte[0], false);
        badUtf8[10] = (byte) 0xFF;
        assertRejected(write("utf8", badUtf8), "the header is not valid UTF-8");
        assertRejected(write("meta", file("{\"__metadata__\":{\"n\":1}}", new byte[0], true)),
                "\"__metadata__\" entry \"n\" is 1; safetensors metadata values are strings");
        assertRejected(write("shape", file("{\"w\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}",
                littleEndian(1f, 2f), true)), "tensor \"w\" has shape [-2]; expected non-negative integers");
        assertRejected(write("noShape", file("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}",
                littleEndian(1f, 2f), true)), "tensor \"w\" has no shape list");
        assertRejected(write("offsets3", file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4,8]}}",
                littleEndian(1f, 2f), true)), "data_offsets [0, 4, 8]; expected [begin, end]");
    }

    @Test
    void badOffsetsAreRejected() throws IOException {
        byte[] data = littleEndian(1f, 2f, 3f, 4f);
        assertRejected(write("overlap", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[4,16]}}", data, true)),
                "tensor \"b\" (bytes [4, 16)) overlaps tensor \"a\" (bytes [0, 8))");
        assertRejected(write("gap", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16]}}", data, true)),
                "bytes [8, 12) of the data belong to no tensor");
        assertRejected(write("trailing", file("{" + W + "}", data, true)),
                "the file has 8 bytes after the last tensor's data (ending at 8)");
        assertRejected(write("size", file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,16]}}", data, true)),
                "tensor \"w\" has data_offsets [0, 16] (16 bytes), but shape [2, 3] of F32 needs 24 bytes");
        assertRejected(write("backwards", file("{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[16,0]}}", data, true)),
                "data_offsets [16, 0], which end before they begin");
        assertRejected(write("range", file("{\"w\":{\"dtype\":\"F32\",\"shape\":[8],\"data_offsets\":[0,32]}}", data, true)),
                "truncated: tensor \"w\" has data_offsets [0, 32], but the file holds only 16 bytes of data");
    }

    @Test
    void unknownDtypesAndDuplicateNamesAreRejected() throws IOException {
        assertRejected(write("dtype", file("{\"w\":{\"dtype\":\"F99\",\"shape\":[2],\"data_offsets\":[0,8]}}",
                littleEndian(1f, 2f), true)), "tensor \"w\" has unknown dtype \"F99\"");
        assertRejected(write("dup", file("{" + W + ", " + W.replace("[0,8]", "[8,16]") + "}",
                littleEndian(1f, 2f, 3f, 4f), true)), "the header names tensor \"w\" twice");
    }

    @Test
    void emptyTensorsAreValidButCannotBeRead() throws IOException {
        Path file = write("empty", file("{\"e\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[0,0]}}", new byte[0], true));
        try (SafeTensorsFile opened = SafeTensors.open(file); Arena arena = Arena.ofShared()) {
            assertEquals(0, opened.entry("e").elementCount());
            assertMessage(() -> opened.read("e", arena), "tensor \"e\" has shape [0, 3], which a Panamax tensor cannot hold");
        }
    }

    private static void assertRejected(Path file, String expected) {
        var e = assertThrows(SafeTensorsException.class, () -> {
            try (Arena arena = Arena.ofShared()) {
                SafeTensors.read(file, arena);
            }
        });
        assertTrue(e.getMessage().startsWith(file + ": "), "the message names the file: " + e.getMessage());
        assertTrue(e.getMessage().contains(expected), "expected \"" + expected + "\" in: " + e.getMessage());
        assertEquals(file, e.file());
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable action, String expected) {
        var e = assertThrows(SafeTensorsException.class, action);
        assertTrue(e.getMessage().contains(expected), "expected \"" + expected + "\" in: " + e.getMessage());
    }

    // ---------------------------------------------------------------- atomic writes

    @Test
    void writingReplacesAnExistingFileAndLeavesNoTemporaryFile() throws IOException {
        try (Arena arena = Arena.ofShared()) {
            Path file = dir.resolve("ckpt").resolve("model.safetensors");   // the folder is created
            SafeTensors.write(file, Map.of("a", Tensor.of(arena, new float[] {1, 2}, 2)), Map.of("v", "1"));
            SafeTensors.write(file, Map.of("b", Tensor.of(arena, new float[] {3}, 1)), Map.of("v", "2"));
            SafeTensors.Contents contents = SafeTensors.read(file, arena);
            assertEquals(List.of("b"), List.copyOf(contents.tensors().keySet()));
            assertEquals("2", contents.metadata().get("v"));
            try (Stream<Path> files = Files.list(file.getParent())) {
                assertEquals(List.of(file), files.toList(), "only the checkpoint is left, no temporary file");
            }
        }
    }

    @Test
    void aFailedWriteLeavesThePreviousFileIntact() throws IOException {
        Path file = dir.resolve("config.json");
        AtomicFiles.writeString(file, "{\"version\": 1}");
        IOException failure = assertThrows(IOException.class, () -> AtomicFiles.write(file, channel -> {
            channel.write(ByteBuffer.wrap("{\"version\": 2, \"half".getBytes(StandardCharsets.UTF_8)));
            throw new IOException("disk full (simulated)");
        }));
        assertEquals("disk full (simulated)", failure.getMessage());
        assertEquals("{\"version\": 1}", Files.readString(file));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList(), "the temporary file was deleted");
        }
    }

    @Test
    void badArgumentsToWriteAreRejected() {
        try (Arena arena = Arena.ofShared()) {
            Tensor t = Tensor.zeros(arena, 1);
            var e = assertThrows(IllegalArgumentException.class,
                    () -> SafeTensors.write(dir.resolve("x"), Map.of("__metadata__", t), Map.of()));
            assertTrue(e.getMessage().contains("\"__metadata__\" cannot name a tensor"), e.getMessage());
            Tensor closed;
            try (Arena other = Arena.ofShared()) {
                closed = Tensor.zeros(other, 1);
            }
            var s = assertThrows(IllegalStateException.class,
                    () -> SafeTensors.write(dir.resolve("x"), Map.of("gone", closed), Map.of()));
            assertTrue(s.getMessage().contains("tensor \"gone\""), s.getMessage());
        }
    }
}
