package dev.panamax.engine.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads the committed PTX resources and lists their kernel entry points (no GPU needed). */
final class PtxModules {

    private static final Pattern ENTRY = Pattern.compile("^\\.visible \\.entry ([A-Za-z_][A-Za-z0-9_]*)\\(",
            Pattern.MULTILINE);

    private PtxModules() {
    }

    /** The PTX text of a module, e.g. "gemm". */
    static String text(String module) {
        String resource = CudaKernel.resource(module);
        try (InputStream in = PtxModules.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("the PTX resource " + resource + " is missing from the class path; "
                        + "rebuild it with native/build-ptx.sh");
            }
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the PTX resource " + resource, e);
        }
    }

    /** The names of the kernels ({@code .visible .entry}) a PTX text defines, in file order. */
    static Set<String> entries(String ptx) {
        Set<String> names = new LinkedHashSet<>();
        Matcher m = ENTRY.matcher(ptx);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    /** The PTX as the NUL-terminated bytes {@code cuModuleLoadData} expects. */
    static byte[] image(String module) {
        byte[] text = text(module).getBytes(StandardCharsets.US_ASCII);
        byte[] image = new byte[text.length + 1];
        System.arraycopy(text, 0, image, 0, text.length);
        return image;
    }
}
