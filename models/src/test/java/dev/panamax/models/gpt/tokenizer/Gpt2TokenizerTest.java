package dev.panamax.models.gpt.tokenizer;

import static dev.panamax.models.gpt.tokenizer.BpeTokenizerTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GPT-2's tokenizer against ids published by OpenAI and Hugging Face.
 *
 * <p>The real {@code vocab.json}/{@code merges.txt} (1.5 MB, not in the repository) are used when
 * {@code -Dpanamax.gpt2.dir=DIR} or {@code PANAMAX_GPT2_DIR} names a folder holding them. Always, a trimmed copy
 * in the test resources is used: GPT-2's 256 byte tokens, {@code <|endoftext|>}, and the 40 merge rules (copied
 * verbatim from GPT-2's {@code merges.txt}, in their original order, with their real ids) that fire on the
 * examples below. Applying only the rules that fire gives the same result as applying all 50,000, so the ids it
 * produces are GPT-2's.
 */
class Gpt2TokenizerTest {

    /** Published GPT-2 encodings: {text, ids}. */
    private static final Object[][] PUBLISHED = {
            // Hugging Face, GPT2Tokenizer docstring (transformers/models/gpt2/tokenization_gpt2.py)
            {"Hello world", new int[] {15496, 995}},
            {" Hello world", new int[] {18435, 995}},
            // OpenAI tiktoken, tests/test_encoding.py: test_simple ("gpt2" encoding, <|endoftext|> allowed)
            {"hello world", new int[] {31373, 995}},
            {"hello <|endoftext|>", new int[] {31373, 220, 50256}},
            // tiktoken, test_simple_repeated: merges of merges of "0"
            {"0", new int[] {15}},
            {"00", new int[] {405}},
            {"000", new int[] {830}},
            {"0000", new int[] {2388}},
            {"00000", new int[] {20483}},
            {"000000", new int[] {10535}},
            {"0000000", new int[] {24598}},
            {"00000000", new int[] {8269}},
            {"000000000", new int[] {10535, 830}},
            {"0000000000", new int[] {8269, 405}},
            {"00000000000", new int[] {8269, 830}},
            {"000000000000", new int[] {8269, 2388}},
            {"0000000000000", new int[] {8269, 20483}},
            {"00000000000000", new int[] {8269, 10535}},
            {"000000000000000", new int[] {8269, 24598}},
            {"0000000000000000", new int[] {25645}},
            {"00000000000000000", new int[] {8269, 10535, 830}},
            // r50k_base (= GPT-2) cases from a public tiktoken port's verification table
            {" 日本語とEnglish 12345!\n",
                    new int[] {10545, 245, 98, 17312, 105, 45739, 252, 30201, 15823, 17031, 2231, 0, 198}},
            {"\u001ca", new int[] {216, 64}},
            {"a\n\n", new int[] {64, 628}},
            {"", new int[0]},
    };

    private static Gpt2Tokenizer subset;

    @BeforeAll
    static void loadSubset() throws URISyntaxException {
        subset = Gpt2Tokenizer.load(subsetDir());
    }

    static Path subsetDir() throws URISyntaxException {
        return Path.of(Gpt2TokenizerTest.class.getResource("gpt2-subset/vocab.json").toURI()).getParent();
    }

    @Test
    void trimmedVocabularyReproducesPublishedIds() {
        assertEquals(50257, subset.vocabSize());
        assertEquals(50256, subset.endOfText());
        assertEquals("gpt2", subset.kind());
        for (Object[] example : PUBLISHED) {
            String text = (String) example[0];
            assertArrayEquals((int[]) example[1], subset.encode(text), "ids of " + escape(text));
            assertEquals(text, subset.decode((int[]) example[1]));
        }
        assertEquals("ĠHello", subset.spelling(18435));
        assertEquals("<|endoftext|>", subset.spelling(50256));
    }

    @Test
    void realGpt2FilesReproducePublishedIds() {
        String configured = System.getProperty("panamax.gpt2.dir", System.getenv("PANAMAX_GPT2_DIR"));
        Assumptions.assumeTrue(configured != null && Files.isRegularFile(Path.of(configured, "vocab.json"))
                        && Files.isRegularFile(Path.of(configured, "merges.txt")),
                "skipped: GPT-2's vocab.json and merges.txt are not on this machine (set -Dpanamax.gpt2.dir or "
                        + "PANAMAX_GPT2_DIR to a folder holding them to run this test)");
        Gpt2Tokenizer real = Gpt2Tokenizer.load(Path.of(configured));
        assertEquals(50257, real.vocabSize());
        assertEquals(50256, real.endOfText());
        for (Object[] example : PUBLISHED) {
            assertArrayEquals((int[]) example[1], real.encode((String) example[0]), escape((String) example[0]));
        }
        // The trimmed vocabulary agrees with the real one on anything its merges cover, and both round-trip.
        Random random = new Random(17);
        for (int i = 0; i < 300; i++) {
            String text = RandomText.next(random, 40);
            assertEquals(text, real.decode(real.encode(text)));
        }
    }

