package dev.panamax.models.cli;

import dev.panamax.models.gpt.GptCheckpoint;
import dev.panamax.models.gpt.GptConfig;
import dev.panamax.models.gpt.HuggingFaceGpt2;
import dev.panamax.models.gpt.tokenizer.Gpt2Tokenizer;
import java.nio.file.Files;
import dev.panamax.models.gpt.GptGenerator;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code panamax gpt generate}: continues a prompt with a trained checkpoint, streaming the text. */
@Command(name = "generate", sortOptions = false, mixinStandardHelpOptions = true,
        description = {"Continue a prompt with a checkpoint from 'panamax gpt train' (a run folder or a checkpoint",
            "folder) or a Hugging Face GPT-2 (--hf-dir), streaming tokens as they are sampled; then report",
            "prefill and decode tokens/s."})
final class GptGenerateCommand implements Callable<Integer> {

    @ParentCommand
    GptCommand gpt;

    @Option(names = "--checkpoint", paramLabel = "DIR",
            description = "A run folder (uses best/, else checkpoint/) or a checkpoint folder.")
    Path checkpoint;

    @Option(names = "--hf-dir", paramLabel = "DIR", description = {"Instead of --checkpoint: a Hugging Face GPT-2 "
            + "folder you supplied,", "with model.safetensors, config.json, vocab.json and merges.txt."})
    Path huggingFaceDir;

    @Option(names = "--prompt", defaultValue = "\n", description = "The text to continue (default: a newline).")
    String prompt;

    @Option(names = "--max-tokens", defaultValue = "300", description = "Tokens to generate (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--temperature", defaultValue = "0.8", description = "> 0; lower is more predictable (default: ${DEFAULT-VALUE}).")
    float temperature;

    @Option(names = "--top-k", defaultValue = "200", description = "Sample among the k most likely tokens, 0 = all (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--top-p", defaultValue = "1.0", description = "Nucleus: the most likely tokens up to this probability, in (0, 1] (default: ${DEFAULT-VALUE}).")
    float topP;

    @Option(names = "--seed", defaultValue = "1337", description = "The same seed gives the same text (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() {
        GptGenerator.Settings settings = new GptGenerator.Settings(maxTokens, temperature, topK, topP, seed, true);
        if ((checkpoint == null) == (huggingFaceDir == null)) {
            throw new IllegalArgumentException("give either --checkpoint DIR (a model trained by 'panamax gpt train') "
                    + "or --hf-dir DIR (a Hugging Face GPT-2 folder), " + (checkpoint == null ? "not neither" : "not both"));
        }
        GptCheckpoint.Loaded loaded = checkpoint != null ? GptCheckpoint.load(checkpoint) : loadHuggingFace(huggingFaceDir);
        PrintStream out = System.out;
        try (var model = loaded.model();
             GptGenerator generator = new GptGenerator(model, loaded.tokenizer(), gpt.backend())) {
            out.print(prompt);
            GptGenerator.Result result = generator.generate(prompt, settings, new GptGenerator.Listener() {
                @Override
                public void onToken(int id, byte[] utf8) {
                    out.write(utf8, 0, utf8.length);        // raw bytes: a split UTF-8 character completes later
                    out.flush();
                }

                @Override
                public void onNotice(String message) {
                    System.err.println("note: " + message);
                }
            });
            out.println();
            out.printf(Locale.ROOT, "%n[%s] prefill %d tokens at %s tokens/s; decode %d tokens at %s tokens/s%s%n",
                    loaded.directory(), result.promptTokens() - result.droppedPrompt(),
                    rate(result.prefillTokensPerSecond()), result.decodedTokens(), rate(result.decodeTokensPerSecond()),
                    result.endOfText() ? "; stopped at end of text" : "");
        }
        return 0;
    }

    /** GPT-2 from Hugging Face's files: weights and shape, and the tokenizer of the same model. */
    private static GptCheckpoint.Loaded loadHuggingFace(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("--hf-dir: " + dir + " is not a folder");
        }
        Gpt2Tokenizer tokenizer = Gpt2Tokenizer.load(dir);
        GptConfig config = HuggingFaceGpt2.config(dir.resolve("config.json"));
        return new GptCheckpoint.Loaded(HuggingFaceGpt2.loadWeights(dir.resolve("model.safetensors"), config),
                tokenizer, dir);
    }

    private static String rate(double perSecond) {
        return Double.isFinite(perSecond) ? String.format(Locale.ROOT, "%.1f", perSecond) : "-";
    }
}
