package dev.panamax.bench;

import dev.panamax.engine.parallel.WorkerPool;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
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
import org.openjdk.jmh.infra.Blackhole;

/**
 * The machine's memory read bandwidth, STREAM-style: the sum of a large off-heap float array, far larger than
 * the caches, so every byte comes from DRAM. This is the ceiling of GPT decoding, which reads every weight once
 * per token (GPT-2 124M in fp32: ~0.5 GB per token), so tokens/s ≤ bandwidth ÷ bytes of weights.
 *
 * <p>One operation reads the whole array once; {@link #gigabytesPerSecond} turns JMH's ms/op into GB/s (10⁹
 * bytes). The array is split into one contiguous share per thread on the engine's {@link WorkerPool}, the pool the
 * model's kernels use. Each share is read in chunks of {@value #CHUNK_BYTES} bytes by a small method that keeps
 * four independent vector accumulators (so the adds' latency never stalls the loads) and reduces them to one
 * float only at the chunk's end, never inside the loop. Chunks, rather than one loop over the whole share, let
 * C2 compile the method during warm-up: a single long loop would run its first pass interpreted, with every vector
 * boxed. The sums are consumed by a {@link Blackhole}, so the JIT cannot drop the loads.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class MemoryBandwidthBenchmark {

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    /** Bytes one call of {@link #sumChunk} reads: 1 MiB. */
    static final long CHUNK_BYTES = 1 << 20;

    /** Size of the array in MiB; 1024 (1 GiB) is far beyond any L3 (32 MiB per CCX on this EPYC). */
    @Param({"1024"})
    public int sizeMiB;

    @Param({"1", "2"})
    public int threads;

    private Arena arena;
    private MemorySegment data;
    private WorkerPool pool;
    private float[] partSums;

    /** Read bandwidth in GB/s (10⁹ bytes per second) of one pass over {@code sizeMiB} MiB taking {@code msPerOp}. */
    public static double gigabytesPerSecond(int sizeMiB, double msPerOp) {
        return sizeMiB * (double) (1 << 20) / (msPerOp * 1e-3) / 1e9;
    }

    @Setup(Level.Trial)
    public void setUp() {
        arena = Arena.ofShared();
        long bytes = (long) sizeMiB << 20;
        data = arena.allocate(bytes, 64);
        // Every float becomes 0x3A3A3A3A ≈ 7.1e-4: a normal number, so the adds never meet subnormals.
        data.fill((byte) 0x3A);
        pool = new WorkerPool(threads);
        partSums = new float[threads];
    }

    @Benchmark
    public void readSum(Blackhole blackhole) {
        long chunks = data.byteSize() / CHUNK_BYTES;
        pool.run(part -> {
            long first = chunks * part / threads;
            long end = chunks * (part + 1) / threads;
            float sum = 0;
            for (long c = first; c < end; c++) {
                sum += sumChunk(data, c * CHUNK_BYTES, CHUNK_BYTES);
            }
            partSums[part] = sum;
        });
        for (float s : partSums) {
            blackhole.consume(s);
        }
    }

    /** The sum of the {@code bytes / 4} floats at {@code offset}; {@code bytes} is a multiple of 4 vectors. */
    static float sumChunk(MemorySegment data, long offset, long bytes) {
        long step = SPECIES.vectorByteSize();
        FloatVector acc0 = FloatVector.zero(SPECIES);
        FloatVector acc1 = FloatVector.zero(SPECIES);
        FloatVector acc2 = FloatVector.zero(SPECIES);
        FloatVector acc3 = FloatVector.zero(SPECIES);
        for (long at = offset, end = offset + bytes; at < end; at += 4 * step) {
            acc0 = acc0.add(FloatVector.fromMemorySegment(SPECIES, data, at, ORDER));
            acc1 = acc1.add(FloatVector.fromMemorySegment(SPECIES, data, at + step, ORDER));
            acc2 = acc2.add(FloatVector.fromMemorySegment(SPECIES, data, at + 2 * step, ORDER));
            acc3 = acc3.add(FloatVector.fromMemorySegment(SPECIES, data, at + 3 * step, ORDER));
        }
        return acc0.add(acc1).add(acc2.add(acc3)).reduceLanes(VectorOperators.ADD);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
        arena.close();
    }
}
