package dev.panamax.bench;

import dev.panamax.engine.Backend;
import dev.panamax.engine.SimdBackend;
import dev.panamax.engine.Tensor;
import dev.panamax.engine.parallel.WorkerPool;
import dev.panamax.models.gpt.GptConfig;
import dev.panamax.models.gpt.GptDecoder;
import dev.panamax.models.gpt.GptModel;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One decode step of GPT-2 small (124M, fp32, random weights) at batch 1 with the KV cache: {@link GptDecoder#next}
 * after a 64-token prompt, at positions 64 to 575 (the cache is reset and the prompt prefilled again when it
 * reaches 576, outside the measured work only on average: one reset per 512 steps). Every step reads every weight
 * once: 124M·4 bytes = 498 MB (the tied LM head reads wte, 154 MB, the blocks 340 MB), plus the cache. So
 * tokens/s × 0.5 GB is the memory bandwidth the step achieves, to compare with the machine's read bandwidth.
 *
 * <p>The {@code cuda} rows (threads=1, a usable GPU; otherwise they fail in {@link #setUp()} with the reason) run
 * the decoder on the CUDA backend, each step between two CUDA events ({@link GpuTime}, secondary metric
 * {@code gpuMsPerCall}); the weights and the cache stay on the GPU, and reading the sampled logit downloads the
 * logits row, which is inside the timed interval as it is inside a real decode loop.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
    "-Xmx1g"})
public class GptGenerateBenchmark {

    /** Bytes of weights one decode step streams (fp32 GPT-2 small, wpe rows aside). */
    public static final double WEIGHT_BYTES = 4.0 * (50257L * 768 + 12L * (12L * 768 * 768 + 13L * 768));

    @Param({"simd", "cuda"})
    public String backend;

    @Param({"1", "2"})
    public int threads;

    private WorkerPool pool;
    private GptModel model;
    private GptDecoder decoder;
    /** Set for the cuda rows: their steps are timed with CUDA events ({@link GpuTime}). */
    private dev.panamax.engine.cuda.CudaBackend cuda;
    private float logit;
    private final int[] prompt = new int[64];
    private int token = 1;

    @Setup(Level.Trial)
    public void setUp() {
        Backend compute = switch (backend) {
            case "simd" -> {
                pool = new WorkerPool(threads);
                yield new SimdBackend(pool);
            }
            case GemmBenchmark.CUDA -> cuda = GpuTime.cudaBackend(threads);
            default -> throw new IllegalArgumentException("backend '" + backend + "': expected simd or cuda");
        };
        model = new GptModel(GptConfig.preset("gpt2", 0), 1);
        decoder = new GptDecoder(model, compute);
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = (i * 7919) % 50257;
        }
        decoder.prefill(prompt);
    }

    @Benchmark
    public float decodeStep(GpuTime gpu) {
        gpu.run(cuda, this::decodeOnce);
        return logit;
    }

    private void decodeOnce() {
        if (decoder.position() == 576) {
            decoder.reset();
            decoder.prefill(prompt);
        }
        Tensor logits = decoder.next(token);
        token = (token * 31 + 7) % 50257;
        logit = logits.get(0, token);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        decoder.close();
        model.close();
        if (pool != null) {
            pool.close();
        }
    }
}
