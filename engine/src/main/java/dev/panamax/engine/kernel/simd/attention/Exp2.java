package dev.panamax.engine.kernel.simd.attention;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code 2^x} in float for the softmax of the attention kernels, vectorized, with a scalar twin that performs the
 * same operations one lane at a time, so the two agree bit for bit (the kernels compute per-row rescale factors
 * with the scalar one and whole rows with the vector one).
 *
 * <p>The kernels work in base 2: scores are scaled by {@code scale·log2(e)} up front, so each probability is
 * {@code 2^(s − max)} and needs no multiplication by log2(e), and the range reduction is exact: {@code n =
 * round(x)} (formed by adding 1.5·2²³, so the rounding is the hardware's round-to-nearest), {@code r = x − n}
 * exactly, in [−½, ½]; {@code 2^r} by Cephes' degree-6 minimax polynomial ({@code exp2f}), evaluated with fused
 * multiply-adds; {@code 2ⁿ} built from the integer bits of the rounded sum (no float-to-int conversion, whose
 * Java NaN semantics cost extra instructions).
 *
 * <p><b>Domain and accuracy.</b> Defined for {@code x ≤ 127} (softmax arguments are ≤ 0; larger x give
 * unspecified results, there is no overflow check in the hot loop). Inputs below −126 are clamped: the result is
 * {@code 2⁻¹²⁶} (≈ 1.2·10⁻³⁸) instead of a subnormal or 0, which no softmax can notice (its largest term is 1).
 * {@code NaN} stays {@code NaN}. On [−126, 127] the relative error is at most {@link #MAX_RELATIVE_ERROR}
 * = 2·2⁻²⁴ (under 1 ulp; {@code Exp2Test} measures it against {@link StrictMath#pow} on every test run: the
 * largest error seen is 0.93 ulp). {@code 2⁰ = 1} exactly. Measured here (AVX2): about 1 ns per element,
 * 8 lanes at a time.
 *
 * <p>Why not {@code FloatVector.lanewise(EXP)}: compiled, it calls a vendor library (SVML) while the interpreter
 * and C1 use {@code Math.exp} per lane, so the last bit of a result could depend on when the JIT compiled the
 * caller; results must be identical whatever the thread count and timing.
 */
public final class Exp2 {

    /** Relative error bound of {@link #exp2(float)} and {@link #exp2(FloatVector)} on [−126, 127]. */
    public static final double MAX_RELATIVE_ERROR = 2.0 * 0x1p-24;
    /** {@code log2(e)}: the factor that turns natural-log scores into base-2 ones. */
    public static final double LOG2E = 1.4426950408889634;
    /** {@code ln(2)}. */
    public static final double LN2 = 0.6931471805599453;

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /** 1.5·2²³ + 127: adding it rounds to an integer whose low 9 bits hold the biased exponent n + 127. */
    private static final float ROUND_BIAS = 12582912f + 127f;
    private static final float LOW = -126f;
    private static final float P0 = 1.535336188319500e-4f;
    private static final float P1 = 1.339887440266574e-3f;
    private static final float P2 = 9.618437357674640e-3f;
    private static final float P3 = 5.550332471162809e-2f;
    private static final float P4 = 2.402264791363012e-1f;
    private static final float P5 = 6.931472028550421e-1f;

    private Exp2() {
    }

    /** Lane-wise {@code 2^x}; see the class comment for domain and accuracy. */
    public static FloatVector exp2(FloatVector x) {
        // Clamp with compare + blend: FloatVector.max follows Math.max's NaN and signed-zero rules, which cost
        // several instructions on AVX2 (measured: exp2 1.5x slower); a comparison is false for NaN, so NaN
        // passes through.
        FloatVector c = x.blend(LOW, x.lt(LOW));
        FloatVector t = c.add(ROUND_BIAS);
        FloatVector r = c.sub(t.sub(ROUND_BIAS));
        FloatVector p = r.fma(P0, P1);
        p = p.fma(r, FloatVector.broadcast(S, P2));
        p = p.fma(r, FloatVector.broadcast(S, P3));
        p = p.fma(r, FloatVector.broadcast(S, P4));
        p = p.fma(r, FloatVector.broadcast(S, P5));
        FloatVector y = p.fma(r, FloatVector.broadcast(S, 1f));
        FloatVector twoN = t.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return y.mul(twoN);
    }

    /** {@code 2^x}, bit-identical to one lane of {@link #exp2(FloatVector)}. */
    public static float exp2(float x) {
        float c = x < LOW ? LOW : x;
        float t = c + ROUND_BIAS;
        float r = c - (t - ROUND_BIAS);
        float p = Math.fma(r, P0, P1);
        p = Math.fma(p, r, P2);
        p = Math.fma(p, r, P3);
        p = Math.fma(p, r, P4);
        p = Math.fma(p, r, P5);
        float y = Math.fma(p, r, 1f);
        float twoN = Float.intBitsToFloat(Float.floatToRawIntBits(t) << 23);
        return y * twoN;
    }
}
