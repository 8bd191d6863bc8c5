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
                "--eval-iters", "1", "--warmup-iters", "1", "--no-bias", "--beta1", "0.8", "--full-val",
                "--out", run.toString());
        assertEquals(0, train.exit(), train.err() + train.out());
        assertTrue(train.out().contains("step 2: train loss") && train.out().contains("step 5: train loss"),
                train.out());
        assertTrue(train.out().contains(", no bias") && train.out().contains("val loss over the whole val split"),
                train.out());
        String config = Files.readString(run.resolve("checkpoint").resolve("config.json"));
        assertTrue(config.contains("\"bias\": false"), config);
        String trainer = Files.readString(run.resolve("checkpoint").resolve("trainer.json"));
        assertTrue(trainer.contains("\"beta1\": 0.8"), trainer);
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
    void trainsWithABpeTokenizerSavedInTheCheckpoint() throws IOException {
        Path text = dir.resolve("text.txt");
        Files.writeString(text, "the cat sat on the mat; the cat ate the rat. ".repeat(30));
        Path run = dir.resolve("bpe");
        Cli train = Cli.run("--threads", "1", "gpt", "train", "--text", text.toString(), "--preset", "tiny",
                "--tokenizer", "bpe:300", "--block-size", "8", "--batch-size", "2", "--max-iters", "2",
                "--eval-interval", "2", "--eval-iters", "1", "--warmup-iters", "1", "--out", run.toString());
        assertEquals(0, train.exit(), train.err() + train.out());
        // at most 300 ids: training stops early once no pair of tokens occurs twice
        assertTrue(train.out().matches("(?s).*bpe vocabulary of 2[6-9]\\d;.*|(?s).*bpe vocabulary of 300;.*"), train.out());
        Cli generate = Cli.run("gpt", "generate", "--checkpoint", run.toString(), "--prompt", "the cat",
                "--max-tokens", "4", "--seed", "1");
        assertEquals(0, generate.exit(), generate.err());
        // "the cat" is fewer tokens than its 7 characters once merged
        java.util.regex.Matcher prefill = java.util.regex.Pattern.compile("prefill (\\d+) tokens").matcher(generate.out());
        assertTrue(generate.out().startsWith("the cat") && prefill.find() && Integer.parseInt(prefill.group(1)) < 7,
                generate.out());
        Cli bad = Cli.run("gpt", "train", "--text", text.toString(), "--tokenizer", "bpe:lots");
        assertTrue(bad.exit() == 2 && bad.err().contains("bpe:lots"), bad.err());
    }

    @Test
    void generatesFromAHuggingFaceGpt2Folder() throws IOException {
        // A tiny GPT-2 in Hugging Face's files: config.json, model.safetensors (Conv1D weights [in, out]) and the
        // trimmed real vocab.json/merges.txt of the tokenizer tests. Only the token rows the trimmed vocabulary
        // spells are non-zero, so greedy decoding picks a token it can print.
        Path hf = dir.resolve("gpt2-tiny");
        Files.createDirectories(hf);
        Path vocab = Path.of("src/test/resources/dev/panamax/models/gpt/tokenizer/gpt2-subset");
        Files.copy(vocab.resolve("vocab.json"), hf.resolve("vocab.json"));
        Files.copy(vocab.resolve("merges.txt"), hf.resolve("merges.txt"));
        Files.writeString(hf.resolve("config.json"),
                "{\"n_positions\": 16, \"n_layer\": 1, \"n_head\": 2, \"n_embd\": 8, \"vocab_size\": 50257}");
        java.util.Set<Integer> known = new java.util.HashSet<>();
        java.util.regex.Matcher ids = java.util.regex.Pattern.compile(":\\s*(\\d+)")
                .matcher(Files.readString(hf.resolve("vocab.json")));
        while (ids.find()) {
            known.add(Integer.parseInt(ids.group(1)));
        }
        var config = dev.panamax.models.gpt.HuggingFaceGpt2.config(hf.resolve("config.json"));
        try (var model = new dev.panamax.models.gpt.GptModel(config, 5);
             java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofShared()) {
            java.util.Map<String, dev.panamax.engine.Tensor> tensors = new java.util.LinkedHashMap<>();
            for (var p : model.parameters()) {
                float[] v = p.value().toArray();
                int[] shape = p.value().shape();
                if (p.name().equals("wte.weight")) {
                    for (int row = 0; row < shape[0]; row++) {
                        if (!known.contains(row)) {
                            java.util.Arrays.fill(v, row * shape[1], (row + 1) * shape[1], 0f);
                        }
                    }
                }
                if (p.name().matches("h\\.\\d+\\.(attn\\.c_attn|attn\\.c_proj|mlp\\.c_fc|mlp\\.c_proj)\\.weight")) {
                    float[] t = new float[v.length];
                    for (int i = 0; i < shape[0]; i++) {
                        for (int j = 0; j < shape[1]; j++) {
                            t[j * shape[0] + i] = v[i * shape[1] + j];
                        }
                    }
                    tensors.put(p.name(), dev.panamax.engine.Tensor.of(arena, t, shape[1], shape[0]));
                } else {
                    tensors.put(p.name(), dev.panamax.engine.Tensor.of(arena, v, shape));
                }
            }
            dev.panamax.engine.io.SafeTensors.write(hf.resolve("model.safetensors"), tensors, java.util.Map.of());
        }
        Cli generate = Cli.run("gpt", "generate", "--hf-dir", hf.toString(), "--prompt", "Hello world",
                "--max-tokens", "2", "--top-k", "1");
        assertEquals(0, generate.exit(), generate.err());
        assertTrue(generate.out().startsWith("Hello world") && generate.out().contains("prefill 2 tokens"),
                generate.out());
        Cli both = Cli.run("gpt", "generate", "--hf-dir", hf.toString(), "--checkpoint", hf.toString());
        assertTrue(both.exit() == 2 && both.err().contains("not both"), both.err());
        Cli neither = Cli.run("gpt", "generate", "--prompt", "x");
        assertTrue(neither.exit() == 2 && neither.err().contains("not neither"), neither.err());
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
