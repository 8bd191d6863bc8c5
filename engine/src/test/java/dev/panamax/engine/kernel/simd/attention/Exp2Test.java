package dev.panamax.engine.kernel.simd.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

/** The documented accuracy and edge cases of {@link Exp2}, and the bit-identity of its vector and scalar forms. */
class Exp2Test {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    @Test
    void relativeErrorIsWithinTheDocumentedBoundAndBothFormsAgree() {
        int points = 1 << 21;
        float[] x = new float[S.length()];
        float[] y = new float[S.length()];
        double worst = 0;
        float worstAt = 0;
        for (int i = 0; i < points; i += S.length()) {
            for (int lane = 0; lane < S.length(); lane++) {
                // Evenly over [-126, 127], plus the exact integers and half-integers (the reduction's edges).
                int n = i + lane;
                x[lane] = n % 7 == 0 ? (n / 7 % 507 - 252) * 0.5f : (float) (-126 + 253.0 * n / points);
            }
            Exp2.exp2(FloatVector.fromArray(S, x, 0)).intoArray(y, 0);
            for (int lane = 0; lane < S.length(); lane++) {
                float scalar = Exp2.exp2(x[lane]);
                if (Float.floatToRawIntBits(scalar) != Float.floatToRawIntBits(y[lane])) {
                    fail("exp2(" + x[lane] + "): vector " + y[lane] + ", scalar " + scalar);
                }
                double exact = StrictMath.pow(2, x[lane]);
                double error = Math.abs(y[lane] - exact) / exact;
                if (error > worst) {
                    worst = error;
                    worstAt = x[lane];
                }
            }
        }
        assertTrue(worst <= Exp2.MAX_RELATIVE_ERROR, "largest relative error " + worst + " at x = " + worstAt
                + " exceeds the documented " + Exp2.MAX_RELATIVE_ERROR);
    }

    @Test
    void edgeCases() {
        assertEquals(1f, Exp2.exp2(0f), 0f);
        assertEquals(1f, Exp2.exp2(-0f), 0f);
        assertEquals(0.5f, Exp2.exp2(-1f), 0f);
        assertEquals(0x1p-126f, Exp2.exp2(-126f), 0f);
        assertEquals(0x1p-126f, Exp2.exp2(-1000f), 0f, "below -126 the result is clamped to 2^-126");
        assertEquals(0x1p-126f, Exp2.exp2(Float.NEGATIVE_INFINITY), 0f);
        assertEquals(0x1p127f, Exp2.exp2(127f), 0f);
        assertTrue(Float.isNaN(Exp2.exp2(Float.NaN)));
        float[] special = new float[S.length()];
        special[0] = Float.NaN;
        special[1 % S.length()] = Float.NEGATIVE_INFINITY;
        float[] out = new float[S.length()];
        Exp2.exp2(FloatVector.fromArray(S, special, 0)).intoArray(out, 0);
        assertTrue(Float.isNaN(out[0]));
        if (S.length() > 1) {
            assertEquals(0x1p-126f, out[1], 0f);
        }
    }
}
