package dev.panamax.bench;

import dev.panamax.engine.Backend;
import dev.panamax.engine.ScalarBackend;
import dev.panamax.engine.SimdBackend;
import dev.panamax.engine.parallel.WorkerPool;
import dev.panamax.models.diffusion.DiffusionRecipe;
import dev.panamax.models.diffusion.DiffusionTrainer;
import dev.panamax.models.diffusion.Sampler;
import dev.panamax.models.diffusion.UNetConfig;
import dev.panamax.models.diffusion.data.ShapesDataset;
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
 * The diffusion recipe's U-Net ({@link DiffusionRecipe}: 28×28 grayscale, base 32 channels, multipliers 1, 2, 2,
 * attention at 7×7) at its two workloads:
 * <ul>
 *   <li>{@code trainStep}: one {@link DiffusionTrainer#step()} at batch 32 — drawing the batch and its noise,
 *       forward, MSE, backward, clipping, AdamW and the EMA update;</li>
 *   <li>{@code sampleStep}: one DDIM step for 64 images (one forward pass of 64 rows plus the update; with
 *       guidance a step costs two rows per image).</li>
 * </ul>
 * Model FLOPs per operation come from the config ({@link #trainStepFlops}, {@link #sampleStepFlops}): convolutions,
 * linear layers and attention's two products, 2 per multiply-add, the backward pass counted as twice the forward.
 * MFU divides FLOP/s by {@link PeakFlopsBenchmark}'s peak at the same thread count, measured in the same run
 * ({@link DiffusionReport} runs both and prints the table). The images are the synthetic shapes at 28×28 with their
 * 4 classes (the recipe's 10 digit classes only add 6 rows to the label table): a step costs the same whatever
 * the pixels show.
 *
 * <p>The {@code cuda} rows (threads=1, a usable GPU; otherwise they fail in {@link #setUp()} with the reason) run
 * both workloads on the CUDA backend, each call between two CUDA events ({@link GpuTime}, secondary metric
 * {@code gpuMsPerCall}). The interval covers the host work inside a call too (drawing and uploading the batch
 * and its noise, the AdamW update, which runs on the host; for sampling, downloading the images), so it is close
 * to the wall-clock score.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
// Eight warm-up iterations: on 2 cores the JIT needs ~30 s to compile all of a training step's kernels while the
// pool's threads compete with it for the cores; with three, the 2-thread training step was still warming up
// (per-iteration 7.2 s, 1.2, 0.82, then 0.56, 0.40, and 0.33-0.35 s per step from the sixth on).
@Warmup(iterations = 8, time = 3)
@Measurement(iterations = 4, time = 3)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class DiffusionStepBenchmark {

    public static final int SIDE = 28;
    public static final int TRAIN_BATCH = 32;
    public static final int SAMPLE_BATCH = 64;

    @Param({"simd", "cuda"})
    public String backend;

    @Param({"1", "2"})
    public int threads;

    private WorkerPool pool;
    private DiffusionTrainer trainer;
    private Sampler sampler;
    private int[] labels;
    private long seed;
    /** Set for the cuda rows: their calls are timed with CUDA events ({@link GpuTime}). */
    private dev.panamax.engine.cuda.CudaBackend cuda;
    private double loss;
    private float[] images;

    /** Forward + backward (2× forward) FLOPs of one training step at batch 32. */
    public static double trainStepFlops(long flopsPerImage) {
        return 3.0 * flopsPerImage * TRAIN_BATCH;
    }

    /** Forward FLOPs of one sampling step for 64 images (no guidance). */
    public static double sampleStepFlops(long flopsPerImage) {
        return (double) flopsPerImage * SAMPLE_BATCH;
    }

    @Setup(Level.Trial)
    public void setUp() {
        Backend b = switch (backend) {
            case "simd" -> {
                pool = new WorkerPool(threads);
                yield new SimdBackend(pool);
            }
            case "scalar" -> new ScalarBackend();
            case GemmBenchmark.CUDA -> cuda = GpuTime.cudaBackend(threads);
            default -> throw new IllegalArgumentException("backend '" + backend + "': expected simd, scalar or cuda");
        };
        ShapesDataset data = new ShapesDataset(4096, SIDE, 1);
        UNetConfig model = new UNetConfig(1, SIDE, SIDE, DiffusionRecipe.BASE_CHANNELS,
                DiffusionRecipe.CHANNEL_MULTIPLIERS, DiffusionRecipe.RES_BLOCKS, DiffusionRecipe.HEADS,
                DiffusionRecipe.GROUPS, data.classes(), DiffusionRecipe.TIME_EMBEDDING);
        trainer = new DiffusionTrainer(model, DiffusionRecipe.training(1).withSteps(1_000_000), data, b);
        sampler = new Sampler(trainer.ema(), trainer.schedule(), b).batch(SAMPLE_BATCH);
        labels = new int[SAMPLE_BATCH];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = i % data.classes();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        trainer.close();
        if (pool != null) {
            pool.close();
        }
    }

    @Benchmark
    public double trainStep(GpuTime gpu) {
        gpu.run(cuda, () -> loss = trainer.step());
        return loss;
    }

    @Benchmark
    public float[] sampleStep(GpuTime gpu) {
        gpu.run(cuda, () -> images = sampler.sample(Sampler.Method.DDIM, labels, 1f, 1, seed++, null));
        return images;
    }
}
