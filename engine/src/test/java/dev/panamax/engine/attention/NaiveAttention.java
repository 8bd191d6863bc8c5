package dev.panamax.engine.attention;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * The test oracle: attention computed the obvious way, in double precision, with the whole score matrix
 * materialised; plus the error bounds that a float implementation must meet against it.
 *
 * <p>Layout as in the engine: {@code (heads, T, d)} row-major per array, batch and heads flattened. With
 * {@code causal}, query i sees keys {@code j ≤ tk − tq + i}.
 *
 * <h2>Why the bounds are what they are</h2>
 * Notation: {@code u = 2⁻²⁴}, {@code γ(n) = n·u/(1 − n·u)} (Higham, §3.1), {@code s_ij = scale·q_i·k_j},
 * {@code σ_ij = scale·Σ_c |q_ic||k_jc|}, {@code π_ij} the exact probabilities, {@code m_i = max_j s_ij},
 * n the number of keys, nb the number of key blocks of the fused kernel.
 *
 * <p><b>Forward.</b> A float implementation computes each probability with a relative error {@code ε_ij}
 * (first order): the dot product is off by at most {@code γ(D+2)·σ_ij} (D fused multiply-adds, plus the rounding of
 * {@code q·scale·log2 e}, or of {@code scale·dot} in the scalar kernel); {@code s − m} is rounded ({@code u·|s − m|});
 * the base-2 scale factor is rounded once per call, which changes every score of a row by the same relative amount
 * and so, the softmax being shift-invariant, acts like {@code u·|s − m|}; the online softmax rescales a block's
 * terms by at most nb factors {@code 2^(m_old − m_new)}, each with a rounded argument (together at most
 * {@code u·|s − m|}), the exp2 error and a multiplication ({@code 3u} each); exp itself is within 2u. So
 * <pre>  E_ij = γ(D+2)·σ_ij + 3u·|s_ij − m_i| + (3·nb + 2)·u.</pre>
 * Then {@code o = Σ p v / Σ p} with perturbed p differs by {@code Σ_j π_ij ε_ij (v_j − o)}, and the two sums, each
 * term passing through at most n + nb + 1 roundings, add {@code γ(n+nb+2)·Σ_j π_ij (|v_j| + |o|)}; the division
 * adds {@code u·|o|}. For the log-sum-exp the perturbations add up as {@code Σ_j π_ij ε_ij} plus the sum's
 * {@code γ(n+nb+2)} and two roundings of the result ({@code 2u·|lse| + 2u}). The test allows twice the first-order
 * bound, which covers the second-order terms (the ε are below 10⁻⁴ in every test case).
 *
 * <p><b>Backward.</b> The kernels get q, k, v, dO and the oracle's O and lse rounded to float. P is recomputed
 * with relative error {@code εP_ij = γ(D+3)·σ_ij + 2u·|lse_i| + u·|s_ij − lse_i| + 2u} (the dot product and the
 * base-2 scale factor, which no longer cancels; lse's rounding to float and to base 2; the subtraction; exp).
 * {@code dP_ij = dO_i·v_j} is off by {@code γ(D)·ρ_ij}, {@code ρ_ij = Σ_c |dO_ic||v_jc|}; {@code Δ_i = dO_i·O_i} by
 * {@code γ(D+1)·τ_i}, {@code τ_i = Σ_c |dO_ic||O_ic|} (O rounded to float); so {@code dS = P(dP − Δ)} is off by
 * {@code eS_ij = P_ij·(εP_ij·|dP_ij − Δ_i| + γ(D)·ρ_ij + γ(D+1)·τ_i + 3u·|dP_ij − Δ_i|)} (three roundings form
 * it). Each gradient is a sum of such terms with float accumulation:
 * <pre>
 *   |δdV_jc| ≤ Σ_i P_ij·(εP_ij + γ(tq+2))·|dO_ic|
 *   |δdQ_ic| ≤ scale·Σ_j (eS_ij + γ(tk+2)·|dS_ij|)·|k_jc|
 *   |δdK_jc| ≤ scale·Σ_i (eS_ij + γ(tq+2)·|dS_ij|)·|q_ic|
 * </pre>
 * again with a factor 2 for second-order terms.
 */
final class NaiveAttention {

    static final double U = 0x1p-24;

    final int heads;
    final int tq;
    final int tk;
    final int d;
    final boolean causal;
    final double scale;
    final double[] q;
    final double[] k;
    final double[] v;
    /** Scores and probabilities, {@code (heads, tq, tk)}; masked entries have probability 0. */
    final double[] s;
    final double[] p;
    final double[] out;
    final double[] lse;

    NaiveAttention(float[] q, float[] k, float[] v, int heads, int tq, int tk, int d, boolean causal, float scale) {
        this(toDouble(q), toDouble(k), toDouble(v), heads, tq, tk, d, causal, scale);
    }

    NaiveAttention(double[] q, double[] k, double[] v, int heads, int tq, int tk, int d, boolean causal,
                   double scale) {
        this.heads = heads;
        this.tq = tq;
        this.tk = tk;
        this.d = d;
        this.causal = causal;
        this.scale = scale;
        this.q = q;
        this.k = k;
        this.v = v;
        s = new double[heads * tq * tk];
        p = new double[heads * tq * tk];
        out = new double[heads * tq * d];
        lse = new double[heads * tq];
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < tq; i++) {
                int row = (h * tq + i) * tk;
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < visible(i); j++) {
                    double dot = 0;
                    for (int c = 0; c < d; c++) {
                        dot += q[(h * tq + i) * d + c] * k[(h * tk + j) * d + c];
                    }
                    s[row + j] = scale * dot;
                    max = Math.max(max, s[row + j]);
                }
                double sum = 0;
                for (int j = 0; j < visible(i); j++) {
                    sum += Math.exp(s[row + j] - max);
                }
                for (int j = 0; j < visible(i); j++) {
                    p[row + j] = Math.exp(s[row + j] - max) / sum;
                    for (int c = 0; c < d; c++) {
                        out[(h * tq + i) * d + c] += p[row + j] * v[(h * tk + j) * d + c];
                    }
                }
                lse[h * tq + i] = max + Math.log(sum);
            }
        }
    }

    int visible(int i) {
        return causal ? tk - tq + i + 1 : tk;
    }

    double max(int h, int i) {
        double m = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < visible(i); j++) {
            m = Math.max(m, s[(h * tq + i) * tk + j]);
        }
        return m;
    }

    double sigma(int h, int i, int j) {
        double sum = 0;
        for (int c = 0; c < d; c++) {
            sum += Math.abs(q[(h * tq + i) * d + c] * k[(h * tk + j) * d + c]);
        }
        return scale * sum;
    }

    static double gamma(int n) {
        return n * U / (1 - n * U);
    }

    /** Checks a float forward result (out, and lse unless null) against the oracle with the bound above. */
    void assertForward(String what, float[] actualOut, float[] actualLse, int keyBlocks) {
        double[] e = new double[tk];
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < tq; i++) {
                int n = visible(i);
                int row = (h * tq + i) * tk;
                double m = max(h, i);
                double lseBound = 0;
                for (int j = 0; j < n; j++) {
                    e[j] = gamma(d + 2) * sigma(h, i, j) + 3 * U * Math.abs(s[row + j] - m) + (3 * keyBlocks + 2) * U;
                    lseBound += p[row + j] * e[j];
                }
                double sums = gamma(n + keyBlocks + 2);
                for (int c = 0; c < d; c++) {
                    int at = (h * tq + i) * d + c;
                    double o = out[at];
                    double bound = 0;
                    for (int j = 0; j < n; j++) {
                        double vj = v[(h * tk + j) * d + c];
                        bound += p[row + j] * (e[j] * Math.abs(vj - o) + sums * (Math.abs(vj) + Math.abs(o)));
                    }
                    bound = 2 * (bound + U * Math.abs(o));
                    check(what, "out", h, i, c, actualOut[at], o, bound);
                }
                if (actualLse != null) {
                    double l = lse[h * tq + i];
                    double bound = 2 * (lseBound + sums + 2 * U * Math.abs(l) + 2 * U);
                    check(what, "lse", h, i, -1, actualLse[h * tq + i], l, bound);
                }
            }
        }
    }

    /** The exact gradients for the output gradient {@code dOut}. */
    Gradients gradients(double[] dOut) {
        Gradients g = new Gradients(new double[q.length], new double[k.length], new double[v.length],
                new double[heads * tq * tk], new double[heads * tq * tk], new double[heads * tq]);
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < tq; i++) {
                int qi = (h * tq + i) * d;
                double delta = 0;
                for (int c = 0; c < d; c++) {
                    delta += dOut[qi + c] * out[qi + c];
                }
                g.delta[h * tq + i] = delta;
                for (int j = 0; j < visible(i); j++) {
                    int kj = (h * tk + j) * d;
                    int at = (h * tq + i) * tk + j;
                    double dp = 0;
                    for (int c = 0; c < d; c++) {
                        dp += dOut[qi + c] * v[kj + c];
                    }
                    g.dp[at] = dp;
                    double ds = p[at] * (dp - delta);
                    g.ds[at] = ds;
                    for (int c = 0; c < d; c++) {
                        g.dv[kj + c] += p[at] * dOut[qi + c];
                        g.dq[qi + c] += scale * ds * k[kj + c];
                        g.dk[kj + c] += scale * ds * q[qi + c];
                    }
                }
            }
        }
        return g;
    }

    record Gradients(double[] dq, double[] dk, double[] dv, double[] dp, double[] ds, double[] delta) {
    }

    /** Checks float gradients against the exact ones with the backward bound above. */
    void assertBackward(String what, double[] dOut, Gradients g, float[] dq, float[] dk, float[] dv) {
        double[] boundQ = new double[q.length];
        double[] boundK = new double[k.length];
        double[] boundV = new double[v.length];
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < tq; i++) {
                int qi = (h * tq + i) * d;
                double lseI = lse[h * tq + i];
                double tau = 0;
                for (int c = 0; c < d; c++) {
                    tau += Math.abs(dOut[qi + c] * out[qi + c]);
                }
                for (int j = 0; j < visible(i); j++) {
                    int kj = (h * tk + j) * d;
                    int at = (h * tq + i) * tk + j;
                    double rho = 0;
                    for (int c = 0; c < d; c++) {
                        rho += Math.abs(dOut[qi + c] * v[kj + c]);
                    }
                    double pij = p[at];
                    double epsP = gamma(d + 3) * sigma(h, i, j) + 2 * U * Math.abs(lseI)
                            + U * Math.abs(s[at] - lseI) + 2 * U;
                    double diff = Math.abs(g.dp()[at] - g.delta()[h * tq + i]);
                    double eS = pij * (epsP * diff + gamma(d) * rho + gamma(d + 1) * tau + 3 * U * diff);
                    double absDs = Math.abs(g.ds()[at]);
                    for (int c = 0; c < d; c++) {
                        boundV[kj + c] += pij * (epsP + gamma(tq + 2)) * Math.abs(dOut[qi + c]);
                        boundQ[qi + c] += scale * (eS + gamma(tk + 2) * absDs) * Math.abs(k[kj + c]);
                        boundK[kj + c] += scale * (eS + gamma(tq + 2) * absDs) * Math.abs(q[qi + c]);
                    }
                }
            }
        }
        checkAll(what, "dQ", dq, g.dq(), boundQ, tq);
        checkAll(what, "dK", dk, g.dk(), boundK, tk);
        checkAll(what, "dV", dv, g.dv(), boundV, tk);
    }

    private void checkAll(String what, String name, float[] actual, double[] expected, double[] bound, int t) {
        for (int x = 0; x < expected.length; x++) {
            int h = x / (t * d);
            int i = x / d % t;
            check(what, name, h, i, x % d, actual[x], expected[x], 2 * bound[x]);
        }
    }

    private static void check(String what, String name, int h, int i, int c, float actual, double expected,
                              double bound) {
        double diff = Math.abs(actual - expected);
        if (!(diff <= bound)) {
            fail(what + ": " + name + "[head " + h + ", row " + i + (c >= 0 ? ", col " + c : "") + "] = " + actual
                    + ", exact " + expected + ", difference " + diff + " exceeds the bound " + bound);
        }
    }

    static double[] toDouble(float[] x) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = x[i];
        }
        return y;
    }
}
