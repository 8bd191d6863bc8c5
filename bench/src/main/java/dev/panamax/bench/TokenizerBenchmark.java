package dev.panamax.bench;

import dev.panamax.models.gpt.tokenizer.BpeTokenizer;
import dev.panamax.models.gpt.tokenizer.CharTokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * How long the GPT package's tokenizers take on a whole corpus (by default tinyshakespeare, 1.1 MB, from the
 * shared data folder next to the repository): training byte-level BPE to {@code vocabSize} tokens, and encoding
 * the corpus with it, once with an empty chunk cache (what {@code gpt train} does: it encodes the corpus once) and
 * once with the cache full. The character tokenizer's encode is the reference in the same run.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class TokenizerBenchmark {

    /** The corpus file, relative to the directory JMH runs in (the repository root). */
    @Param({"../shared/data/tinyshakespeare.txt"})
    public String corpus;

    @Param({"1024"})
    public int vocabSize;

    private String text;
    private BpeTokenizer trained;
    private CharTokenizer chars;
    private Path savedTokenizer;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        Path file = Path.of(corpus);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("TokenizerBenchmark: corpus " + file.toAbsolutePath()
                    + " does not exist; pass another with -p corpus=FILE");
        }
        text = Files.readString(file, StandardCharsets.UTF_8);
        trained = BpeTokenizer.train(text, vocabSize, true);
        chars = CharTokenizer.fromCorpus(text);
        savedTokenizer = Files.createTempDirectory("panamax-bpe");
        savedTokenizer.toFile().deleteOnExit();
        trained.save(savedTokenizer);
        savedTokenizer.resolve(BpeTokenizer.FILE).toFile().deleteOnExit();
    }

    /** A tokenizer loaded afresh before every call, so its chunk cache starts empty. */
    @State(Scope.Thread)
    public static class FreshTokenizer {
        BpeTokenizer tokenizer;

        @Setup(Level.Invocation)
        public void load(TokenizerBenchmark benchmark) {
            tokenizer = BpeTokenizer.load(benchmark.savedTokenizer);
        }
    }

    @Benchmark
    public BpeTokenizer trainBpe() {
        return BpeTokenizer.train(text, vocabSize, true);
    }

    @Benchmark
    public int[] encodeBpeEmptyCache(FreshTokenizer fresh) {
        return fresh.tokenizer.encode(text);
    }

    @Benchmark
    public int[] encodeBpeFullCache() {
        return trained.encode(text);
    }

    @Benchmark
    public int[] encodeChar() {
        return chars.encode(text);
    }

    /** For the report: the corpus size in bytes and its BPE length. */
    public static void main(String[] args) {
        try {
            String text = Files.readString(Path.of(args.length > 0 ? args[0] : "../shared/data/tinyshakespeare.txt"));
            for (int size : new int[] {512, 1024}) {
                BpeTokenizer bpe = BpeTokenizer.train(text, size, true);
                int bytes = text.getBytes(StandardCharsets.UTF_8).length;
                int tokens = bpe.encode(text).length;
                System.out.printf("bpe:%d  %d bytes -> %d tokens (%.3f tokens/byte)%n", size, bytes, tokens,
                        tokens / (double) bytes);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
