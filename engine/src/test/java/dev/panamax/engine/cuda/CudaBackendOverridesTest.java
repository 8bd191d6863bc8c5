package dev.panamax.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panamax.engine.CheckedBackend;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * CheckedBackend runs the scalar reference for kernels a backend does not override. On the CUDA backend those
 * would read host memory that may be stale, so it must override every kernel; this catches a kernel added to
 * CheckedBackend later without a CUDA version.
 */
class CudaBackendOverridesTest {

    @Test
    void everyKernelOfCheckedBackendHasACudaVersion() {
        List<String> missing = new ArrayList<>();
        for (Method m : CheckedBackend.class.getDeclaredMethods()) {
            int mod = m.getModifiers();
            if (!Modifier.isProtected(mod) || Modifier.isFinal(mod) || Modifier.isStatic(mod)) {
                continue;
            }
            try {
                CudaBackend.class.getDeclaredMethod(m.getName(), m.getParameterTypes());
            } catch (NoSuchMethodException e) {
                missing.add(m.getName());
            }
        }
        assertTrue(missing.isEmpty(), "CudaBackend does not override " + missing);
    }
}
