package dev.panamax.models.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code panamax diffusion train} and {@code sample} on a tiny model: the files a user gets, resume, errors. */
class DiffusionCommandTest {

    @TempDir
    Path dir;

    private static final String[] TINY = {"--data", "shapes", "--image-size", "8", "--base-channels", "8", "--channel-mult", "1,2",
        "--heads", "2", "--groups", "4", "--batch", "4", "--sample-every", "2", "--sample-steps", "2",
        "--checkpoint-every", "2", "--warmup", "1"};

    private Cli train(String... extra) {
        String[] args = new String[TINY.length + extra.length + 6];
        args[0] = "diffusion";
        args[1] = "train";
        args[2] = "--out";
        args[3] = dir.toString();
        args[4] = "--name";
        args[5] = "tiny";
        System.arraycopy(TINY, 0, args, 6, TINY.length);
        System.arraycopy(extra, 0, args, 6 + TINY.length, extra.length);
        return Cli.run(args);
    }

    @Test
    void trainWritesTheRunAndResumesIt() throws Exception {
        Cli first = train("--steps", "3");
        assertEquals(0, first.exit(), first.err() + first.out());
        Path run = dir.resolve("tiny");
        for (String file : List.of("checkpoint.safetensors", "config.json", "metrics.csv", "loss.png", "samples.png",
                "samples/step_000002.png")) {
            assertTrue(Files.isRegularFile(run.resolve(file)), file + " in " + first.out());
        }
        List<String> metrics = Files.readAllLines(run.resolve("metrics.csv"));
        assertEquals("step,loss,lr,images_per_s,seconds", metrics.get(0));
        assertEquals(4, metrics.size(), metrics.toString());
        assertTrue(first.err().contains("img/s") && first.err().contains("loss"), first.err());

        Cli resumed = train("--steps", "4", "--resume");
        assertEquals(0, resumed.exit(), resumed.err() + resumed.out());
        assertTrue(resumed.out().contains("resuming at step 3"), resumed.out());
        metrics = Files.readAllLines(run.resolve("metrics.csv"));
        assertEquals(5, metrics.size(), metrics.toString());
        assertTrue(metrics.get(4).startsWith("4,"), metrics.toString());

        Path grid = dir.resolve("grid.png");
        Cli sample = Cli.run("diffusion", "sample", "--checkpoint", run.toString(), "--steps", "3", "--count", "2",
                "--label", "1", "--guidance", "1.5", "--trajectory", "--frames", "3", "--out", grid.toString());
        assertEquals(0, sample.exit(), sample.err() + sample.out());
        assertTrue(Files.isRegularFile(grid) && Files.isRegularFile(dir.resolve("grid-trajectory.png")), sample.out());
        assertTrue(sample.out().contains("2 images, DDIM 3 steps, label 1, guidance 1.5"), sample.out());

        Cli badLabel = Cli.run("diffusion", "sample", "--checkpoint", run.toString(), "--label", "4");
        assertEquals(2, badLabel.exit());
        assertTrue(badLabel.err().contains("label 4 is outside the model's classes [0, 4)"), badLabel.err());
        Cli badSteps = Cli.run("diffusion", "sample", "--checkpoint", run.toString(), "--sampler", "ddpm", "--steps",
                "-1");
        assertEquals(2, badSteps.exit());
        assertTrue(badSteps.err().contains("steps must be in [1, 1000]"), badSteps.err());
    }

    @Test
    void badInputGivesOneClearLine() {
        Cli unknownData = Cli.run("diffusion", "train", "--out", dir.toString(), "--data", "mnist");
        assertEquals(2, unknownData.exit());
        assertTrue(unknownData.err().contains("unknown dataset 'mnist'; available: glyphs ("), unknownData.err());
        Cli badSize = Cli.run("diffusion", "train", "--data", "shapes", "--out", dir.toString(), "--image-size", "12", "--channel-mult",
                "1,2,2,2", "--groups", "4", "--base-channels", "8");
        assertEquals(2, badSize.exit());
        assertTrue(badSize.err().contains("image size 12x12 is not divisible by 2^3 = 8"), badSize.err());
        Cli noCheckpoint = Cli.run("diffusion", "sample", "--checkpoint", dir.resolve("none").toString());
        assertEquals(2, noCheckpoint.exit());
        assertTrue(noCheckpoint.err().contains("does not exist"), noCheckpoint.err());
        Cli unconditionalGuided = train("--steps", "1", "--unconditional");
        assertEquals(0, unconditionalGuided.exit(), unconditionalGuided.err());
        Cli guided = Cli.run("diffusion", "sample", "--checkpoint", dir.resolve("tiny").toString(), "--guidance", "3",
                "--steps", "2");
        assertEquals(2, guided.exit());
        assertTrue(guided.err().contains("needs a class-conditional model"), guided.err());
    }
}
