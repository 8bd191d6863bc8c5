package dev.panamax.models.gpt;

import dev.panamax.engine.io.SafeTensors;
import dev.panamax.engine.io.SafeTensorsException;
import dev.panamax.models.gpt.tokenizer.Tokenizer;
import dev.panamax.models.gpt.tokenizer.Tokenizers;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * A checkpoint directory: everything needed to generate, and with the trainer's files also to resume.
 *
 * <pre>
 *   model.safetensors       the weights under Hugging Face GPT-2 names (linear weights [out, in])
 *   config.json             {@link GptConfig}
 *   tokenizer files         whatever the tokenizer saves ({@link Tokenizer#save}, read by {@link Tokenizers#load})
 *   optimizer.safetensors   AdamW's moments, step and hyper-parameters        (training checkpoints only)
 *   trainer.json            step, settings, best val loss, elapsed time, the corpus checksum   (likewise)
 * </pre>
 *
 * A directory is written whole or not at all: the files go to a temporary sibling directory, which then replaces
 * the old one by two renames (old → {@code .<name>.old}, new → name). A crash between the renames leaves the
 * previous checkpoint as {@code .<name>.old}, which {@link #resolve} falls back to.
 *
 * <p>A training run keeps two: {@code checkpoint/} (the latest, with the trainer's files) and {@code best/}
 * (the lowest val loss so far).
 */
public final class GptCheckpoint {

    public static final String MODEL_FILE = "model.safetensors";
    public static final String OPTIMIZER_FILE = "optimizer.safetensors";
    public static final String TRAINER_FILE = "trainer.json";
    /** In a run directory: the latest checkpoint, and the best by val loss. */
    public static final String LATEST = "checkpoint";
    public static final String BEST = "best";

    /** A model and its tokenizer, read from a checkpoint. */
    public record Loaded(GptModel model, Tokenizer tokenizer, Path directory) {
    }

    private GptCheckpoint() {
    }

    /**
     * The checkpoint directory {@code path} names: itself when it holds a model, else a run directory's
     * {@code best/} or {@code checkpoint/}, or the {@code .old} copy an interrupted save left.
     */
    public static Path resolve(Path path) {
        if (Files.isRegularFile(path.resolve(MODEL_FILE))) {
            return path;
        }
        for (String child : new String[] {BEST, LATEST}) {
            Path candidate = path.resolve(child);
            if (Files.isRegularFile(candidate.resolve(MODEL_FILE))) {
                return candidate;
            }
        }
        Path old = previous(path);
        if (Files.isRegularFile(old.resolve(MODEL_FILE))) {
            return old;
        }
        if (!Files.exists(path)) {
            throw new IllegalArgumentException("checkpoint " + path + " does not exist");
        }
        throw new IllegalArgumentException(path + " holds no GPT checkpoint: expected " + MODEL_FILE + " in it, or in "
                + "its " + BEST + "/ or " + LATEST + "/ folder (the output folder of 'panamax gpt train')");
    }

    /** Reads the model and tokenizer of a checkpoint (see {@link #resolve}); the caller closes the model. */
    public static Loaded load(Path path) {
        Path dir = resolve(path);
        GptConfig config = GptConfig.load(dir);
        Tokenizer tokenizer = Tokenizers.load(dir);
        if (tokenizer.vocabSize() > config.vocabSize()) {
            throw new IllegalArgumentException(dir + ": the tokenizer has " + tokenizer.vocabSize() + " ids but "
                    + GptConfig.FILE + " says the vocabulary has " + config.vocabSize());
        }
        GptModel model = new GptModel(config, 0);
        try {
            model.loadWeights(dir.resolve(MODEL_FILE));
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
        return new Loaded(model, tokenizer, dir);
    }

    /** Writes the model, its config and tokenizer into {@code dir}, replacing it whole. */
    public static void saveModel(Path dir, GptModel model, Tokenizer tokenizer) {
        writeDirectory(dir, tmp -> writeModel(tmp, model, tokenizer));
    }

    static void writeModel(Path dir, GptModel model, Tokenizer tokenizer) {
        model.config().save(dir);
        tokenizer.save(dir);
        model.saveWeights(dir.resolve(MODEL_FILE), java.util.Map.of("format", "pt"));
    }

    /** Writes a directory's files into a temporary sibling, then swaps it in (see the class comment). */
    static void writeDirectory(Path dir, Consumer<Path> writer) {
        Path absolute = dir.toAbsolutePath();
        Path parent = absolute.getParent();
        String name = absolute.getFileName().toString();
        Path tmp = parent.resolve("." + name + ".tmp-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16));
        Path old = previous(absolute);
        try {
            Files.createDirectories(tmp);
            writer.accept(tmp);
            deleteRecursively(old);
            if (Files.exists(absolute)) {
                move(absolute, old);
            }
            move(tmp, absolute);
            deleteRecursively(old);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the checkpoint " + absolute + ": " + e.getMessage(), e);
        } finally {
            try {
                deleteRecursively(tmp);
            } catch (IOException ignored) {
                // the original failure matters more
            }
        }
    }

    private static Path previous(Path dir) {
        Path absolute = dir.toAbsolutePath();
        return absolute.getParent().resolve("." + absolute.getFileName() + ".old");
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to);
        }
    }

    static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** Reads a safetensors file into {@code arena}, turning format errors into one line naming the file. */
    static SafeTensors.Contents readSafeTensors(Path file, java.lang.foreign.Arena arena) {
        try {
            return SafeTensors.read(file, arena);
        } catch (SafeTensorsException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
