package dev.panamax.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The build check of the committed PTX: when nvcc is on the PATH, native/build-ptx.sh recompiles the .cu sources
 * into a temporary directory and every file must equal the committed one byte for byte (the PTX holds no paths or
 * timestamps). Skipped, with the reason, without nvcc or with an nvcc release other than the one that produced
 * the committed files (another compiler writes different, equally valid PTX).
 */
class PtxSourcesTest {

    private static final Pattern RELEASE = Pattern.compile("release (\\d+\\.\\d+), V([0-9.]+)");

    @Test
    void committedPtxMatchesTheSources(@TempDir Path out) throws IOException, InterruptedException {
        Path native_ = Path.of("..", "native").toAbsolutePath().normalize();
        Path script = native_.resolve("build-ptx.sh");
        assumeTrue(Files.isRegularFile(script), "no native/ directory next to engine/: " + native_);
        String nvcc = nvccVersion();
        assumeTrue(nvcc != null, "nvcc is not on the PATH: the committed PTX cannot be checked against the sources");
        String committedVersion = version(PtxModules.text("gemm"));
        assumeTrue(nvcc.equals(committedVersion), "nvcc " + nvcc + " differs from " + committedVersion
                + ", which produced the committed PTX");

        Process build = new ProcessBuilder("bash", script.toString(), out.toString()).redirectErrorStream(true)
                .start();
        String log = new String(build.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(true, build.waitFor(5, TimeUnit.MINUTES), "build-ptx.sh timed out");
        assertEquals(0, build.exitValue(), "native/build-ptx.sh failed:\n" + log);
        for (String module : CudaKernel.MODULES) {
            byte[] fresh = Files.readAllBytes(out.resolve(module + ".ptx"));
            byte[] committed = PtxModules.text(module).getBytes(StandardCharsets.US_ASCII);
            assertArrayEquals(committed, fresh, module + ".ptx is stale: run native/build-ptx.sh and commit it");
        }
    }

    /** "13.0 V13.0.88" from {@code nvcc --version}, or null when there is no nvcc. */
    private static String nvccVersion() throws InterruptedException {
        try {
            Process p = new ProcessBuilder("nvcc", "--version").redirectErrorStream(true).start();
            String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return p.waitFor() == 0 ? version(text) : null;
        } catch (IOException notInstalled) {
            return null;
        }
    }

    private static String version(String text) {
        Matcher m = RELEASE.matcher(text);
        return m.find() ? m.group(1) + " V" + m.group(2) : null;
    }
}
