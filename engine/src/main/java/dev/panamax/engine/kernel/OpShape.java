package dev.panamax.engine.kernel;

import dev.panamax.engine.Tensor;
import java.util.Arrays;

/**
 * Argument checks for the non-GEMM operations, shared by every backend: live tensors, matching shapes, and index
 * ranges. Each message names the operation, the argument and the shapes, so a user can act on it.
 */
public final class OpShape {

    private OpShape() {
    }

    /** All tensors live and of exactly the same shape as the first. */
    public static void same(String op, String[] names, Tensor... tensors) {
        for (int i = 0; i < tensors.length; i++) {
            if (tensors[i] == null) {
                throw new IllegalArgumentException(op + ": " + names[i] + " is null");
            }
            tensors[i].requireAlive(op + " (" + names[i] + ")");
        }
        int[] shape = tensors[0].shape();
        for (int i = 1; i < tensors.length; i++) {
            if (!Arrays.equals(shape, tensors[i].shape())) {
                throw new IllegalArgumentException(op + ": " + names[i] + " is " + tensors[i].shapeString() + " but "
                        + names[0] + " is " + tensors[0].shapeString() + "; they must have the same shape");
            }
        }
    }

    /** A live tensor of {@code size} elements (any shape), e.g. a per-row statistic or a bias. */
    public static void size(String op, String name, Tensor t, long size, String what) {
        if (t == null) {
            throw new IllegalArgumentException(op + ": " + name + " is null");
        }
        t.requireAlive(op + " (" + name + ")");
        if (t.size() != size) {
            throw new IllegalArgumentException(op + ": " + name + " is " + t.shapeString() + " (" + t.size()
                    + " elements) but must hold " + size + " (" + what + ")");
        }
    }

    /** The width of the last dimension, checking the tensor is live. */
    public static int lastDim(String op, String name, Tensor t) {
        if (t == null) {
            throw new IllegalArgumentException(op + ": " + name + " is null");
        }
        t.requireAlive(op + " (" + name + ")");
        return t.dim(-1);
    }

    /** Every id in {@code [0, limit)}, except those equal to {@code ignore}. */
    public static void ids(String op, String name, int[] ids, int expectedLength, int limit, Integer ignore) {
        if (ids == null) {
            throw new IllegalArgumentException(op + ": " + name + " is null");
        }
        if (ids.length != expectedLength) {
            throw new IllegalArgumentException(op + ": " + name + " has " + ids.length + " entries, expected "
                    + expectedLength + " (one per row)");
        }
        for (int i = 0; i < ids.length; i++) {
            if ((ignore == null || ids[i] != ignore) && (ids[i] < 0 || ids[i] >= limit)) {
                throw new IllegalArgumentException(op + ": " + name + "[" + i + "] = " + ids[i] + " is outside [0, "
                        + limit + ")");
            }
        }
    }

    /** A finite, strictly positive epsilon. */
    public static void epsilon(String op, float eps) {
        if (!(eps > 0f) || Float.isInfinite(eps)) {
            throw new IllegalArgumentException(op + ": eps must be finite and > 0, got " + eps);
        }
    }
}
