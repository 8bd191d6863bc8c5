package dev.panamax.models.gpt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panamax.models.gpt.tokenizer.CharTokenizer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class GenerationTest {

    private static final CharTokenizer TOKENIZER = CharTokenizer.fromCorpus("abcdefgh é中\n");
    private static final GptConfig CONFIG = new GptConfig(TOKENIZER.vocabSize(), 8, 1, 2, 16, 0f, true);

    @Test
    void sameSeedSameTextAndTokensStreamAsTheyCome() {
        try (GptModel model = new GptModel(CONFIG, 3);
             GptGenerator generator = new GptGenerator(model, TOKENIZER, GptModelTest.BACKEND)) {
            ByteArrayOutputStream streamed = new ByteArrayOutputStream();
            List<Integer> ids = new ArrayList<>();
            var settings = new GptGenerator.Settings(30, 1.5f, 0, 1f, 7, true);
            var first = generator.generate("ab", settings, (id, bytes) -> {
                ids.add(id);
                streamed.writeBytes(bytes);
            });
            var again = generator.generate("ab", settings, (id, bytes) -> { });
            var other = generator.generate("ab", new GptGenerator.Settings(30, 1.5f, 0, 1f, 8, true), (id, b) -> { });
            assertEquals(30, first.tokens().length);           // 30 > block size 8: the context slid
            assertArrayEquals(first.tokens(), again.tokens());
            assertNotEquals(first.text(), other.text());
            assertEquals(first.text(), streamed.toString(StandardCharsets.UTF_8));
            assertEquals(ids, java.util.Arrays.stream(first.tokens()).boxed().toList());
            assertEquals(TOKENIZER.decode(first.tokens()), first.text());
            assertTrue(first.decodeTokensPerSecond() > 0 && first.prefillTokensPerSecond() > 0);
        }
    }

    @Test
    void generationFollowsTheDecoderLogitsAndTopKOneIsGreedy() {
        try (GptModel model = new GptModel(CONFIG, 5);
             GptGenerator generator = new GptGenerator(model, TOKENIZER, GptModelTest.BACKEND)) {
            int[] prompt = TOKENIZER.encode("abc");
            var greedy = generator.generate(prompt, new GptGenerator.Settings(4, 1f, 1, 1f, 1, false), (i, b) -> { });
            // each greedy token is the argmax of a full recomputation over the context so far
            int[] context = java.util.Arrays.copyOf(prompt, prompt.length + 4);
            for (int i = 0; i < 4; i++) {
                float[][] logits = GptModelTest.fullLogits(model, java.util.Arrays.copyOf(context, prompt.length + i));
                float[] last = logits[logits.length - 1];
                int argmax = 0;
                for (int j = 1; j < last.length; j++) {
                    argmax = last[j] > last[argmax] ? j : argmax;
                }
                assertEquals(argmax, greedy.tokens()[i], "token " + i);
                context[prompt.length + i] = argmax;
            }
            // a very small top-p keeps only the most likely token too
            var nucleus = generator.generate(prompt, new GptGenerator.Settings(4, 1f, 0, 1e-6f, 9, false), (i, b) -> { });
            assertArrayEquals(greedy.tokens(), nucleus.tokens());
        }
    }

    @Test
    void longPromptKeepsItsLastBlockAndSaysSo() {
        try (GptModel model = new GptModel(CONFIG, 3);
             GptGenerator generator = new GptGenerator(model, TOKENIZER, GptModelTest.BACKEND)) {
            List<String> notices = new ArrayList<>();
            var result = generator.generate("abcdefghabc", GptGenerator.Settings.defaults(3, 1),
                    new GptGenerator.Listener() {
                        @Override
                        public void onToken(int id, byte[] utf8) {
                        }

                        @Override
                        public void onNotice(String message) {
                            notices.add(message);
                        }
                    });
            assertEquals(3, result.droppedPrompt());
            assertEquals(List.of("the prompt has 11 tokens, more than the block size 8: using its last 8 tokens "
                    + "(the first 3 are dropped)"), notices);
        }
    }

    @Test
    void badSamplingSettingsAreClearErrors() {
        var e = assertThrows(IllegalArgumentException.class, () -> new GptGenerator.Settings(5, 0f, 0, 1f, 1, true));
        assertTrue(e.getMessage().startsWith("temperature must be a number > 0, got 0.0"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new GptGenerator.Settings(5, -1f, 0, 1f, 1, true));
        e = assertThrows(IllegalArgumentException.class, () -> new GptGenerator.Settings(5, 1f, 0, 0f, 1, true));
        assertTrue(e.getMessage().startsWith("top-p must be in (0, 1]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new GptGenerator.Settings(5, 1f, 0, 1.5f, 1, true));
        assertThrows(IllegalArgumentException.class, () -> new GptGenerator.Settings(5, 1f, -1, 1f, 1, true));
        assertThrows(IllegalArgumentException.class, () -> new GptGenerator.Settings(0, 1f, 0, 1f, 1, true));
        try (GptModel model = new GptModel(CONFIG, 3);
             GptGenerator generator = new GptGenerator(model, TOKENIZER, GptModelTest.BACKEND)) {
            e = assertThrows(IllegalArgumentException.class,
                    () -> generator.generate("", GptGenerator.Settings.defaults(3, 1), (i, b) -> { }));
            assertTrue(e.getMessage().contains("prompt is empty"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> generator.generate("xyz", GptGenerator.Settings.defaults(3, 1), (i, b) -> { }));
            assertTrue(e.getMessage().contains("'x'"), e.getMessage());
        }
    }
}
