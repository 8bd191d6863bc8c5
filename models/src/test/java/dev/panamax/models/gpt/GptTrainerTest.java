package dev.panamax.models.gpt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panamax.engine.nn.Parameter;
import dev.panamax.models.gpt.tokenizer.CharTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GptTrainerTest {

    static final GptConfig SMALL = new GptConfig(1, 16, 1, 2, 16, 0.1f, true);   // vocab set from the tokenizer

    @TempDir
    Path dir;

    static String corpus() {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < 60; i++) {
            s.append("the cat sat on the mat. ").append(i % 7 == 0 ? "a dog ran.\n" : "");
        }
        return s.toString();
    }

    private static TrainingSettings settings() {
        return new TrainingSettings(4, 12, 3e-3, 3e-4, 2, 12, 4, 2, 2, 0.1, 0.9, 0.99, 1.0, 0.1, 42);
    }

    private record Run(List<String> rows, float[][] weights) {
    }

    private Run train(Path runDir, int stopAt) {
        String text = corpus();
        CharTokenizer tokenizer = CharTokenizer.fromCorpus(text);
        GptConfig config = SMALL.withVocabSize(tokenizer.vocabSize());
        TokenDataset data = TokenDataset.split(tokenizer.encode(text), 0.1, config.blockSize(), "corpus");
        try (GptModel model = new GptModel(config, 5);
             GptTrainer trainer = new GptTrainer(model, tokenizer, data, settings(), GptModelTest.BACKEND, runDir)) {
            trainer.run(r -> { }, stopAt);
            return new Run(readRows(runDir), weights(model));
        }
    }

    private Run resume(Path runDir) {
        try (GptTrainer trainer = GptTrainer.resume(runDir, corpus(), null, GptModelTest.BACKEND)) {
            trainer.run(r -> { });
            return new Run(readRows(runDir), weights(trainer.model()));
        }
    }

    @Test
    void resumedRunTakesExactlyTheStepsOfTheUninterruptedOne() throws IOException {
        Run whole = train(dir.resolve("whole"), 12);
        train(dir.resolve("split"), 8);                      // stopped after the checkpoint at step 8
        Path split = dir.resolve("split");
        // A step written after the checkpoint (as a crash would leave it) is dropped on resume.
        Files.writeString(split.resolve("metrics.csv"), "9,1,,1,1,1,1\n", java.nio.file.StandardOpenOption.APPEND);
        Run resumed = resume(split);
        List<String> a = whole.rows().stream().map(GptTrainerTest::withoutTimes).toList();
        List<String> b = resumed.rows().stream().map(GptTrainerTest::withoutTimes).toList();
        assertEquals(a, b);
        for (int i = 0; i < whole.weights().length; i++) {
            assertArrayEquals(whole.weights()[i], resumed.weights()[i]);
        }
        // the metrics: header, every step once, val loss only at evaluations (4, 8, 12 = the last)
        List<String> lines = Files.readAllLines(split.resolve("metrics.csv"));
        assertEquals("step,train_loss,val_loss,lr,tokens_per_s,elapsed_s,grad_norm", lines.get(0));
        assertEquals(13, lines.size());
        for (int step = 1; step <= 12; step++) {
            String[] cells = lines.get(step).split(",", -1);
            assertEquals(Integer.toString(step), cells[0]);
            assertEquals(step % 4 == 0, !cells[2].isEmpty(), lines.get(step));
        }
        assertTrue(Files.size(split.resolve("loss.png")) > 1000);
        assertEquals(List.of("best", "checkpoint", "loss.png", "metrics.csv"), GptModelTest.list(split));
        assertEquals(List.of("config.json", "model.safetensors", "optimizer.safetensors", "tokenizer-chars.txt",
                "trainer.json"), GptModelTest.list(split.resolve("checkpoint")));
        // the loss fell
        double first = Double.parseDouble(lines.get(1).split(",")[1]);
        double last = Double.parseDouble(lines.get(12).split(",")[1]);
        assertTrue(last < first, "train loss " + first + " -> " + last);
    }

    /** The step, losses and lr; tokens/s and elapsed time differ between runs. */
    private static String withoutTimes(String row) {
        String[] c = row.split(",", -1);
        return String.join(",", c[0], c[1], c[2], c[3], c[6]);
    }

    private static List<String> readRows(Path runDir) {
        try {
            List<String> lines = Files.readAllLines(runDir.resolve("metrics.csv"));
            return new ArrayList<>(lines.subList(1, lines.size()));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static float[][] weights(GptModel model) {
        return model.parameters().stream().map(Parameter::value).map(t -> t.toArray()).toArray(float[][]::new);
    }

    @Test
    void splitsAsNanoGptAndTheWholeValSplitIsEveryWindowOnce() {
        // nanoGPT's prepare.py: train = data[:int(n*0.9)], val = the rest (Tiny Shakespeare: 1,003,854 / 111,540)
        TokenDataset shakespeareSized = TokenDataset.split(new int[1_115_394], 0.1, 64, "text");
        assertEquals(1_003_854, shakespeareSized.trainTokens());
        assertEquals(111_540, shakespeareSized.valTokens());

        int[] tokens = new int[200];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = i;
        }
        TokenDataset data = TokenDataset.split(tokens, 0.25, 8, "ramp");     // val = 150..199
        assertEquals(6, data.sequentialValWindows(8));                       // (50 − 1) / 8
        int[] in = new int[4 * 8];
        int[] out = new int[4 * 8];
        assertEquals(4, data.sequentialValBatch(0, 4, 8, in, out));
        assertEquals(2, data.sequentialValBatch(4, 4, 8, in, out));          // the last, partial batch
        assertEquals(150 + 4 * 8, in[0]);
        assertEquals(150 + 5 * 8 + 7, in[15]);
        assertEquals(150 + 5 * 8 + 8, out[15]);                              // targets are the next tokens
        assertThrows(IllegalArgumentException.class, () -> data.sequentialValBatch(6, 4, 8, in, out));

        // the same loss whatever the batch size (the partial last batch is weighted by its windows)
        String text = corpus();
        CharTokenizer tokenizer = CharTokenizer.fromCorpus(text);
        GptConfig config = SMALL.withVocabSize(tokenizer.vocabSize());
        TokenDataset corpus = TokenDataset.split(tokenizer.encode(text), 0.1, config.blockSize(), "corpus");
        try (GptModel model = new GptModel(config, 5);
             GptTrainer byFour = new GptTrainer(model, tokenizer, corpus, settings(), GptModelTest.BACKEND, dir);
             GptTrainer byOne = new GptTrainer(model, tokenizer, corpus, new TrainingSettings(1, 12, 3e-3, 3e-4, 2,
                     12, 4, 2, 2, 0.1, 0.9, 0.99, 1.0, 0.1, 42), GptModelTest.BACKEND, dir)) {
            assertEquals(byOne.evaluateWholeValSplit(), byFour.evaluateWholeValSplit(), 1e-5);
            assertTrue(corpus.sequentialValWindows(16) % 4 != 0, "the test needs a partial last batch");
        }
    }

    @Test
    void badInputsAreClearErrors() {
        CharTokenizer tokenizer = CharTokenizer.fromCorpus("abc");
        var e = assertThrows(IllegalArgumentException.class,
                () -> TokenDataset.split(tokenizer.encode("abcabcabc"), 0.1, 16, "tiny.txt"));
        assertTrue(e.getMessage().contains("tiny.txt has 9 tokens") && e.getMessage().contains("block size + 1 = 17"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TokenDataset.split(new int[0], 0.1, 16, "empty.txt"));
        e = assertThrows(IllegalArgumentException.class, () -> tokenizer.encode("abd"));
        assertTrue(e.getMessage().contains("'d'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new TrainingSettings(4, 10, -1, 0, 0, 10, 5, 1, 1, 0.1, 0.9, 0.99, 1, 0.1, 1));
        assertTrue(e.getMessage().contains("learning rate"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> GptTrainer.resume(dir, "abc", null,
                GptModelTest.BACKEND));
        assertTrue(e.getMessage().contains("trainer.json does not exist"), e.getMessage());
    }
}
