package dev.panamax.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.panamax.engine.Backend;
import dev.panamax.engine.Backends;
import dev.panamax.engine.SimdBackend;
import jcuda.CudaException;
import org.junit.jupiter.api.Test;

/** Backend selection with and without a GPU, and the one-line reasons users see when CUDA cannot run. */
class CudaAvailabilityTest {

    @Test
    void theProbeGivesTheSameAnswerEveryTime() {
        CudaAvailability.Status first = CudaAvailability.status();
        assertEquals(first, CudaAvailability.status());
        assertFalse(first.detail().isBlank(), "the status must say what was found or why CUDA is unusable");
    }

    @Test
    void withoutAGpuAutoFallsBackToSimdAndCudaThrowsTheReason() {
        CudaAvailability.Status status = CudaAvailability.status();
        assumeFalse(status.usable(), "this machine has a usable GPU: " + status.detail());
        Backend auto = Backends.select("auto");
        assertInstanceOf(SimdBackend.class, auto, "auto must fall back to simd without a GPU");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Backends.select("cuda"));
        assertTrue(e.getMessage().contains(status.detail()), "the error must carry the reason: " + e.getMessage());
        assertTrue(e.getMessage().contains("--backend simd"), "the error must say what to do: " + e.getMessage());
        assertTrue(e.getMessage().length() < 400, "one readable line, not a stack dump: " + e.getMessage());
        assertThrows(IllegalStateException.class, CudaBackend::new);
    }

    @Test
    void withAGpuAutoPicksCuda() {
        CudaAvailability.Status status = CudaAvailability.status();
        assumeTrue(status.usable(), () -> "no usable CUDA GPU: " + status.detail());
        assertEquals("cuda", Backends.select("auto").name());
        assertEquals("cuda", Backends.select(" CUDA ").name());
    }

    @Test
    void cudaIsAmongTheNamesTheCliOffers() {
        assertTrue(Backends.NAMES.contains("cuda"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Backends.select("gpu"));
        assertTrue(e.getMessage().contains("cuda"), e.getMessage());
    }

    @Test
    void aMissingDriverLibraryIsNamed() {
        UnsatisfiedLinkError error = new UnsatisfiedLinkError("Error while loading native library "
                + "\"JCudaDriver-12.6.0-linux-x86_64\"\nOperating system name: Linux\n---(start of nested stack "
                + "traces)---\njava.lang.UnsatisfiedLinkError: /tmp/libJCudaDriver-12.6.0-linux-x86_64.so: "
                + "libcuda.so.1: cannot open shared object file: No such file or directory\n\tat x.y(Z.java:1)");
        String reason = CudaAvailability.reason(error);
        assertTrue(reason.startsWith("UnsatisfiedLinkError: libcuda.so.1"), reason);
        assertTrue(reason.contains("cannot open shared object file"), reason);
        assertFalse(reason.contains("\n"), "one line: " + reason);
    }

    @Test
    void missingJCudaNativesAreNamed() {
        String reason = CudaAvailability.reason(new UnsatisfiedLinkError(
                "Error while loading native library \"JCudaDriver-12.6.0-linux-x86_64\"\nmore"));
        assertTrue(reason.contains("jcuda-natives"), reason);
        assertFalse(reason.contains("\n"), reason);
    }

    @Test
    void noDeviceIsNamed() {
        String reason = CudaAvailability.reason(new CudaException("CUDA_ERROR_NO_DEVICE"));
        assertTrue(reason.startsWith("CUDA_ERROR_NO_DEVICE"), reason);
    }

    @Test
    void onThisMachineTheReasonIsOneOfTheDocumentedOnes() {
        CudaAvailability.Status status = CudaAvailability.status();
        assumeFalse(status.usable(), "this machine has a usable GPU: " + status.detail());
        String d = status.detail();
        assertTrue(d.contains("libcuda.so.1") || d.contains("jcuda-natives") || d.contains("CUDA_ERROR")
                || d.contains("panamax.cuda=off") || d.contains("compute capability"), d);
    }
}
