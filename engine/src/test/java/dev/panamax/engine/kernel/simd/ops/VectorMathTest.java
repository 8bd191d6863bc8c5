package dev.panamax.engine.kernel.simd.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/**
 * VectorMath's exp and tanh: every vector lane equals the scalar twin bit for bit (the vector code takes 2ⁿ from
 * bits and clamps by blending, the scalar code converts and uses min/max, so this also shows the two forms
 * agree), over a fine grid, the edges of the range, special values and random bit patterns; and exp keeps its
 * documented error bound against {@link Math#exp}.
 */
class VectorMathTest {

    private static final int V = FloatVector.SPECIES_PREFERRED.length();

    private static float[] inputs() {
        float[] special = {0f, -0f, 1f, -1f, 88f, 88.0001f, 89f, -87.3f, Math.nextDown(-87.3f), Math.nextUp(-87.3f),
            -87.2f, -88f, -100f, -1e30f, 1e30f, Float.MAX_VALUE, -Float.MAX_VALUE, Float.MIN_VALUE,
            Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, 0.34657359f, -0.34657359f, 1e-8f, -1e-8f};
        int grid = 200 * 128 + 1;                       // every 1/128 from −100 to 100
        SplittableRandom random = new SplittableRandom(42);
        int randomCount = 100_000;
        float[] all = Arrays.copyOf(special, special.length + grid + 2 * randomCount);
        int at = special.length;
        for (int i = 0; i < grid; i++) {
            all[at++] = -100f + i / 128f;
        }
        for (int i = 0; i < randomCount; i++) {
            all[at++] = (float) random.nextDouble(-95, 95);
            all[at++] = Float.intBitsToFloat(random.nextInt());   // any float: huge, tiny, subnormal, NaN
        }
        return all;
    }

    /** The vector function lane by lane over {@code x} (padded to whole vectors). */
    private static float[] vectorized(float[] x, java.util.function.UnaryOperator<FloatVector> f) {
        float[] padded = Arrays.copyOf(x, (x.length + V - 1) / V * V);
        float[] out = new float[padded.length];
        for (int i = 0; i < padded.length; i += V) {
            f.apply(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, padded, i)).intoArray(out, i);
        }
        return out;
    }

    @Test
    void vectorLanesEqualTheScalarFormulasBitForBit() {
        float[] x = inputs();
        float[] exp = vectorized(x, VectorMath::exp);
        float[] tanh = vectorized(x, VectorMath::tanh);
        for (int i = 0; i < x.length; i++) {
            assertEquals(Float.floatToIntBits(VectorMath.exp(x[i])), Float.floatToIntBits(exp[i]),
                    "exp(" + x[i] + "): vector " + exp[i] + ", scalar " + VectorMath.exp(x[i]));
            assertEquals(Float.floatToIntBits(VectorMath.tanh(x[i])), Float.floatToIntBits(tanh[i]),
                    "tanh(" + x[i] + ")");
        }
    }

    @Test
    void expIsWithinThreeUlpOfTheTrueValueOnItsRange() {
        float[] x = inputs();
        float[] exp = vectorized(x, VectorMath::exp);
        double worst = 0;
        for (int i = 0; i < x.length; i++) {
            if (!(x[i] >= -87.3f && x[i] <= 88f)) {
                continue;
            }
            double exact = Math.exp(x[i]);
            double ulps = Math.abs(exp[i] - exact) / Math.ulp((float) exact);
            worst = Math.max(worst, ulps);
            assertTrue(ulps <= 3, "exp(" + x[i] + ") = " + exp[i] + ", true " + exact + ": " + ulps + " ulp");
        }
        assertTrue(worst > 0, "the check compared nothing");
        // Outside the range: 0 below (underflow), e^88 above, NaN stays NaN.
        float[] edges = vectorized(new float[] {-88f, -1e30f, 100f, Float.POSITIVE_INFINITY, Float.NaN},
                VectorMath::exp);
        assertEquals(0f, edges[0]);
        assertEquals(0f, edges[1]);
        assertEquals(VectorMath.exp(88f), edges[2]);
        assertEquals(VectorMath.exp(88f), edges[3]);
        assertTrue(Float.isNaN(edges[4]));
    }
}
