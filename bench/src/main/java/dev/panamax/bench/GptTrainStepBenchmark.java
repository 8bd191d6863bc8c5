package dev.panamax.bench;

import dev.panamax.engine.Backend;
import dev.panamax.engine.SimdBackend;
import dev.panamax.engine.StepMemory;
import dev.panamax.engine.autograd.Tape;
import dev.panamax.engine.optim.AdamW;
import dev.panamax.engine.parallel.WorkerPool;
import dev.panamax.models.gpt.GptConfig;
import dev.panamax.models.gpt.GptModel;
import java.util.SplittableRandom;
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
 * One full GPT training step: forward, backward (on a fresh {@link Tape}, as the trainer does) and the AdamW
 * update, on nanoGPT's small CPU config ({@code shakespeare-char-small}, B = 12, T = 64, vocab 65) and on GPT-2
 * small (124M, B = 4, T = 64), the shapes llm.c's {@code train_gpt2.c} was timed on.
 *
 * <p>Figures derived from the time per step t: tokens/s = B·T / t, and MFU = {@link #modelFlops} / t divided by
 * the FMA peak {@link PeakFlopsBenchmark} measures in the same run (6 FLOPs per weight per token plus attention,
 * {@link GptConfig#trainingFlops}).
 *
 * <p>The {@code cuda} rows (threads=1, a usable GPU; otherwise they fail in {@link #setUp()} with the reason) run
 * the same step on the CUDA backend, between two CUDA events ({@link GpuTime}, secondary metric
 * {@code gpuMsPerCall}). The event interval spans the whole step, including the host work inside it (reading the
 * loss, and the AdamW update, which runs on the host and moves parameters and gradients across each step), so
 * there it is close to the wall-clock score: the gap between the two is the host time before the first kernel.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
    "-Xmx2g"})
public class GptTrainStepBenchmark {

    @Param({"shakespeare-char-small", "gpt2"})
    public String config;

    @Param({"simd", "cuda"})
    public String backend;

    @Param({"1", "2"})
    public int threads;

    /**
     * {@code reused}: each step takes its activations from a {@link StepMemory}, as the trainer does;
     * {@code fresh}: each step allocates new zeroed memory, for the same-run comparison.
     */
    @Param({"reused", "fresh"})
    public String memory;

    private StepMemory stepMemory;

    private WorkerPool pool;
    private Backend compute;
    /** Set for the cuda rows: their steps are timed with CUDA events ({@link GpuTime}). */
    private dev.panamax.engine.cuda.CudaBackend cuda;
    private GptModel model;
    private AdamW adam;
    private int batch;
    private int time;
    private int[] inputs;
    private int[] targets;
    private float loss;

    /** nanoGPT's batch for the small config, llm.c's for GPT-2 small. */
    public static int batchSize(String config) {
        return config.equals("gpt2") ? 4 : 12;
    }

    /** Model FLOPs of one step of {@code config}. */
    public static double modelFlops(String config) {
        GptConfig c = GptConfig.preset(config, 65);
        return c.trainingFlops((long) batchSize(config) * 64, 64);
    }

    @Setup(Level.Trial)
    public void setUp() {
        compute = switch (backend) {
            case "simd" -> {
                pool = new WorkerPool(threads);
                yield new SimdBackend(pool);
            }
            case GemmBenchmark.CUDA -> cuda = GpuTime.cudaBackend(threads);
            default -> throw new IllegalArgumentException("backend '" + backend + "': expected simd or cuda");
        };
        stepMemory = switch (memory) {
            case "reused" -> new StepMemory();
            case "fresh" -> null;
            default -> throw new IllegalArgumentException("memory '" + memory + "': expected reused or fresh");
        };
        GptConfig c = GptConfig.preset(config, 65);
        model = new GptModel(c, 1);
        adam = new AdamW(6e-4, 0.9, 0.99, 1e-8, 0.1);
        adam.setWorkerPool(compute.workerPool());      // as the trainer does
        batch = batchSize(config);
        time = 64;
        SplittableRandom random = new SplittableRandom(3);
        inputs = random.ints(batch * time, 0, c.vocabSize()).toArray();
        targets = random.ints(batch * time, 0, c.vocabSize()).toArray();
    }

    @Benchmark
    public float step(GpuTime gpu) {
        gpu.run(cuda, this::trainOnce);
        return loss;
    }

    private void trainOnce() {
        try (Tape tape = new Tape(compute, stepMemory)) {
            var l = model.loss(tape, inputs, targets, batch, time, 0f, 0);
            tape.backward(l);
            loss = l.item();
        }
        adam.step(model.parameters());
        adam.zeroGrad(model.parameters());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        adam.close();
        model.close();
        if (pool != null) {
            pool.close();
        }
    }
}
