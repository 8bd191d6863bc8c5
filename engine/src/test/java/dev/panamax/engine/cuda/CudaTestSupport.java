package dev.panamax.engine.cuda;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** For the tests that need a GPU: skips them (a JUnit assumption) with the reason CUDA is unavailable. */
public final class CudaTestSupport {

    private CudaTestSupport() {
    }

    /** The CUDA backend, or skips the calling test class with the reason printed. */
    public static CudaBackend backendOrSkip() {
        CudaAvailability.Status status = CudaAvailability.status();
        if (!status.usable()) {
            System.out.println("CUDA tests skipped: " + status.detail());
        }
        assumeTrue(status.usable(), () -> "no usable CUDA GPU: " + status.detail());
        return new CudaBackend();
    }
}
