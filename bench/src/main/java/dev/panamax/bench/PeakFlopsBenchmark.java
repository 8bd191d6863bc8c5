package dev.panamax.bench;

import dev.panamax.engine.parallel.WorkerPool;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
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
 * The fp32 fused-multiply-add ceiling of this machine as the Vector API reaches it, per thread count: the number
 * {@link GemmReport} divides GEMM throughput by. Measuring it in the same run, on the same JVM and the same
 * (possibly virtual, possibly throttled) cores, makes "fraction of peak" honest where a datasheet figure would not
 * be.
 *
 * <p>Each thread runs {@value #CHAINS} independent FMA chains with nothing else in the loop. Independent chains
 * hide the FMA latency (4 to 5 cycles, at 1 to 2 FMAs issued per cycle, so at most ~10 in flight), yet 12
 * accumulators plus two operands still fit in the 16 AVX2 registers. Each chain is {@code acc = x·y + acc}, the
 * accumulate form of a GEMM micro-kernel, which C2 compiles to one in-place {@code vfmadd231ps}; the other form,
 * {@code acc = acc·x + y}, makes C2 copy the loop-invariant addend into a fresh register for every FMA and spill
 * accumulators to the stack, and measured a third lower. The product is small, so the accumulators stay normal
 * numbers, far from infinities and subnormals.
 *
 * <p>One benchmark operation is every thread making {@value #CALLS} calls of {@value #ITERATIONS} loop trips, so
 * its FLOP count is known exactly ({@link #flopsPerOp(int)}). The work is cut into many short calls rather than
 * one long loop because, until C2 compiles it, Vector API code runs boxed and a thousand times slower: a single
 * long loop would keep a short warmup from ever reaching compiled code. Threads run on the engine's
 * {@link WorkerPool}, the same one the SIMD GEMM uses.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class PeakFlopsBenchmark {

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

    /** Independent accumulator chains per thread. */
    public static final int CHAINS = 12;
    /** Loop trips per call of the FMA loop. */
    public static final int ITERATIONS = 1 << 10;
    /** Calls per thread and operation: a few milliseconds of FMAs, so waking the pool's workers is noise. */
    public static final int CALLS = 1 << 10;

    @Param({"1", "2"})
    public int threads;

    // Fields, not constants, so the JIT cannot fold the arithmetic.
    private float x = 1e-3f;
    private float y = 1e-3f;

    private WorkerPool pool;
    private float[] resultPerThread;

    /** Floating-point operations of one benchmark operation on {@code threads} threads (an FMA counts as 2). */
    public static double flopsPerOp(int threads) {
        return 2.0 * threads * CALLS * ITERATIONS * CHAINS * SPECIES.length();
    }

    /** The vector shape the peak is measured with, e.g. "Species[float, 8, S_256_BIT]". */
    public static String species() {
        return SPECIES.toString();
    }

    @Setup(Level.Trial)
    public void setUp() {
        pool = new WorkerPool(threads);
        resultPerThread = new float[threads];
    }

    @Benchmark
    public float fmaPeak() {
        float xs = x;
        float ys = y;
        pool.run(part -> {
            float result = 0;
            for (int call = 0; call < CALLS; call++) {
                result += fmaChains(ITERATIONS, xs, ys);
            }
            resultPerThread[part] = result;
        });
        float sum = 0;
        for (float r : resultPerThread) {
            sum += r;
        }
        return sum;
    }

    /** {@value #CHAINS} independent chains {@code acc += x·y}, summed at the end so none is dead code. */
    static float fmaChains(int iterations, float x, float y) {
        FloatVector xv = FloatVector.broadcast(SPECIES, x);
        FloatVector yv = FloatVector.broadcast(SPECIES, y);
        FloatVector acc0 = FloatVector.broadcast(SPECIES, 0.0f);
        FloatVector acc1 = FloatVector.broadcast(SPECIES, 0.1f);
        FloatVector acc2 = FloatVector.broadcast(SPECIES, 0.2f);
        FloatVector acc3 = FloatVector.broadcast(SPECIES, 0.3f);
        FloatVector acc4 = FloatVector.broadcast(SPECIES, 0.4f);
        FloatVector acc5 = FloatVector.broadcast(SPECIES, 0.5f);
        FloatVector acc6 = FloatVector.broadcast(SPECIES, 0.6f);
        FloatVector acc7 = FloatVector.broadcast(SPECIES, 0.7f);
        FloatVector acc8 = FloatVector.broadcast(SPECIES, 0.8f);
        FloatVector acc9 = FloatVector.broadcast(SPECIES, 0.9f);
        FloatVector acc10 = FloatVector.broadcast(SPECIES, 1.0f);
        FloatVector acc11 = FloatVector.broadcast(SPECIES, 1.1f);
        for (int i = 0; i < iterations; i++) {
            acc0 = xv.fma(yv, acc0);
            acc1 = xv.fma(yv, acc1);
            acc2 = xv.fma(yv, acc2);
            acc3 = xv.fma(yv, acc3);
            acc4 = xv.fma(yv, acc4);
            acc5 = xv.fma(yv, acc5);
            acc6 = xv.fma(yv, acc6);
            acc7 = xv.fma(yv, acc7);
            acc8 = xv.fma(yv, acc8);
            acc9 = xv.fma(yv, acc9);
            acc10 = xv.fma(yv, acc10);
            acc11 = xv.fma(yv, acc11);
        }
        FloatVector sum = acc0.add(acc1).add(acc2).add(acc3).add(acc4).add(acc5)
                .add(acc6).add(acc7).add(acc8).add(acc9).add(acc10).add(acc11);
        return sum.reduceLanes(VectorOperators.ADD);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
    }
}
