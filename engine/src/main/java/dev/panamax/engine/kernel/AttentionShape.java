package dev.panamax.engine.kernel;

import dev.panamax.engine.Tensor;
import java.util.Arrays;

/**
 * Validates attention calls at the API boundary, so the kernels can trust their arguments: shapes
 * {@code (batch, heads, T, head_dim)} that agree with each other, a usable scale, live tensors, and outputs that do
 * not overlap inputs or each other. Messages name the operation, the argument and the shapes involved.
 */
public final class AttentionShape {

    /** Sizes of one call: {@code tq} query rows, {@code tk} keys ({@code maxT} cache rows for decode). */
    public record Dims(int batch, int heads, int tq, int tk, int headDim, int maxT) {
        /** batch × heads: the number of independent (batch, head) problems. */
        public int batchHeads() {
            return Math.multiplyExact(batch, heads);
        }
    }

    /**
     * The kernels keep one head of Q, K, V and dO in Java arrays with rows padded to 32 floats; beyond this many
     * floats per head operand the call is rejected with a message instead of failing inside a kernel.
     */
    private static final long MAX_HEAD_FLOATS = Integer.MAX_VALUE - 1024;

    private AttentionShape() {
    }

    /** {@code 1/√head_dim}, the usual scale, for a q of shape (batch, heads, T, head_dim). */
    public static float defaultScale(String op, Tensor q) {
        requireRank4(op, "q", q);
        return (float) (1.0 / Math.sqrt(q.dim(3)));
    }

    /** Checks {@code attention(q, k, v, out, lse, causal, scale)}; lse may be null. */
    public static Dims forward(String op, Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, boolean causal,
                               float scale) {
        Dims dims = inputs(op, q, k, v, causal, scale);
        requireSameShape(op, "out", out, "q", q);
        if (lse != null) {
            requireLseShape(op, lse, q);
        }
        Tensor[] inputs = {q, k, v};
        String[] inputNames = {"q", "k", "v"};
        requireDisjoint(op, "out", out, inputs, inputNames);
        if (lse != null) {
            requireDisjoint(op, "lse", lse, inputs, inputNames);
            requireDisjoint(op, "lse", lse, new Tensor[] {out}, new String[] {"out"});
        }
        return dims;
    }

    /** Checks {@code attentionBackward(q, k, v, out, lse, dOut, dQ, dK, dV, causal, scale)}. */
    public static Dims backward(String op, Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, Tensor dOut,
                                Tensor dQ, Tensor dK, Tensor dV, boolean causal, float scale) {
        Dims dims = inputs(op, q, k, v, causal, scale);
        requireSameShape(op, "out", out, "q", q);
        requirePresent(op, "lse", lse);
        requireLseShape(op, lse, q);
        requireSameShape(op, "dOut", dOut, "q", q);
        requireSameShape(op, "dQ", dQ, "q", q);
        requireSameShape(op, "dK", dK, "k", k);
        requireSameShape(op, "dV", dV, "v", v);
        Tensor[] inputs = {q, k, v, out, lse, dOut};
        String[] inputNames = {"q", "k", "v", "out", "lse", "dOut"};
        requireDisjoint(op, "dQ", dQ, inputs, inputNames);
        requireDisjoint(op, "dK", dK, inputs, inputNames);
        requireDisjoint(op, "dV", dV, inputs, inputNames);
        requireDisjoint(op, "dQ", dQ, new Tensor[] {dK, dV}, new String[] {"dK", "dV"});
        requireDisjoint(op, "dK", dK, new Tensor[] {dV}, new String[] {"dV"});
        return dims;
    }

    /**
     * Checks {@code attentionDecode(q, kNew, vNew, kCache, vCache, cached, out, causal, scale)}; the returned
     * dims have {@code tq} = new positions, {@code tk = cached + tq} and {@code maxT} = cache length.
     */
    public static Dims decode(String op, Tensor q, Tensor kNew, Tensor vNew, Tensor kCache, Tensor vCache,
                              int cached, Tensor out, boolean causal, float scale) {
        requireRank4(op, "q", q);
        requireSameShape(op, "kNew", kNew, "q", q);
        requireSameShape(op, "vNew", vNew, "q", q);
        requireRank4(op, "kCache", kCache);
        requireSameShape(op, "vCache", vCache, "kCache", kCache);
        requireSameShape(op, "out", out, "q", q);
        requireScale(op, scale);
        int[] qs = q.shape();
        int[] cs = kCache.shape();
        if (qs[0] != cs[0] || qs[1] != cs[1] || qs[3] != cs[3]) {
            throw new IllegalArgumentException(op + ": q is " + q.shapeString() + " but kCache is "
                    + kCache.shapeString() + ": batch, heads and head_dim must agree (layout (batch, heads, T, "
                    + "head_dim); the cache is (batch, heads, maxT, head_dim))");
        }
        int nq = qs[2];
        int maxT = cs[2];
        if (cached < 0) {
            throw new IllegalArgumentException(op + ": cached (positions already in the cache) must be >= 0, got "
                    + cached);
        }
        if ((long) cached + nq > maxT) {
            throw new IllegalArgumentException(op + ": the cache " + kCache.shapeString() + " holds maxT=" + maxT
                    + " positions; cached=" + cached + " plus " + nq + " new ones (q " + q.shapeString()
                    + ") do not fit");
        }
        Dims dims = new Dims(qs[0], qs[1], nq, cached + nq, qs[3], maxT);
        requireHeadSize(op, dims);
        Tensor[] inputs = {q, kNew, vNew};
        String[] inputNames = {"q", "kNew", "vNew"};
        requireDisjoint(op, "kCache", kCache, inputs, inputNames);
        requireDisjoint(op, "vCache", vCache, inputs, inputNames);
        requireDisjoint(op, "kCache", kCache, new Tensor[] {vCache}, new String[] {"vCache"});
        requireDisjoint(op, "out", out, new Tensor[] {q, kNew, vNew, kCache, vCache},
                new String[] {"q", "kNew", "vNew", "kCache", "vCache"});
        return dims;
    }

