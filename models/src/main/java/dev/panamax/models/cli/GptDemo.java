package dev.panamax.models.cli;

import dev.panamax.engine.Backend;
import dev.panamax.models.gpt.ArithmeticCorpus;
import dev.panamax.models.gpt.GptConfig;
import dev.panamax.models.gpt.GptGenerator;
import dev.panamax.models.gpt.GptModel;
import dev.panamax.models.gpt.GptTrainer;
import dev.panamax.models.gpt.TokenDataset;
import dev.panamax.models.gpt.TrainingSettings;
import dev.panamax.models.gpt.tokenizer.CharTokenizer;
import dev.panamax.models.training.ProgressBar;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The demo's GPT section: a tiny GPT trained on a synthetic language the project generates ({@link
 * ArithmeticCorpus}: lines {@code a+b=c}), then asked for sums it must complete, with the right ones counted.
 */
final class GptDemo {

    private GptDemo() {
    }

    static void run(int iters, Backend backend, Path out, PrintStream console) {
        ArithmeticCorpus corpus = new ArithmeticCorpus(10);
        String text = corpus.text(4000, 1);
        CharTokenizer tokenizer = ArithmeticCorpus.tokenizer();
        GptConfig config = ArithmeticCorpus.modelConfig();
        TrainingSettings settings = ArithmeticCorpus.trainingSettings(iters);
        TokenDataset data = TokenDataset.split(tokenizer.encode(text), settings.valFraction(), config.blockSize(),
                "the generated corpus");
        try (GptModel model = new GptModel(config, 1);
             GptTrainer trainer = new GptTrainer(model, tokenizer, data, settings, backend, out)) {
            console.printf(Locale.ROOT, "  corpus: %d generated lines such as %s; a GPT of %d layers, width %d "
                    + "(%.0fk parameters), %d steps%n", 4000, text.lines().limit(3).toList(), config.layers(),
                    config.width(), model.parameterCount() / 1e3, iters);
            ProgressBar bar = new ProgressBar(console, "  step", iters);
            trainer.run(new GptTrainer.Listener() {
                @Override
                public void onStep(GptTrainer.StepReport r) {
                    bar.update(r.step(), String.format(Locale.ROOT, "loss %.3f", r.trainLoss()));
                }

                @Override
                public void onMessage(String message) {
                    bar.println("  " + message);
                }
            });
            try (GptGenerator generator = new GptGenerator(model, tokenizer, backend)) {
                ArithmeticCorpus.Score score = corpus.score(generator, tokenizer, 20, 3);
                console.println("  The model completes \"a+b=\" (greedy decoding with the KV cache):");
                for (int i = 0; i < score.lines().size(); i += 4) {
                    StringBuilder row = new StringBuilder("   ");
                    for (String line : score.lines().subList(i, Math.min(i + 4, score.lines().size()))) {
                        row.append(String.format(Locale.ROOT, " %-24s", line));
                    }
                    console.println(row.toString().stripTrailing());
                }
                console.printf(Locale.ROOT, "  %d of %d sums right (chance: about 1 in 19). Uniform guessing costs "
                        + "ln 13 = 2.56 nats per character; the val loss is %.3f.%n", score.correct(),
                        score.lines().size(), trainer.bestValLoss());
                console.println("  Train on your own text: ./panamax gpt train --text FILE --max-iters 2000; then "
                        + "./panamax gpt generate --checkpoint runs/gpt-FILE");
            }
        }
    }
}
