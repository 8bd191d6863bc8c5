package dev.panamax.models.cli;

import dev.panamax.engine.Backend;
import dev.panamax.engine.parallel.WorkerPool;
import dev.panamax.models.gpt.GptCheckpoint;
import dev.panamax.models.gpt.GptConfig;
import dev.panamax.models.gpt.GptModel;
import dev.panamax.models.gpt.GptTrainer;
import dev.panamax.models.gpt.TokenDataset;
import dev.panamax.models.gpt.TrainingSettings;
import dev.panamax.models.gpt.tokenizer.Tokenizer;
import dev.panamax.models.gpt.tokenizer.Tokenizers;
import dev.panamax.models.training.ProgressBar;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code panamax gpt train}: nanoGPT's {@code train.py} on a text file, with a character or BPE tokenizer. Defaults are
 * nanoGPT's shakespeare_char CPU recipe (batch 12, lr 1e-3 cosine to 1e-4, β₂ 0.99, no dropout for the small
 * preset).
 */
@Command(name = "train", sortOptions = false, mixinStandardHelpOptions = true,
        description = {"Train a GPT on a text file (character or byte-level BPE tokens). Writes into runs/<name>/ (or --out):",
            "checkpoint/ (latest, resumable), best/ (lowest val loss), metrics.csv and loss.png."})
final class GptTrainCommand implements Callable<Integer> {

    @ParentCommand
    GptCommand gpt;

    @Option(names = "--text", required = true, paramLabel = "FILE", description = "The training text (UTF-8).")
    Path text;

    @Option(names = "--preset", defaultValue = "shakespeare-char-small",
            description = "Model shape: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).",
            completionCandidates = Presets.class)
    String preset;

    @Option(names = "--tokenizer", defaultValue = "char", paramLabel = "SPEC",
            description = "char (one token per character) or bpe:N (byte-level BPE trained on the text to N ids) "
                    + "(default: ${DEFAULT-VALUE}).")
    String tokenizerSpec;

    @Option(names = "--max-iters", description = "Optimizer steps (default: 2000; with --resume, the saved count).")
    Integer maxIters;

    @Option(names = "--out", paramLabel = "DIR", description = "Output folder (default: runs/<--name>).")
    Path out;

    @Option(names = "--name", description = "Run name under runs/ (default: gpt-<text file name>).")
    String name;

    @Option(names = "--batch-size", defaultValue = "12", description = "Sequences per micro-batch (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--block-size", description = "Context length in tokens (default: the preset's).")
    Integer blockSize;

    @Option(names = "--lr", defaultValue = "1e-3", description = "Peak learning rate (default: ${DEFAULT-VALUE}).")
    double learningRate;

    @Option(names = "--min-lr", defaultValue = "1e-4", description = "Floor of the cosine decay (default: ${DEFAULT-VALUE}).")
    double minLearningRate;

    @Option(names = "--warmup-iters", defaultValue = "100", description = "Linear warmup steps (default: ${DEFAULT-VALUE}).")
    int warmupIters;

    @Option(names = "--lr-decay-iters", description = "Step where the cosine reaches --min-lr (default: --max-iters).")
    Integer lrDecayIters;

    @Option(names = "--eval-interval", defaultValue = "250", description = "Val loss every N steps (default: ${DEFAULT-VALUE}; the last step always).")
    int evalInterval;

    @Option(names = "--eval-iters", defaultValue = "20", description = "Batches per val loss (default: ${DEFAULT-VALUE}).")
    int evalIters;

    @Option(names = "--grad-accum", defaultValue = "1", description = "Micro-batches per step (default: ${DEFAULT-VALUE}).")
    int gradAccumulation;

    @Option(names = "--dropout", description = "Dropout probability (default: the preset's).")
    Float dropout;

    @Option(names = "--no-bias", description = "No biases in the Linear layers and LayerNorms, as nanoGPT's "
            + "bias=False (default: biases, as GPT-2).")
    boolean noBias;

    @Option(names = "--weight-decay", defaultValue = "0.1", description = "AdamW decay on matrices (default: ${DEFAULT-VALUE}).")
    double weightDecay;

    @Option(names = "--beta1", defaultValue = "0.9", description = "AdamW β₁ (default: ${DEFAULT-VALUE}).")
    double beta1;

    @Option(names = "--beta2", defaultValue = "0.99", description = "AdamW β₂ (default: ${DEFAULT-VALUE}).")
    double beta2;

    @Option(names = "--grad-clip", defaultValue = "1.0", description = "Global gradient-norm bound, 0 = off (default: ${DEFAULT-VALUE}).")
    double gradClip;

    @Option(names = "--seed", defaultValue = "1337", description = "Seeds the weights, data order and dropout (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--full-val", description = "After the last step, also measure the loss over the whole val "
            + "split (every window once), the figure to compare runs by; the per-eval val loss is an estimate from "
            + "--eval-iters random batches.")
    boolean fullVal;

    @Option(names = "--resume", description = "Continue the run in the output folder from its checkpoint/ (its saved "
            + "settings are used; only --max-iters may change).")
    boolean resume;

