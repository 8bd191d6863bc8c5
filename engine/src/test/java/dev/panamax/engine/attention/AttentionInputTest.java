package dev.panamax.engine.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panamax.engine.Backend;
import dev.panamax.engine.ScalarBackend;
import dev.panamax.engine.SimdBackend;
import dev.panamax.engine.Tensor;
import java.lang.foreign.Arena;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Bad attention input throws before any kernel runs, with a message naming the operation, argument and shapes. */
class AttentionInputTest {

    private static final List<Backend> BACKENDS = List.of(new ScalarBackend(), new SimdBackend());

    private static void assertRejected(Executable call, String... fragments) {
        var e = assertThrows(IllegalArgumentException.class, call);
        for (String fragment : fragments) {
            assertTrue(e.getMessage().contains(fragment), "message '" + e.getMessage() + "' lacks '" + fragment + "'");
        }
    }

    @Test
    void forwardShapesMustAgree() {
        try (Arena arena = Arena.ofShared()) {
            Tensor q = Tensor.zeros(arena, 2, 3, 5, 8);
            Tensor k = Tensor.zeros(arena, 2, 3, 5, 8);
            Tensor v = Tensor.zeros(arena, 2, 3, 5, 8);
            Tensor out = Tensor.zeros(arena, 2, 3, 5, 8);
            Tensor lse = Tensor.zeros(arena, 2, 3, 5);
            for (Backend b : BACKENDS) {
                assertRejected(() -> b.attention(Tensor.zeros(arena, 6, 5, 8), k, v, out, lse, false, 1f),
                        "attention", "q must be 4-D (batch, heads, T, head_dim)", "[6, 5, 8]");
                assertRejected(() -> b.attention(q, k, Tensor.zeros(arena, 2, 3, 6, 8), out, lse, false, 1f),
                        "attention", "v is [2, 3, 6, 8]", "shape of k, [2, 3, 5, 8]");
                assertRejected(() -> b.attention(q, Tensor.zeros(arena, 2, 3, 5, 4), Tensor.zeros(arena, 2, 3, 5, 4),
                        out, lse, false, 1f), "q is [2, 3, 5, 8] but k is [2, 3, 5, 4]", "head_dim must agree");
                assertRejected(() -> b.attention(q, Tensor.zeros(arena, 2, 4, 5, 8), Tensor.zeros(arena, 2, 4, 5, 8),
                        out, lse, false, 1f), "batch, heads and head_dim must agree");
                assertRejected(() -> b.attention(q, k, v, Tensor.zeros(arena, 2, 3, 8, 5), lse, false, 1f),
                        "out is [2, 3, 8, 5]", "shape of q, [2, 3, 5, 8]");
                assertRejected(() -> b.attention(q, k, v, out, Tensor.zeros(arena, 2, 3, 5, 1), false, 1f),
                        "lse is [2, 3, 5, 1]", "(batch, heads, T_q) = [2, 3, 5]");
            }
        }
    }

    @Test
    void scaleMustBeFiniteAndPositive() {
        try (Arena arena = Arena.ofShared()) {
            Tensor x = Tensor.zeros(arena, 1, 1, 4, 4);
            Tensor out = Tensor.zeros(arena, 1, 1, 4, 4);
            for (Backend b : BACKENDS) {
                for (float scale : new float[] {Float.NaN, 0f, -0.5f, Float.POSITIVE_INFINITY}) {
                    assertRejected(() -> b.attention(x, x, x, out, null, true, scale), "attention",
                            "scale must be a finite number > 0", "got " + scale);
                }
            }
        }
    }

    @Test
    void causalNeedsAtLeastAsManyKeysAsQueries() {
        try (Arena arena = Arena.ofShared()) {
            Tensor q = Tensor.zeros(arena, 1, 2, 9, 4);
            Tensor kv = Tensor.zeros(arena, 1, 2, 5, 4);
            Tensor out = Tensor.zeros(arena, 1, 2, 9, 4);
            for (Backend b : BACKENDS) {
                assertRejected(() -> b.attention(q, kv, kv, out, null, true, 1f), "causal attention needs at least "
                        + "as many keys as queries", "[1, 2, 9, 4]", "[1, 2, 5, 4]");
                b.attention(q, kv, kv, out, null, false, 1f);     // fine without the mask
            }
        }
    }

    @Test
    void outputsMustNotOverlapInputs() {
        try (Arena arena = Arena.ofShared()) {
            Tensor q = Tensor.zeros(arena, 1, 2, 4, 4);
            Tensor k = Tensor.zeros(arena, 1, 2, 4, 4);
            Tensor aliasOfK = k.reshape(1, 2, 4, 4);
            Tensor lse = Tensor.zeros(arena, 1, 2, 4);
            Tensor grads = Tensor.zeros(arena, 3, 2, 4, 4);
            for (Backend b : BACKENDS) {
                assertRejected(() -> b.attention(q, k, k, aliasOfK, lse, false, 1f), "output out [1, 2, 4, 4] overlaps k");
                assertRejected(() -> b.attentionBackward(q, k, k, q, lse, q, grads.slice(0).reshape(1, 2, 4, 4),
                        grads.slice(0).reshape(1, 2, 4, 4), grads.slice(2).reshape(1, 2, 4, 4), false, 1f),
                        "attentionBackward", "output dQ", "overlaps dK");
                assertRejected(() -> b.attentionBackward(q, k, k, q, lse, q, grads.slice(0).reshape(1, 2, 4, 4),
                        grads.slice(1).reshape(1, 2, 4, 4), k, false, 1f), "output dV", "overlaps k");
            }
        }
    }

