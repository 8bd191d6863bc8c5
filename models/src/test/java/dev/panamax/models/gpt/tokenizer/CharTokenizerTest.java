package dev.panamax.models.gpt.tokenizer;

import static dev.panamax.models.gpt.tokenizer.BpeTokenizerTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CharTokenizerTest {

    @Test
    void vocabularyIsTheSortedCharactersOfTheCorpus() {
        CharTokenizer t = CharTokenizer.fromCorpus("hello, wörld 😀\n");
        assertEquals(12, t.vocabSize());   // \n space , d e h l o r w ö 😀
        assertArrayEquals(new int[] {0, 1}, t.encode("\n "));
        assertEquals(11, t.encode("😀")[0]);
        assertEquals("world 😀", t.decode(t.encode("world 😀")));
        assertEquals(-1, t.endOfText());
        assertEquals("char", t.kind());
    }

    @Test
    void roundTripsAnyTextOfItsAlphabet() {
        Random random = new Random(9);
        String corpus = RandomText.next(random, 3000);
        CharTokenizer t = CharTokenizer.fromCorpus(corpus);
        int[] cps = corpus.codePoints().toArray();
        for (int i = 0; i < 200; i++) {
            StringBuilder s = new StringBuilder();
            for (int k = random.nextInt(40); k > 0; k--) {
                s.appendCodePoint(cps[random.nextInt(cps.length)]);
            }
            assertEquals(s.toString(), t.decode(t.encode(s.toString())));
        }
    }

    @Test
    void unknownCharacterIsNamedWithItsPosition() {
        CharTokenizer t = CharTokenizer.fromCorpus("abc ");
        assertMessage(() -> t.encode("ab z"), "the character 'z' (U+007A) at index 3 is not in the vocabulary of 4");
        assertMessage(() -> t.encode("a\tb"), "(U+0009) at index 1");
        assertMessage(() -> t.decode(new int[] {4}), "id 4 is outside [0, 4)");
        assertMessage(() -> CharTokenizer.fromCorpus(""), "the corpus is empty");
    }

    @Test
    void saveThenLoadGivesIdenticalIds(@TempDir Path dir) {
        String corpus = "First Citizen:\nBefore we proceed any further, hear me speak. 日本 😀\u0301";
        CharTokenizer t = CharTokenizer.fromCorpus(corpus);
        t.save(dir);
        Tokenizer loaded = Tokenizers.load(dir);
        assertEquals("char", loaded.kind());
        assertEquals(t.vocabSize(), loaded.vocabSize());
        assertArrayEquals(t.encode(corpus), loaded.encode(corpus));
    }
}