    static final class Presets implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return GptConfig.PRESETS.iterator();
        }
    }

    @Override
    public Integer call() {
        String corpus = readText(text);
        Path runDir = out != null ? out : Path.of("runs", name != null ? name : "gpt-" + baseName(text));
        Backend backend = gpt.backend();
        PrintStream console = System.out;
        GptTrainer trainer;
        GptModel model = null;
        if (!resume && maxIters == null) {
            maxIters = 2000;
        }
        if (resume) {
            trainer = GptTrainer.resume(runDir, corpus, maxIters, backend);
            console.printf(Locale.ROOT, "resuming %s at step %d of %d%n", runDir, trainer.step(),
                    trainer.settings().maxIters());
        } else {
            Tokenizer tokenizer = Tokenizers.forTraining(tokenizerSpec, corpus);
            GptConfig config = GptConfig.preset(preset, tokenizer.vocabSize());
            if (blockSize != null) {
                config = config.withBlockSize(blockSize);
            }
            if (dropout != null) {
                config = config.withDropout(dropout);
            }
            if (noBias) {
                config = config.withBias(false);
            }
            TrainingSettings settings = new TrainingSettings(batchSize, maxIters, learningRate, minLearningRate,
                    warmupIters, lrDecayIters != null ? lrDecayIters : maxIters, evalInterval, evalIters,
                    gradAccumulation, weightDecay, beta1, beta2, gradClip, 0.1, seed);
            TokenDataset data = TokenDataset.split(tokenizer.encode(corpus), settings.valFraction(),
                    config.blockSize(), text.toString());
            model = new GptModel(config, seed);
            trainer = new GptTrainer(model, tokenizer, data, settings, backend, runDir);
            console.printf(Locale.ROOT, "%s: %,d characters, %s vocabulary of %d; train %,d / val %,d tokens%n", text,
                    corpus.length(), tokenizer.kind(), tokenizer.vocabSize(), data.trainTokens(), data.valTokens());
        }
        GptConfig config = trainer.model().config();
        TrainingSettings s = trainer.settings();
        console.printf(Locale.ROOT, "model %s: %d layers, %d heads, width %d, block %d, %.2fM parameters, dropout %s%s%n",
                resume ? "(from the checkpoint)" : preset, config.layers(), config.heads(), config.width(),
                config.blockSize(), trainer.model().parameterCount() / 1e6, config.dropout(),
                config.bias() ? "" : ", no bias");
        console.printf(Locale.ROOT, "batch %d × %d tokens × %d accumulation, lr %s → %s (warmup %d, cosine to step %d), "
                        + "%d steps, %s backend, %d threads%n", s.batchSize(), config.blockSize(), s.gradAccumulation(),
                s.learningRate(), s.minLearningRate(), s.warmupIters(), s.lrDecayIters(), s.maxIters(), backend.name(),
                WorkerPool.shared().threads());
        long start = System.nanoTime();
        ProgressBar bar = new ProgressBar(console, "step", s.maxIters());
        try (trainer) {
            trainer.run(new GptTrainer.Listener() {
                @Override
                public void onStep(GptTrainer.StepReport r) {
                    bar.update(r.step(), String.format(Locale.ROOT, "loss %.4f  %s tok/s", r.trainLoss(),
                            ProgressBar.rate(r.tokensPerSecond())));
                }

                @Override
                public void onMessage(String message) {
                    bar.println(message);
                }
            });
            double seconds = (System.nanoTime() - start) / 1e9;
            if (fullVal) {
                console.printf(Locale.ROOT, "val loss over the whole val split (%,d windows of %d tokens): %.4f%n",
                        trainer.data().sequentialValWindows(config.blockSize()), config.blockSize(),
                        trainer.evaluateWholeValSplit());
            }
            console.printf(Locale.ROOT, "best val loss %.4f; %d steps in %s (%s tokens/s)%n", trainer.bestValLoss(),
                    s.maxIters(), ProgressBar.duration(seconds),
                    ProgressBar.rate(trainer.tokensPerStep() * (double) s.maxIters() / seconds));
            console.printf("outputs  %s/{%s/, %s/, metrics.csv, loss.png}%n", runDir, GptCheckpoint.BEST,
                    GptCheckpoint.LATEST);
            console.printf("generate ./panamax gpt generate --checkpoint %s --prompt \"...\"%n", runDir);
        } finally {
            if (model != null) {
                model.close();
            }
        }
        return 0;
    }

    static String readText(Path file) {
        try {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            if (text.isEmpty()) {
                throw new IllegalArgumentException("--text " + file + " is empty: a language model needs text to learn from");
            }
            return text;
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("--text " + file + " does not exist", e);
        } catch (java.nio.charset.MalformedInputException e) {
            throw new IllegalArgumentException("--text " + file + " is not UTF-8 text", e);
        } catch (IOException e) {
            throw new IllegalArgumentException("--text: cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static String baseName(Path file) {
        String n = file.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }
}
