package dev.panamax.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import org.junit.jupiter.api.Test;

class TensorTest {

    @Test
    void factoriesFillAsDocumented() {
        try (Arena arena = Arena.ofShared()) {
            Tensor z = Tensor.zeros(arena, 2, 3);
            assertArrayEquals(new float[6], z.toArray());
            assertArrayEquals(new int[] {2, 3}, z.shape());
            Tensor v = Tensor.of(arena, new float[] {1, 2, 3, 4, 5, 6}, 3, 2);
            assertEquals(4f, v.get(1, 1));
            assertEquals(0L, v.segment().address() % Tensor.ALIGNMENT, "allocations are aligned for vector loads");
        }
    }

    @Test
    void seededRandomIsReproducibleAndHasTheRightMoments() {
        try (Arena arena = Arena.ofShared()) {
            float[] x = Tensor.randn(arena, 42, 2f, 3f, 100_000).toArray();
            assertArrayEquals(x, Tensor.randn(arena, 42, 2f, 3f, 100_000).toArray(), 0f);
            double mean = 0;
            for (float f : x) {
                mean += f;
            }
            mean /= x.length;
            double var = 0;
            for (float f : x) {
                var += (f - mean) * (f - mean);
            }
            var /= x.length;
            assertEquals(2.0, mean, 0.05);
            assertEquals(9.0, var, 0.15);
            float[] u = Tensor.uniform(arena, 7, -1f, 3f, 10_000).toArray();
            for (float f : u) {
                assertTrue(f >= -1f && f < 3f, "uniform sample " + f + " outside [-1, 3)");
            }
            assertFalse(java.util.Arrays.equals(u, Tensor.uniform(arena, 8, -1f, 3f, 10_000).toArray()));
        }
    }

    @Test
    void viewsShareMemory() {
        try (Arena arena = Arena.ofShared()) {
            Tensor t = Tensor.of(arena, new float[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 3, 4);
            Tensor r = t.reshape(2, -1);
            assertArrayEquals(new int[] {2, 6}, r.shape());
            Tensor row = t.slice(1);
            assertArrayEquals(new float[] {4, 5, 6, 7}, row.toArray());
            Tensor rows = t.rows(1, 3);
            assertArrayEquals(new int[] {2, 4}, rows.shape());
            rows.set(-1f, 1, 0);
            assertEquals(-1f, t.get(2, 0), "a view writes through to its parent");
            assertArrayEquals(new int[] {1}, Tensor.zeros(arena, 5).slice(4).shape());
        }
    }

    @Test
    void shapeAndIndexErrorsNameTheShapes() {
        try (Arena arena = Arena.ofShared()) {
            Tensor t = Tensor.zeros(arena, 3, 4);
            var e = assertThrows(IllegalArgumentException.class, () -> t.reshape(5, 3));
            assertTrue(e.getMessage().contains("[3, 4]") && e.getMessage().contains("[5, 3]"), e.getMessage());
            var i = assertThrows(IndexOutOfBoundsException.class, () -> t.get(3, 0));
            assertTrue(i.getMessage().contains("[3, 0]") && i.getMessage().contains("[3, 4]"), i.getMessage());
            assertThrows(IndexOutOfBoundsException.class, () -> t.slice(3));
            assertThrows(IndexOutOfBoundsException.class, () -> t.rows(2, 5));
            var z = assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(arena, 3, 0));
            assertTrue(z.getMessage().contains("[3, 0]"), z.getMessage());
            var n = assertThrows(IllegalArgumentException.class, () -> Tensor.of(arena, new float[5], 2, 3));
            assertTrue(n.getMessage().contains("5 values") && n.getMessage().contains("[2, 3]"), n.getMessage());
        }
    }

    @Test
    void useAfterCloseThrowsAndNeverCrashes() {
        Arena arena = Arena.ofShared();
        Tensor t = Tensor.randn(arena, 1, 4, 4);
        Tensor view = t.rows(1, 2);
        arena.close();
        assertFalse(t.isAlive());
        var e = assertThrows(IllegalStateException.class, t::toArray);
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> view.get(0, 0));
        assertThrows(IllegalStateException.class, () -> t.set(1f, 0, 0));
        assertTrue(t.toString().contains("closed"));
    }

    @Test
    void confinedArenaIsRejectedWithAnExplanation() {
        try (Arena arena = Arena.ofConfined()) {
            var e = assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(arena, 4));
            assertTrue(e.getMessage().contains("Arena.ofShared()"), e.getMessage());
        }
    }
}
