package dev.panamax.engine.cuda;

/**
 * The two instances of the attention kernels in attention.cu and the shared memory each needs: {@code rows}-row
 * tiles (queries or keys) with head_dim padded to {@code width} and rows stored {@code width + 1} floats apart.
 */
enum AttentionTiles {
    D64(64, 64, CudaKernel.ATTENTION_FORWARD_D64, CudaKernel.ATTENTION_BACKWARD_QUERY_D64,
            CudaKernel.ATTENTION_BACKWARD_KEY_D64),
    D128(32, 128, CudaKernel.ATTENTION_FORWARD_D128, CudaKernel.ATTENTION_BACKWARD_QUERY_D128,
            CudaKernel.ATTENTION_BACKWARD_KEY_D128);

    final int rows;
    final int width;
    final CudaKernel forward;
    final CudaKernel backwardQuery;
    final CudaKernel backwardKey;

    AttentionTiles(int rows, int width, CudaKernel forward, CudaKernel backwardQuery, CudaKernel backwardKey) {
        this.rows = rows;
        this.width = width;
        this.forward = forward;
        this.backwardQuery = backwardQuery;
        this.backwardKey = backwardKey;
    }

    private int tile() {
        return rows * (width + 1);
    }

    private int scores() {
        return rows * (rows + 1);
    }

    /** Q, K, V tiles and the probabilities. */
    int forwardBytes() {
        return (3 * tile() + scores()) * Float.BYTES;
    }

    /** Q, dO, K, V tiles and dS. */
    int backwardQueryBytes() {
        return (4 * tile() + scores()) * Float.BYTES;
    }

    /** K, V, Q, dO tiles, Pᵀ and dSᵀ, and a row each of lse and delta: the largest of the three. */
    int backwardKeyBytes() {
        return (4 * tile() + 2 * scores() + 2 * rows) * Float.BYTES;
    }
}
