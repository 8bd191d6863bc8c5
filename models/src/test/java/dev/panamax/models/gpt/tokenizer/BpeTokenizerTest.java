package dev.panamax.models.gpt.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BpeTokenizerTest {

    private static final Path SHAKESPEARE = Path.of("..", "..", "shared", "data", "tinyshakespeare.txt");

    /** English-like text that ships with the test: a few sentences repeated with variations. */
    static String englishCorpus() {
        String[] sentences = {
                "The quick brown fox jumps over the lazy dog. ",
                "It was the best of times, it was the worst of times. ",
                "To be, or not to be, that is the question. ",
                "All happy families are alike; each unhappy family is unhappy in its own way.\n",
                "Call me Ishmael. Some years ago, never mind how long precisely, I thought I would sail about.\n",
        };
        Random random = new Random(1);
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < 400; i++) {
            s.append(sentences[random.nextInt(sentences.length)]);
        }
        return s.toString();
    }

    private static BpeTokenizer english;

    @BeforeAll
    static void train() {
        english = BpeTokenizer.train(englishCorpus(), 400, true);
    }

    @Test
    void vocabularyIsBytesThenMergesThenEndOfText() {
        assertEquals(400, english.vocabSize());
        assertEquals(400 - 257, english.mergeCount());
        assertEquals(399, english.endOfText());
        for (int b = 0; b < 256; b++) {
            assertArrayEquals(new byte[] {(byte) b}, english.tokenBytes(b));
        }
        assertEquals("<|endoftext|>", english.spelling(399));
        // " the" is frequent enough to be one token, spelled as GPT-2 spells it.
        int[] the = english.encode(" the");
        assertEquals(1, the.length);
        assertEquals("Ġthe", english.spelling(the[0]));
    }

    @Test
    void roundTripsArbitraryUtf8() {
        Random random = new Random(42);
        for (int i = 0; i < 2000; i++) {
            String text = RandomText.next(random, 40);
            int[] ids = english.encode(text);
            assertEquals(text, english.decode(ids), () -> "text " + Arrays.toString(text.codePoints().toArray()));
            assertArrayEquals(text.getBytes(StandardCharsets.UTF_8), english.decodeBytes(ids));
            for (int id : ids) {
                assertTrue(id >= 0 && id < english.endOfText(), "ordinary text never yields <|endoftext|>");
            }
        }
    }

    @Test
    void endOfTextIsOneTokenAndSplitsTheText() {
        int eot = english.endOfText();
        int[] ids = english.encode("the dog<|endoftext|>The fox");
        List<Integer> list = Arrays.stream(ids).boxed().toList();
        assertEquals(1, list.stream().filter(id -> id == eot).count());
        int at = list.indexOf(eot);
        assertArrayEquals(english.encode("the dog"), Arrays.copyOfRange(ids, 0, at));
        assertArrayEquals(english.encode("The fox"), Arrays.copyOfRange(ids, at + 1, ids.length));
        assertEquals("the dog<|endoftext|>The fox", english.decode(ids));

        BpeTokenizer withoutEot = BpeTokenizer.train(englishCorpus(), 300, false);
        assertEquals(-1, withoutEot.endOfText());
        assertEquals("<|endoftext|>", withoutEot.decode(withoutEot.encode("<|endoftext|>")));
        assertTrue(withoutEot.encode("<|endoftext|>").length > 1, "without the special token it is plain text");
    }

    @Test
    void streamingBytesOfSplitCharactersJoinUp() {
        // Train on text whose multi-byte characters get split across tokens, then decode token by token.
        BpeTokenizer tokenizer = BpeTokenizer.train("日本語 日本 本語 語日 ".repeat(20) + "😀😃 😀", 270, false);
        String text = "日本語と😀😃!";
        int[] ids = tokenizer.encode(text);
        java.io.ByteArrayOutputStream stream = new java.io.ByteArrayOutputStream();
        for (int id : ids) {
            stream.writeBytes(tokenizer.decodeBytes(new int[] {id}));
        }
        assertEquals(text, stream.toString(StandardCharsets.UTF_8));
        // A lone continuation byte decodes to U+FFFD rather than failing.
        assertEquals("\uFFFD", tokenizer.decode(new int[] {0x80}));
    }

    @Test
    void trainingIsDeterministic() {
        String corpus = englishCorpus();
        BpeTokenizer again = BpeTokenizer.train(corpus, 400, true);
        for (int id = 0; id < english.vocabSize(); id++) {
            assertEquals(english.spelling(id), again.spelling(id), "token " + id);
        }
        assertArrayEquals(english.encode(corpus), again.encode(corpus));
    }

    @Test
    void mergesTheMostFrequentPairFirstAndBreaksTiesBySmallerIds() {
        // Chunks: "aa" x3, " ab" x1, " ba" x1 ... counted: (a,a)=3 wins outright.
        BpeTokenizer t = BpeTokenizer.train("aa aa aa", 257, false);
        assertEquals(1, t.mergeCount());
        assertEquals("aa", t.spelling(256));
        // "xy" and "yx" both occur twice: the tie goes to the pair with the smaller left id ('x' < 'y').
        BpeTokenizer tie = BpeTokenizer.train("xy!yx!xy!yx", 257, false);
        assertEquals("xy", tie.spelling(256));
        // A pair seen only once is never merged: training stops early.
        BpeTokenizer tiny = BpeTokenizer.train("abc", 300, false);
        assertEquals(0, tiny.mergeCount());
        assertEquals(256, tiny.vocabSize());
    }

    @Test
    void incrementalTrainingEqualsRecountingFromScratch() {
        Random random = new Random(7);
        for (int trial = 0; trial < 20; trial++) {
            StringBuilder corpus = new StringBuilder();
            String alphabet = trial % 2 == 0 ? "ab c" : "abcd efé\n";
            int length = 50 + random.nextInt(400);
            for (int i = 0; i < length; i++) {
                corpus.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            int merges = 1 + random.nextInt(40);
            int[][] fast = BpeTrainer.train(List.of(corpus.toString()), merges);
            int[][] slow = naiveTraining(corpus.toString(), merges);
            assertArrayEquals(slow[0], fast[0], "lefts, corpus " + corpus);
            assertArrayEquals(slow[1], fast[1], "rights, corpus " + corpus);
        }
    }

    /** The textbook algorithm: recount every pair of every chunk after each merge. */
    private static int[][] naiveTraining(String corpus, int merges) {
        List<List<Integer>> words = new ArrayList<>();
        PreTokenizer.split(corpus, 0, corpus.length(), chunk -> {
            List<Integer> word = new ArrayList<>();
            for (byte b : chunk.getBytes(StandardCharsets.UTF_8)) {
                word.add(b & 0xff);
            }
            words.add(word);
        });
        List<Integer> lefts = new ArrayList<>();
        List<Integer> rights = new ArrayList<>();
        for (int m = 0; m < merges; m++) {
            Map<List<Integer>, Integer> counts = new HashMap<>();
            for (List<Integer> w : words) {
                for (int i = 0; i + 1 < w.size(); i++) {
                    counts.merge(List.of(w.get(i), w.get(i + 1)), 1, Integer::sum);
                }
            }
            List<Integer> best = null;
            int bestCount = 0;
            for (Map.Entry<List<Integer>, Integer> e : counts.entrySet()) {
                List<Integer> p = e.getKey();
                int c = e.getValue();
                if (c > bestCount || (c == bestCount && (p.get(0) < best.get(0)
                        || (p.get(0).equals(best.get(0)) && p.get(1) < best.get(1))))) {
                    best = p;
                    bestCount = c;
                }
            }
            if (bestCount < BpeTrainer.MIN_COUNT) {
                break;
            }
            lefts.add(best.get(0));
            rights.add(best.get(1));
            for (List<Integer> w : words) {
                for (int i = 0; i + 1 < w.size(); i++) {
                    if (w.get(i).equals(best.get(0)) && w.get(i + 1).equals(best.get(1))) {
                        w.set(i, 256 + m);
                        w.remove(i + 1);
                    }
                }
            }
        }
        return new int[][] {lefts.stream().mapToInt(Integer::intValue).toArray(),
                rights.stream().mapToInt(Integer::intValue).toArray()};
    }

    @Test
    void compressesEnglish() {
        String corpus = englishCorpus();
        int bytes = corpus.getBytes(StandardCharsets.UTF_8).length;
        int tokens = english.encode(corpus).length;
        assertTrue(tokens * 3 < bytes, "expected < 1/3 token per byte on its own training text, got "
                + tokens + " tokens for " + bytes + " bytes");
    }

    @Test
    void compressesTinyShakespeare() throws IOException {
        Assumptions.assumeTrue(Files.isRegularFile(SHAKESPEARE), "skipped: " + SHAKESPEARE.toAbsolutePath()
                + " is not there (the shared data folder is outside the repository)");
        String text = Files.readString(SHAKESPEARE, StandardCharsets.UTF_8);
        BpeTokenizer bpe = BpeTokenizer.train(text, 512, true);
        assertEquals(512, bpe.vocabSize());
        int[] ids = bpe.encode(text);
        int bytes = text.getBytes(StandardCharsets.UTF_8).length;
        // GPT-2's own 50k vocabulary gives ~0.30 tokens/byte here; 255 merges give well under 0.6.
        assertTrue(ids.length < 0.6 * bytes, ids.length + " tokens for " + bytes + " bytes");
        assertEquals(text, bpe.decode(ids));
    }

    @Test
    void saveThenLoadGivesIdenticalIds(@TempDir Path dir) {
        english.save(dir);
        BpeTokenizer loaded = BpeTokenizer.load(dir);
        assertEquals(english.vocabSize(), loaded.vocabSize());
        assertEquals(english.endOfText(), loaded.endOfText());
        Random random = new Random(3);
        String corpus = englishCorpus();
        assertArrayEquals(english.encode(corpus), loaded.encode(corpus));
        for (int i = 0; i < 200; i++) {
            String text = RandomText.next(random, 30);
            assertArrayEquals(english.encode(text), loaded.encode(text));
        }
        Tokenizer viaTokenizers = Tokenizers.load(dir);
        assertEquals("bpe", viaTokenizers.kind());
        assertArrayEquals(english.encode(corpus), viaTokenizers.encode(corpus));
    }

    @Test
    void badFilesSayWhatIsWrong(@TempDir Path dir) throws IOException {
        Path file = dir.resolve(BpeTokenizer.FILE);
        assertMessage(() -> BpeTokenizer.load(dir), "does not exist");

        Files.writeString(file, "{\"kind\": \"bpe\", ");
        assertMessage(() -> BpeTokenizer.load(dir), file + " is not valid JSON");

        english.save(dir);
        String good = Files.readString(file);
        Files.writeString(file, good.replace("\"kind\": \"bpe\"", "\"kind\": \"char\""));
        assertMessage(() -> BpeTokenizer.load(dir), "\"kind\" is char");

        // A merge that joins a token made only later.
        Files.writeString(file, good.replaceFirst("\"merges\": \\[\\[\\d+, \\d+\\]", "\"merges\": [[300, 101]"));
        assertMessage(() -> BpeTokenizer.load(dir), "merge 0 is [300, 101], but token 300 does not exist yet");

        // One spelling edited: the merges no longer make that token.
        Files.writeString(file, good.replace("\"Ġthe\"", "\"Ġtho\""));
        assertMessage(() -> BpeTokenizer.load(dir), "but the merges make it \"Ġthe\"");

        Files.writeString(file, good.replace("\"vocab_size\": 400", "\"vocab_size\": 401"));
        assertMessage(() -> BpeTokenizer.load(dir), "\"vocab_size\" is 401");

        Files.writeString(file, good.replace("\"merges\": [[", "\"merges\": [[1, 2, 3], ["));
        assertMessage(() -> BpeTokenizer.load(dir), "merges[0] is [1, 2, 3], expected a pair of token ids");
    }

    @Test
    void badArgumentsAreRejected() {
        assertMessage(() -> BpeTokenizer.train("", 300, true), "the corpus is empty");
        assertMessage(() -> BpeTokenizer.train("abc", 256, true), "vocabSize 256 is outside [257,");
        assertMessage(() -> BpeTokenizer.train("abc", 255, false), "vocabSize 255 is outside [256,");
        assertMessage(() -> english.encode("a\uD800b"), "unpaired surrogate U+D800 at index 1");
        assertMessage(() -> english.decode(new int[] {5, 400}), "id 400 is outside [0, 400)");
        assertMessage(() -> english.decode(new int[] {-1}), "id -1 is outside");
    }

    static void assertMessage(org.junit.jupiter.api.function.Executable call, String expectedPart) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(expectedPart),
                () -> "message \"" + e.getMessage() + "\" lacks \"" + expectedPart + "\"");
        assertNotEquals(null, e.getMessage());
    }
}
