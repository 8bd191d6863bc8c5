package dev.panamax.engine.cuda;

/**
 * Whether the CUDA backend can run in this process, decided once: the first call loads JCuda's driver binding
 * (which needs {@code libcuda.so.1} from the NVIDIA driver), initialises the driver, opens device 0 and loads the
 * PTX modules. Nothing CUDA-related is touched before that first call, so the CPU backends never need it.
 *
 * <p>{@code -Dpanamax.cuda=off} skips the probe (CUDA is then reported unavailable with that reason).
 */
public final class CudaAvailability {

    /** The outcome of the probe: usable, and a one-line description (the device, or why not). */
    public record Status(boolean usable, String detail) {
    }

    private static Status status;
    private static CudaRuntime runtime;

    private CudaAvailability() {
    }

    /** Probes on first use; later calls return the same answer. */
    public static synchronized Status status() {
        if (status == null) {
            if ("off".equalsIgnoreCase(System.getProperty("panamax.cuda", "").trim())) {
                status = new Status(false, "disabled with -Dpanamax.cuda=off");
            } else {
                try {
                    runtime = CudaRuntime.start();
                    status = new Status(true, runtime.description());
                } catch (LinkageError | RuntimeException e) {
                    status = new Status(false, reason(e));
                }
            }
        }
        return status;
    }

    /** The started runtime; throws {@link IllegalStateException} with the reason when CUDA is not usable. */
    static synchronized CudaRuntime runtime() {
        Status s = status();
        if (!s.usable()) {
            throw new IllegalStateException("the cuda backend cannot run here: " + s.detail()
                    + " (choose --backend simd, or auto to fall back automatically)");
        }
        return runtime;
    }

    /** One line saying why CUDA could not start, from the exception the probe caught. */
    static String reason(Throwable e) {
        String message = String.valueOf(e.getMessage());
        if (e instanceof UnsatisfiedLinkError) {
            for (String line : message.split("\n")) {
                if (line.contains("libcuda.so")) {
                    return "UnsatisfiedLinkError: libcuda.so.1 (the NVIDIA driver) could not be loaded: "
                            + line.substring(line.indexOf("libcuda.so")).trim();
                }
            }
            return "UnsatisfiedLinkError: the JCuda driver natives (org.jcuda:jcuda-natives, linux-x86_64) could not "
                    + "be loaded: " + message.lines().findFirst().orElse("").trim();
        }
        if (e instanceof NoClassDefFoundError) {
            return "JCuda (org.jcuda:jcuda) is not on the class path: " + message;
        }
        if (message.contains("CUDA_ERROR_NO_DEVICE")) {
            return "CUDA_ERROR_NO_DEVICE: the NVIDIA driver is installed but sees no CUDA device";
        }
        String first = message.lines().findFirst().orElse("").trim();
        return e.getClass().getSimpleName() + ": " + first;
    }

    /** For {@code panamax info}: "available: <device>" or "unavailable: <reason>". */
    public static String describe() {
        Status s = status();
        return (s.usable() ? "available: " : "unavailable: ") + s.detail();
    }
}
