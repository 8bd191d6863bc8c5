package dev.panamax.models.gpt.tokenizer;

import static dev.panamax.models.gpt.tokenizer.BpeTokenizerTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizersTest {

    @Test
    void forTrainingMakesTheRequestedKind() {
        String corpus = BpeTokenizerTest.englishCorpus();
        Tokenizer chars = Tokenizers.forTraining("char", corpus);
        assertInstanceOf(CharTokenizer.class, chars);
        Tokenizer bpe = Tokenizers.forTraining(" bpe:300 ", corpus);
        assertInstanceOf(BpeTokenizer.class, bpe);
        assertEquals(300, bpe.vocabSize());
        assertEquals(299, bpe.endOfText());
        assertEquals(corpus, bpe.decode(bpe.encode(corpus)));
    }

    @Test
    void forTrainingRejectsBadSpecs() {
        assertMessage(() -> Tokenizers.forTraining("", "abc"), "tokenizer spec is empty: expected 'char'");
        assertMessage(() -> Tokenizers.forTraining(null, "abc"), "tokenizer spec is empty");
        assertMessage(() -> Tokenizers.forTraining("bpe", "abc"), "'bpe' needs a vocabulary size");
        assertMessage(() -> Tokenizers.forTraining("bpe:lots", "abc"), "vocabulary size 'lots' is not a whole number");
        assertMessage(() -> Tokenizers.forTraining("bpe:256", "abc"), "must be in [257, 1048576]");
        assertMessage(() -> Tokenizers.forTraining("bpe:99999999", "abc"), "got 99999999");
        assertMessage(() -> Tokenizers.forTraining("gpt2", "abc"), "cannot be trained");
        assertMessage(() -> Tokenizers.forTraining("word", "abc"), "tokenizer spec 'word' is unknown");
        assertMessage(() -> Tokenizers.forTraining("char", ""), "the corpus is empty");
        assertMessage(() -> Tokenizers.forTraining("bpe:300", ""), "the corpus is empty");
    }

    @Test
    void loadFindsEachKindAndRefusesAmbiguity(@TempDir Path dir) throws Exception {
        assertMessage(() -> Tokenizers.load(dir), "no tokenizer in " + dir);

        CharTokenizer chars = CharTokenizer.fromCorpus("abc");
        chars.save(dir.resolve("c"));
        assertEquals("char", Tokenizers.load(dir.resolve("c")).kind());

        Gpt2Tokenizer gpt2 = Gpt2Tokenizer.load(Gpt2TokenizerTest.subsetDir());
        gpt2.save(dir.resolve("g"));
        assertArrayEquals(new int[] {15496, 995}, Tokenizers.load(dir.resolve("g")).encode("Hello world"));

        Files.delete(dir.resolve("g").resolve(Gpt2Tokenizer.MERGES_FILE));
        assertMessage(() -> Tokenizers.load(dir.resolve("g")), "found vocab.json but not merges.txt");

        chars.save(dir.resolve("both"));
        BpeTokenizer.train("abab abab", 258, false).save(dir.resolve("both"));
        assertMessage(() -> Tokenizers.load(dir.resolve("both")), "is ambiguous: files of the kinds [char, bpe]");
        assertEquals("bpe", Tokenizers.load(dir.resolve("both"), "bpe").kind());
        assertEquals("char", Tokenizers.load(dir.resolve("both"), "char").kind());
        assertMessage(() -> Tokenizers.load(dir, "sentencepiece"), "tokenizer kind sentencepiece is unknown");
    }
}