    @Test
    void backwardNeedsLseAndMatchingGradientShapes() {
        try (Arena arena = Arena.ofShared()) {
            Tensor q = Tensor.zeros(arena, 1, 2, 3, 4);
            Tensor kv = Tensor.zeros(arena, 1, 2, 6, 4);
            Tensor out = Tensor.zeros(arena, 1, 2, 3, 4);
            Tensor lse = Tensor.zeros(arena, 1, 2, 3);
            Tensor dOut = Tensor.zeros(arena, 1, 2, 3, 4);
            for (Backend b : BACKENDS) {
                assertRejected(() -> b.attentionBackward(q, kv, kv, out, null, dOut, Tensor.zeros(arena, 1, 2, 3, 4),
                        Tensor.zeros(arena, 1, 2, 6, 4), Tensor.zeros(arena, 1, 2, 6, 4), false, 1f),
                        "attentionBackward", "lse must be a tensor");
                assertRejected(() -> b.attentionBackward(q, kv, kv, out, lse, dOut, Tensor.zeros(arena, 1, 2, 3, 4),
                        Tensor.zeros(arena, 1, 2, 3, 4), Tensor.zeros(arena, 1, 2, 6, 4), false, 1f),
                        "dK is [1, 2, 3, 4]", "shape of k, [1, 2, 6, 4]");
                assertRejected(() -> b.attentionBackward(q, kv, kv, out, lse, Tensor.zeros(arena, 1, 2, 4, 3),
                        Tensor.zeros(arena, 1, 2, 3, 4), Tensor.zeros(arena, 1, 2, 6, 4),
                        Tensor.zeros(arena, 1, 2, 6, 4), false, 1f), "dOut is [1, 2, 4, 3]");
            }
        }
    }

    @Test
    void decodeChecksTheCache() {
        try (Arena arena = Arena.ofShared()) {
            Tensor q = Tensor.zeros(arena, 1, 2, 3, 4);
            Tensor kCache = Tensor.zeros(arena, 1, 2, 10, 4);
            Tensor vCache = Tensor.zeros(arena, 1, 2, 10, 4);
            Tensor out = Tensor.zeros(arena, 1, 2, 3, 4);
            for (Backend b : BACKENDS) {
                assertRejected(() -> b.attentionDecode(q, q, q, kCache, vCache, 8, out, true, 1f), "attentionDecode",
                        "holds maxT=10 positions", "cached=8 plus 3 new ones", "do not fit");
                assertRejected(() -> b.attentionDecode(q, q, q, kCache, vCache, -1, out, true, 1f), "cached",
                        ">= 0, got -1");
                assertRejected(() -> b.attentionDecode(q, q, q, kCache, Tensor.zeros(arena, 1, 2, 11, 4), 0, out,
                        true, 1f), "vCache is [1, 2, 11, 4]", "shape of kCache, [1, 2, 10, 4]");
                assertRejected(() -> b.attentionDecode(q, q, q, Tensor.zeros(arena, 1, 3, 10, 4),
                        Tensor.zeros(arena, 1, 3, 10, 4), 0, out, true, 1f), "kCache is [1, 3, 10, 4]");
                assertRejected(() -> b.attentionDecode(q, q, q, kCache, kCache, 0, out, true, 1f),
                        "output kCache", "overlaps vCache");
                assertRejected(() -> b.attentionDecode(q, q, q, kCache, vCache, 0, out, true, Float.NaN),
                        "scale must be a finite number > 0");
                b.attentionDecode(q, q, q, kCache, vCache, 7, out, true, 1f);     // exactly full: fine
            }
        }
    }

    @Test
    void closedTensorsAreReportedNotCrashed() {
        Arena arena = Arena.ofShared();
        Tensor x = Tensor.zeros(arena, 1, 1, 4, 4);
        arena.close();
        try (Arena live = Arena.ofShared()) {
            Tensor out = Tensor.zeros(live, 1, 1, 4, 4);
            for (Backend b : BACKENDS) {
                var e = assertThrows(IllegalStateException.class, () -> b.attention(x, x, x, out, null, false, 1f));
                assertTrue(e.getMessage().contains("attention (q)"), e.getMessage());
            }
        }
    }

    @Test
    void defaultScaleIsOneOverSqrtHeadDim() {
        try (Arena arena = Arena.ofShared()) {
            Tensor q = Tensor.randn(arena, 1, 1, 2, 5, 16);
            Tensor k = Tensor.randn(arena, 2, 1, 2, 5, 16);
            Tensor v = Tensor.randn(arena, 3, 1, 2, 5, 16);
            for (Backend b : BACKENDS) {
                Tensor a = Tensor.zeros(arena, 1, 2, 5, 16);
                Tensor c = Tensor.zeros(arena, 1, 2, 5, 16);
                b.attention(q, k, v, a, null, true);
                b.attention(q, k, v, c, null, true, 0.25f);
                float[] x = a.toArray();
                float[] y = c.toArray();
                for (int i = 0; i < x.length; i++) {
                    assertEquals(y[i], x[i], 0f);
                }
            }
        }
    }
}
