package dev.panamax.engine.kernel.simd.attention;

/**
 * One thread's working memory for the attention kernels: packed operands and tiles, allocated on first use,
 * grown when a larger problem arrives, then reused (the kernels allocate nothing in steady state).
 */
final class AttentionScratch {
    // forward and decode
    float[] keysT = new float[0];        // K transposed in NR-wide panels: (j/NR)·d·NR + dd·NR + j%NR
    float[] values = new float[0];       // V in NR-wide column panels: dc·tk + j·NR + dd%NR
    float[] queries = new float[0];      // Q·scale·log2(e), one query block, row-major: r·d + dd
    float[] scores = new float[0];       // a 4 × BLOCK_K tile of scores, then probabilities
    float[] outAcc = new float[0];       // unnormalised O of one query block: r·dp + dd
    float[] rowMax = new float[0];
    float[] rowSum = new float[0];
    float[] rowScale = new float[0];
    float[] panel = new float[0];        // NR rows of K on their way into keysT
    float[] row = new float[0];          // one row on its way into column panels
    final int[] visible = new int[TileKernels.MR];
    final float[] rowLanes = new float[TileKernels.V];   // a row sum's lanes, added in order (RowKernels.exp2Row)
    // single-query decode (AttentionDecode)
    float[] decodeQuery = new float[0];   // q·scale·log2(e)
    float[] decodeScores = new float[0];  // scores, then probabilities, of the cached keys
    float[] decodeOut = new float[0];     // Σ p_j·v_j, room up to a whole vector
    float[] decodeLanes = new float[0];   // four accumulators' lanes, summed in order
    // backward
    float[] queriesPanels = new float[0]; // Q unscaled, column panels (capacity tq rounded up to 4)
    float[] dOut = new float[0];          // dO row-major, padded rows: i·dp + dd
    float[] dOutPanels = new float[0];    // dO in column panels
    float[] keysPanels = new float[0];    // K in column panels (capacity tk)
    float[] valuesT = new float[0];      // V transposed in panels, like keysT
    float[] dq = new float[0];
    float[] dk = new float[0];
    float[] dv = new float[0];
    float[] probs = new float[0];        // BLOCK_Q × BLOCK_K
    float[] dScores = new float[0];      // BLOCK_Q × BLOCK_K
    float[] lse2 = new float[0];
    float[] delta = new float[0];

    static float[] grow(float[] a, long size) {
        if (size > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("attention: a working buffer of " + size
                    + " floats would exceed a Java array; use a shorter sequence or smaller head_dim");
        }
        return a.length >= size ? a : new float[(int) size];
    }
}