    @Test
    void roundTripsArbitraryUtf8EvenWithFewMerges() {
        Random random = new Random(23);
        for (int i = 0; i < 2000; i++) {
            String text = RandomText.next(random, 40);
            assertEquals(text, subset.decode(subset.encode(text)), () -> escape(text));
        }
    }

    @Test
    void saveCopiesBothFilesAndLoadsBack(@TempDir Path dir) throws Exception {
        subset.save(dir);
        assertArrayEquals(Files.readAllBytes(subsetDir().resolve("vocab.json")), Files.readAllBytes(dir.resolve("vocab.json")));
        assertArrayEquals(Files.readAllBytes(subsetDir().resolve("merges.txt")), Files.readAllBytes(dir.resolve("merges.txt")));
        Tokenizer loaded = Tokenizers.load(dir);
        assertEquals("gpt2", loaded.kind());
        for (Object[] example : PUBLISHED) {
            assertArrayEquals((int[]) example[1], loaded.encode((String) example[0]));
        }
    }

    @Test
    void badFilesNameTheFileAndTheProblem(@TempDir Path dir) throws Exception {
        String vocab = Files.readString(subsetDir().resolve("vocab.json"));
        String merges = Files.readString(subsetDir().resolve("merges.txt"));
        Path vocabFile = dir.resolve("vocab.json");
        Path mergesFile = dir.resolve("merges.txt");

        Files.writeString(vocabFile, vocab);
        assertMessage(() -> Gpt2Tokenizer.load(dir), mergesFile + " does not exist");

        write(vocabFile, vocab.substring(0, 100), mergesFile, merges);
        assertMessage(() -> Gpt2Tokenizer.load(dir), vocabFile + " is not valid JSON");

        write(vocabFile, "[1, 2]", mergesFile, merges);
        assertMessage(() -> Gpt2Tokenizer.load(dir), "expected a JSON object mapping each token to its id");

        write(vocabFile, vocab.replace("\"Ġ\":220", "\"Ġ\":\"220\""), mergesFile, merges);
        assertMessage(() -> Gpt2Tokenizer.load(dir), "token \"Ġ\" has id 220, expected a whole number");

        write(vocabFile, vocab.replace("\"Ġ\":220", "\"Ġ\":15"), mergesFile, merges);
        assertMessage(() -> Gpt2Tokenizer.load(dir), "both have id 15");

        write(vocabFile, vocab.replace("\"Ġ\":220,", ""), mergesFile, merges);
        assertMessage(() -> Gpt2Tokenizer.load(dir), vocabFile + " has no token for byte 0x20 (spelled \"Ġ\")");

        write(vocabFile, vocab.replace("\"Ġ\":220", "\"Ġ\":220,\"☃\":50300"), mergesFile, merges);
        assertMessage(() -> Gpt2Tokenizer.load(dir), "token \"☃\" (id 50300) has a character outside GPT-2's byte alphabet");

        write(vocabFile, vocab, mergesFile, merges.replace("Ġ w\n", "Ġ w x\n"));
        assertMessage(() -> Gpt2Tokenizer.load(dir), mergesFile + " line 3: \"Ġ w x\" is not two tokens");

        write(vocabFile, vocab, mergesFile, merges.replace("Ġ w\n", "Ġ q\n"));
        assertMessage(() -> Gpt2Tokenizer.load(dir), mergesFile + " line 3: the merged token \"Ġq\" is not in vocab.json");

        write(vocabFile, vocab, mergesFile, merges + "h e\n");
        assertMessage(() -> Gpt2Tokenizer.load(dir), "repeats the rule on line 2");

        write(vocabFile, vocab, mergesFile, "#version: 0.2\n");
        assertMessage(() -> Gpt2Tokenizer.load(dir), mergesFile + " has no merge rules");

        Files.write(vocabFile, new byte[] {'{', '"', (byte) 0xC3, '"', ':', '0', '}'});
        assertMessage(() -> Gpt2Tokenizer.load(dir), vocabFile + " is not UTF-8 text");

        write(vocabFile, vocab, mergesFile, merges);
        Gpt2Tokenizer ok = Gpt2Tokenizer.load(dir);
        assertMessage(() -> ok.decode(new int[] {300}), "id 300 has no token");
        assertMessage(() -> ok.decode(new int[] {50257}), "id 50257 is outside [0, 50257)");
    }

    private static void write(Path vocabFile, String vocab, Path mergesFile, String merges) throws IOException {
        Files.writeString(vocabFile, vocab, StandardCharsets.UTF_8);
        Files.writeString(mergesFile, merges, StandardCharsets.UTF_8);
    }

    private static String escape(String s) {
        StringBuilder out = new StringBuilder("\"");
        s.codePoints().forEach(cp -> out.append(cp >= 0x20 && cp < 0x7f ? Character.toString(cp) : String.format("\\u{%x}", cp)));
        return out.append('"').toString();
    }
}
