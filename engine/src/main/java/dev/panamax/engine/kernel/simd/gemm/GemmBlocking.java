package dev.panamax.engine.kernel.simd.gemm;

import jdk.incubator.vector.FloatVector;

/**
 * The micro-kernel and cache block sizes, chosen once from the vector shape of this CPU.
 *
 * <ul>
 *   <li>KC: a {@code KC × NR} B micro-panel plus an {@code MR × KC} A micro-panel stay in L1 (32–48 KiB).</li>
 *   <li>MC: the packed {@code MC × KC} A block stays in L2, so streaming it for every B micro-panel is cheap.</li>
 *   <li>NC: the packed {@code KC × NC} B block stays in L3, shared by all threads.</li>
 * </ul>
 *
 * Each can be overridden for tuning experiments with {@code -Dpanamax.gemm.mc/kc/nc} and
 * {@code -Dpanamax.gemm.kernel=4x2|6x2|8x2}; the values are read once, at class load.
 */
public record GemmBlocking(MicroKernel kernel, int mc, int kc, int nc) {

    /** The configuration for this JVM's preferred vector species. */
    public static final GemmBlocking DEFAULT = choose();

    private static GemmBlocking choose() {
        int vectorBits = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        boolean manyRegisters = vectorBits >= 512 || System.getProperty("os.arch", "").contains("aarch64");
        String kernelName = System.getProperty("panamax.gemm.kernel", manyRegisters ? "8x2" : "4x2");
        MicroKernel kernel = switch (kernelName) {
            case "8x2" -> new MicroKernel8x2();
            case "6x2" -> new MicroKernel6x2();
            case "4x2" -> new MicroKernel4x2();
            default -> throw new IllegalArgumentException("-Dpanamax.gemm.kernel=" + kernelName
                    + ": expected 4x2, 6x2 or 8x2");
        };
        // AVX2 values measured on a Zen machine (bench/README.md): a deeper KC amortises each tile's C update.
        int kc = Integer.getInteger("panamax.gemm.kc", manyRegisters ? 256 : 512);
        int mc = Integer.getInteger("panamax.gemm.mc", manyRegisters ? 192 : 168);
        int nc = Integer.getInteger("panamax.gemm.nc", 4096);
        return of(kernel, mc, kc, nc);
    }

    /** Rounds MC and NC to whole micro-panels. */
    public static GemmBlocking of(MicroKernel kernel, int mc, int kc, int nc) {
        if (mc < 1 || kc < 1 || nc < 1) {
            throw new IllegalArgumentException("GemmBlocking: mc, kc, nc must be >= 1, got " + mc + ", " + kc + ", " + nc);
        }
        int mr = kernel.mr();
        int nr = kernel.nr();
        return new GemmBlocking(kernel, Math.max(mr, mc / mr * mr), kc, Math.max(nr, nc / nr * nr));
    }

    @Override
    public String toString() {
        return kernel.getClass().getSimpleName() + " (" + kernel.mr() + "x" + kernel.nr() + "), MC=" + mc
                + " KC=" + kc + " NC=" + nc + ", " + FloatVector.SPECIES_PREFERRED;
    }
}
