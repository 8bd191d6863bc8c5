package dev.panamax.engine.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.panamax.engine.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks the format against an independent implementation: a few lines of Python with numpy that build and parse
 * safetensors files by hand (struct + json + numpy buffers), as the {@code safetensors} package lays them out.
 * Skipped when python3 with numpy is not installed.
 */
class PythonCrossCheckTest {

    private static final String WRITER = """
            import json, struct, sys
            import numpy as np
            a = (np.arange(12, dtype=np.float32) / 7 - 0.5).reshape(3, 4)
            b = np.array([1.5, -2.0, 65504.0, 6.1e-05], dtype=np.float16)
            c32 = np.array([3.0, -0.5, 1.0 / 3], dtype=np.float32)
            c = (c32.view(np.uint32) >> 16).astype(np.uint16)            # bfloat16 by truncation
            blobs = [("a", "F32", a), ("b", "F16", b), ("c", "BF16", c)]
            header, data, offset = {"__metadata__": {"format": "pt"}}, b"", 0
            for name, dtype, arr in blobs:
                raw = arr.astype(arr.dtype.newbyteorder("<")).tobytes()
                header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [offset, offset + len(raw)]}
                data += raw
                offset += len(raw)
            text = json.dumps(header, separators=(",", ":")).encode()
            text += b" " * (-len(text) % 8)
            with open(sys.argv[1], "wb") as f:
                f.write(struct.pack("<Q", len(text)) + text + data)
            """;

    private static final String READER = """
            import json, struct, sys
            import numpy as np
            raw = open(sys.argv[1], "rb").read()
            (n,) = struct.unpack("<Q", raw[:8])
            header = json.loads(raw[8:8 + n].decode("utf-8"))
            data = raw[8 + n:]
            out = {"__metadata__": header.pop("__metadata__", {})}
            for name, info in header.items():
                assert info["dtype"] == "F32", info
                begin, end = info["data_offsets"]
                arr = np.frombuffer(data[begin:end], dtype="<f4").reshape(info["shape"])
                out[name] = {"shape": list(arr.shape), "sum": float(arr.astype(np.float64).sum()),
                             "first": float(arr.flat[0]), "last": float(arr.flat[-1])}
            assert (n % 8) == 0 and sum(i["data_offsets"][1] - i["data_offsets"][0] for i in header.values()) == len(data)
            print(json.dumps(out))
            """;

    @TempDir
    Path dir;

    @BeforeAll
    static void requirePythonWithNumpy() {
        boolean available;
        try {
            available = run(List.of("python3", "-c", "import numpy")).exitCode == 0;
        } catch (IOException e) {
            available = false;
        }
        assumeTrue(available, "python3 with numpy is not installed");
    }

    private record Result(int exitCode, String output) {
    }

    private static Result run(List<String> command) throws IOException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException("timed out: " + command);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        return new Result(process.exitValue(), new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    @Test
    void readsAFileWrittenByPython() throws IOException {
        Path file = dir.resolve("from_python.safetensors");
        Result result = run(List.of("python3", "-c", WRITER, file.toString()));
        assertEquals(0, result.exitCode, result.output);
        try (Arena arena = Arena.ofShared()) {
            SafeTensors.Contents contents = SafeTensors.read(file, arena);
            assertEquals(Map.of("format", "pt"), contents.metadata());
            float[] a = new float[12];
            for (int i = 0; i < 12; i++) {
                a[i] = (float) i / 7 - 0.5f;
            }
            assertArrayEquals(new int[] {3, 4}, contents.tensors().get("a").shape());
            assertArrayEquals(a, contents.tensors().get("a").toArray(), 1e-7f);
            assertArrayEquals(new float[] {1.5f, -2f, 65504f, Float.float16ToFloat(Float.floatToFloat16(6.1e-05f))},
                    contents.tensors().get("b").toArray(), 0f);
            float third = Float.intBitsToFloat(Float.floatToRawIntBits(1f / 3) & 0xFFFF0000);
            assertArrayEquals(new float[] {3f, -0.5f, third}, contents.tensors().get("c").toArray(), 0f);
        }
    }

    @Test
    void pythonReadsAFileWrittenByPanamax() throws IOException {
        Path file = dir.resolve("from_java.safetensors");
        try (Arena arena = Arena.ofShared()) {
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            tensors.put("x", Tensor.of(arena, new float[] {1, 2, 3, 4, 5, 6}, 2, 3));
            tensors.put("y.bias", Tensor.of(arena, new float[] {-0.25f}, 1));
            SafeTensors.write(file, tensors, Map.of("step", "7"));
        }
        Result result = run(List.of("python3", "-c", READER, file.toString()));
        assertEquals(0, result.exitCode, result.output);
        Map<?, ?> parsed = (Map<?, ?>) Json.parse(result.output.trim());
        assertEquals(Map.of("step", "7"), parsed.get("__metadata__"));
        Map<?, ?> x = (Map<?, ?>) parsed.get("x");
        assertEquals(List.of(2L, 3L), x.get("shape"));
        assertEquals(21.0, x.get("sum"));
        assertEquals(6.0, x.get("last"));
        assertEquals(-0.25, ((Map<?, ?>) parsed.get("y.bias")).get("first"));
    }
}
