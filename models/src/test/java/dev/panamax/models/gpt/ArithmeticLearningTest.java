package dev.panamax.models.gpt;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panamax.models.gpt.tokenizer.CharTokenizer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo's synthetic language: a tiny GPT visibly learns single-digit sums. */
class ArithmeticLearningTest {

    @TempDir
    Path dir;

    @Test
    void tinyModelLearnsSums() {
        ArithmeticCorpus corpus = new ArithmeticCorpus(10);
        CharTokenizer tokenizer = ArithmeticCorpus.tokenizer();
        GptConfig config = ArithmeticCorpus.modelConfig();
        TrainingSettings settings = ArithmeticCorpus.trainingSettings(200);
        TokenDataset data = TokenDataset.split(tokenizer.encode(corpus.text(4000, 1)), settings.valFraction(),
                config.blockSize(), "arithmetic");
        try (GptModel model = new GptModel(config, 1);
             GptTrainer trainer = new GptTrainer(model, tokenizer, data, settings, GptModelTest.BACKEND, dir)) {
            trainer.run(r -> { });
            // uniform guessing over 13 characters is ln 13 = 2.56; the digits of the operands alone cost 0.71
            assertTrue(trainer.bestValLoss() < 1.1, "val loss " + trainer.bestValLoss());
            try (GptGenerator generator = new GptGenerator(model, tokenizer, GptModelTest.BACKEND)) {
                ArithmeticCorpus.Score score = corpus.score(generator, tokenizer, 40, 3);
                // guessing a sum right by chance is about 1 in 19; 200 steps give about 1 in 4 (more steps, more)
                assertTrue(score.accuracy() >= 0.15, score.correct() + "/40 right: " + score.lines());
            }
        }
    }
}
