package dev.panamax.models.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GptCommandTest {

    @TempDir
    Path dir;

    @Test
    void trainsThenGeneratesFromTheRunFolder() throws IOException {
        Path text = dir.resolve("text.txt");
        Files.writeString(text, "hello world, héllo wörld. ".repeat(40));
        Path run = dir.resolve("run");
        Cli train = Cli.run("--threads", "1", "gpt", "train", "--text", text.toString(), "--preset", "tiny",
                "--block-size", "8", "--batch-size", "2", "--max-iters", "5", "--eval-interval", "2",
                "--eval-iters", "1", "--warmup-iters", "1", "--out", run.toString());
        assertEquals(0, train.exit(), train.err() + train.out());
        assertTrue(train.out().contains("step 2: train loss") && train.out().contains("step 5: train loss"),
                train.out());
        List<String> metrics = Files.readAllLines(run.resolve("metrics.csv"));
        assertTrue(metrics.get(0).startsWith("step,train_loss,val_loss,lr,tokens_per_s,elapsed_s"), metrics.get(0));
        assertEquals(6, metrics.size());
        assertTrue(metrics.get(5).split(",")[2].length() > 0, "the last step has a val loss: " + metrics.get(5));
        assertTrue(Files.isRegularFile(run.resolve("loss.png")));

        Cli generate = Cli.run("gpt", "generate", "--checkpoint", run.toString(), "--prompt", "héllo",
                "--max-tokens", "12", "--seed", "3");
        assertEquals(0, generate.exit(), generate.err());
        assertTrue(generate.out().startsWith("héllo") && generate.out().contains("prefill 5 tokens at") && generate.out().contains(" tokens/s"),
                generate.out());
        Cli again = Cli.run("gpt", "generate", "--checkpoint", run.toString(), "--prompt", "héllo",
                "--max-tokens", "12", "--seed", "3");
        assertEquals(generate.out().lines().findFirst(), again.out().lines().findFirst());   // same seed, same text

        Cli resumed = Cli.run("gpt", "train", "--text", text.toString(), "--out", run.toString(), "--resume",
                "--max-iters", "6");
        assertEquals(0, resumed.exit(), resumed.err() + resumed.out());
        assertTrue(resumed.out().contains("resuming") && resumed.out().contains("step 6"), resumed.out());
    }

    @Test
    void badInputIsOneClearLine() throws IOException {
        Path tiny = dir.resolve("tiny.txt");
        Files.writeString(tiny, "abc");
        Cli small = Cli.run("gpt", "train", "--text", tiny.toString(), "--out", dir.resolve("r").toString());
        assertEquals(2, small.exit());
        assertTrue(small.err().contains("has 3 tokens") && small.err().contains("block size"), small.err());
        Cli missing = Cli.run("gpt", "train", "--text", dir.resolve("nope.txt").toString());
        assertTrue(missing.exit() == 2 && missing.err().contains("does not exist"), missing.err());
        Cli empty = Cli.run("gpt", "generate", "--checkpoint", dir.toString());
        assertTrue(empty.exit() == 2 && empty.err().contains("holds no GPT checkpoint"), empty.err());
        Cli preset = Cli.run("gpt", "train", "--text", tiny.toString(), "--preset", "huge");
        assertTrue(preset.exit() == 2 && preset.err().contains("unknown GPT preset 'huge'"), preset.err());
        Cli temperature = Cli.run("gpt", "generate", "--checkpoint", dir.toString(), "--temperature", "0");
        assertTrue(temperature.exit() == 2 && temperature.err().contains("temperature must be a number > 0"),
                temperature.err());
        Cli topP = Cli.run("gpt", "generate", "--checkpoint", dir.toString(), "--top-p", "1.5");
        assertTrue(topP.exit() == 2 && topP.err().contains("top-p must be in (0, 1]"), topP.err());
    }
}