    private static Dims inputs(String op, Tensor q, Tensor k, Tensor v, boolean causal, float scale) {
        requireRank4(op, "q", q);
        requireRank4(op, "k", k);
        requireSameShape(op, "v", v, "k", k);
        requireScale(op, scale);
        int[] qs = q.shape();
        int[] ks = k.shape();
        if (qs[0] != ks[0] || qs[1] != ks[1] || qs[3] != ks[3]) {
            throw new IllegalArgumentException(op + ": q is " + q.shapeString() + " but k is " + k.shapeString()
                    + ": batch, heads and head_dim must agree (layout (batch, heads, T, head_dim))");
        }
        if (causal && ks[2] < qs[2]) {
            throw new IllegalArgumentException(op + ": causal attention needs at least as many keys as queries "
                    + "(query i sits at position T_k - T_q + i), but q is " + q.shapeString() + " and k is "
                    + k.shapeString());
        }
        Dims dims = new Dims(qs[0], qs[1], qs[2], ks[2], qs[3], ks[2]);
        requireHeadSize(op, dims);
        return dims;
    }

    private static void requireScale(String op, float scale) {
        if (!(scale > 0f) || Float.isInfinite(scale)) {
            throw new IllegalArgumentException(op + ": scale must be a finite number > 0 (usually 1/sqrt(head_dim)),"
                    + " got " + scale);
        }
    }

    private static void requirePresent(String op, String name, Tensor t) {
        if (t == null) {
            throw new IllegalArgumentException(op + ": " + name + " must be a tensor, got null");
        }
        t.requireAlive(op + " (" + name + ")");
    }

    private static void requireRank4(String op, String name, Tensor t) {
        requirePresent(op, name, t);
        if (t.rank() != 4) {
            throw new IllegalArgumentException(op + ": " + name + " must be 4-D (batch, heads, T, head_dim), got "
                    + t.shapeString());
        }
    }

    private static void requireSameShape(String op, String name, Tensor t, String otherName, Tensor other) {
        requirePresent(op, name, t);
        if (!Arrays.equals(t.shape(), other.shape())) {
            throw new IllegalArgumentException(op + ": " + name + " is " + t.shapeString() + " but must have the "
                    + "shape of " + otherName + ", " + other.shapeString());
        }
    }

    private static void requireLseShape(String op, Tensor lse, Tensor q) {
        requirePresent(op, "lse", lse);
        int[] want = {q.dim(0), q.dim(1), q.dim(2)};
        if (!Arrays.equals(lse.shape(), want)) {
            throw new IllegalArgumentException(op + ": lse is " + lse.shapeString() + " but must be (batch, heads, "
                    + "T_q) = " + Arrays.toString(want) + " for q " + q.shapeString());
        }
    }

    private static void requireHeadSize(String op, Dims dims) {
        long rows = Math.max(dims.tq(), dims.tk()) + 64L;
        long width = (dims.headDim() + 31L) / 32 * 32;
        if (rows * width > MAX_HEAD_FLOATS) {
            throw new IllegalArgumentException(op + ": one head of " + Math.max(dims.tq(), dims.tk()) + " positions"
                    + " × head_dim " + dims.headDim() + " is too large for the kernels' per-head buffers (at most "
                    + MAX_HEAD_FLOATS + " floats)");
        }
    }

    private static void requireDisjoint(String op, String name, Tensor out, Tensor[] others, String[] otherNames) {
        long lo = out.address();
        long hi = lo + out.size() * Float.BYTES;
        for (int i = 0; i < others.length; i++) {
            long oLo = others[i].address();
            long oHi = oLo + others[i].size() * Float.BYTES;
            if (lo < oHi && oLo < hi) {
                throw new IllegalArgumentException(op + ": output " + name + " " + out.shapeString() + " overlaps "
                        + otherNames[i] + " " + others[i].shapeString() + " in memory; write it to a separate tensor");
            }
        }
    }
}
