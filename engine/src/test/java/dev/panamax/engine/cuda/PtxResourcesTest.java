package dev.panamax.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The committed PTX, checked without a GPU: every kernel the Java side launches is an entry point of the module
 * it is looked up in (a misspelt or renamed kernel would otherwise only fail on a device), every entry point is
 * launched by something, and the modules target what the backend documents.
 */
class PtxResourcesTest {

    @Test
    void everyLaunchedKernelIsAnEntryOfItsModuleAndEveryEntryIsLaunched() {
        Set<String> launched = new TreeSet<>();
        for (CudaKernel k : CudaKernel.values()) {
            launched.add(k.module + ":" + k.entry);
        }
        Set<String> defined = new TreeSet<>();
        for (String module : CudaKernel.MODULES) {
            for (String entry : PtxModules.entries(PtxModules.text(module))) {
                defined.add(module + ":" + entry);
            }
        }
        Set<String> missing = new TreeSet<>(launched);
        missing.removeAll(defined);
        Set<String> unused = new TreeSet<>(defined);
        unused.removeAll(launched);
        assertTrue(missing.isEmpty(), "launched but not in the PTX (rebuild with native/build-ptx.sh?): " + missing);
        assertTrue(unused.isEmpty(), "in the PTX but never launched: " + unused);
    }

    @Test
    void everyModuleIsPortablePtxForAmpereAndNewer() {
        Set<String> modulesOfKernels = new LinkedHashSet<>();
        for (CudaKernel k : EnumSet.allOf(CudaKernel.class)) {
            modulesOfKernels.add(k.module);
        }
        assertEquals(Set.of(CudaKernel.MODULES), modulesOfKernels);
        for (String module : CudaKernel.MODULES) {
            String ptx = PtxModules.text(module);
            assertTrue(ptx.contains("\n.version 7.0\n"), module + ": PTX ISA 7.0 (loads on drivers from CUDA 11)");
            assertTrue(ptx.contains("\n.target sm_80\n"), module + ": compute_80 target");
            assertTrue(ptx.contains("\n.address_size 64\n"), module);
            assertTrue(!ptx.contains("/work/") && !ptx.contains("/tmp/") && !ptx.contains("/home/"),
                    module + ": no machine paths in the committed PTX");
            byte[] image = PtxModules.image(module);
            assertEquals(0, image[image.length - 1], "cuModuleLoadData needs a NUL-terminated image");
        }
    }

    @Test
    void attentionTilesFitTheSharedMemoryOfAnA100() {
        int a100OptIn = 163 * 1024;
        for (AttentionTiles t : AttentionTiles.values()) {
            assertTrue(t.forwardBytes() <= a100OptIn && t.backwardQueryBytes() <= a100OptIn
                    && t.backwardKeyBytes() <= a100OptIn, t + " needs too much shared memory");
            assertTrue(t.backwardKeyBytes() >= t.forwardBytes() && t.backwardKeyBytes() >= t.backwardQueryBytes(),
                    "the backend checks backwardKeyBytes as the largest");
        }
        assertEquals(64, AttentionTiles.D64.width);
        assertEquals(CudaBackend.MAX_HEAD_DIM, AttentionTiles.D128.width);
    }

    @Test
    void poolSizesRecurAndWasteLittle() {
        for (long bytes : new long[] {1, 4, 255, 256, 257, 4096, 100_000, 12_345_678, 3L << 30}) {
            long rounded = DeviceMemoryPool.roundUp(bytes);
            assertTrue(rounded >= bytes && rounded % 256 == 0, bytes + " → " + rounded);
            assertTrue(rounded <= Math.max(256, bytes * 1.125 + 256), bytes + " → " + rounded);
            assertEquals(rounded, DeviceMemoryPool.roundUp(rounded), "a rounded size maps to itself");
        }
    }
}
