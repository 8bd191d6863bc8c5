package dev.panamax.engine.cuda;

import java.util.Locale;

/**
 * Every kernel the CUDA backend launches: the PTX module (a file {@code native/<module>.cu}, loaded from the
 * resource {@code dev/panamax/engine/cuda/<module>.ptx}) and its entry name. Launches go through these constants
 * only, so a test can compare them with the {@code .entry} names in the PTX without a GPU.
 */
enum CudaKernel {
    // elementwise.cu
    ADD("elementwise"), SUB("elementwise"), MUL("elementwise"), SCALE("elementwise"), AXPY("elementwise"),
    ADD_BIAS("elementwise"), COLUMN_SUMS("elementwise"), SUM_PARTIALS("elementwise"), MSE_PARTIALS("elementwise"),
    MSE_BACKWARD("elementwise"), GELU("elementwise"), GELU_BACKWARD("elementwise"), SILU("elementwise"),
    SILU_BACKWARD("elementwise"), RELU("elementwise"), RELU_BACKWARD("elementwise"), EMBEDDING("elementwise"),
    EMBEDDING_BACKWARD("elementwise"), CONCAT_CHANNELS("elementwise"), CONCAT_CHANNELS_BACKWARD("elementwise"),
    KV_APPEND("elementwise"), UPSAMPLE2X("elementwise"), UPSAMPLE2X_BACKWARD("elementwise"),
    AVGPOOL2X2("elementwise"), AVGPOOL2X2_BACKWARD("elementwise"), ADAM("elementwise"), TRANSPOSE("elementwise"),
    ADD_CHANNEL_BIAS("elementwise"), ADD_CHANNEL_BIAS_BACKWARD("elementwise"),
    // norms.cu
    LAYERNORM("norms"), NORM_BACKWARD_INPUT("norms"), NORM_BACKWARD_PARAMS("norms"), RMSNORM("norms"),
    GROUPNORM("norms"), GROUPNORM_BACKWARD_INPUT("norms"), GROUPNORM_BACKWARD_PARAMS("norms"),
    // softmax.cu
    SOFTMAX("softmax"), SOFTMAX_BACKWARD("softmax"), CROSS_ENTROPY("softmax"), CROSS_ENTROPY_BACKWARD("softmax"),
    // gemm.cu
    SGEMM_NN("gemm"), SGEMM_NT("gemm"), SGEMM_TN("gemm"), SGEMM_TT("gemm"),
    // attention.cu
    ATTENTION_DELTA("attention"), ATTENTION_FORWARD_D64("attention"), ATTENTION_BACKWARD_QUERY_D64("attention"),
    ATTENTION_BACKWARD_KEY_D64("attention"), ATTENTION_FORWARD_D128("attention"),
    ATTENTION_BACKWARD_QUERY_D128("attention"), ATTENTION_BACKWARD_KEY_D128("attention"),
    // conv.cu
    CONV2D_FORWARD("conv"), CONV2D_BACKWARD_INPUT("conv"), CONV2D_BACKWARD_WEIGHT("conv"),
    CONV2D_REDUCE_SPLITS("conv"), CONV2D_BIAS_GRAD("conv");

    /** The PTX modules, one per .cu file. */
    static final String[] MODULES = {"elementwise", "norms", "softmax", "gemm", "attention", "conv"};

    final String module;
    /** The PTX entry name: {@code pm_} + the constant's name in lower case. */
    final String entry;

    CudaKernel(String module) {
        this.module = module;
        this.entry = "pm_" + name().toLowerCase(Locale.ROOT);
    }

    /** The classpath resource holding a module's PTX. */
    static String resource(String module) {
        return "/dev/panamax/engine/cuda/" + module + ".ptx";
    }
}
