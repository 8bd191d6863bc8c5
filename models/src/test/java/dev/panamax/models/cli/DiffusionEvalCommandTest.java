package dev.panamax.models.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code panamax diffusion eval} on tiny 12×12 glyph models (a few steps: the figures are poor, the report is not)
 * with a small judge trained into a temporary cache.
 */
class DiffusionEvalCommandTest {

    @TempDir
    Path dir;

    private Cli train(String name, String... extra) {
        String[] base = {"diffusion", "train", "--out", dir.toString(), "--name", name, "--data", "glyphs",
            "--data-count", "64", "--image-size", "12", "--base-channels", "8", "--channel-mult", "1,2", "--heads", "2",
            "--groups", "4", "--batch", "4", "--steps", "2", "--warmup", "1", "--sample-every", "0", "--sample-steps",
            "1", "--checkpoint-every", "0"};
        String[] args = java.util.Arrays.copyOf(base, base.length + extra.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        return Cli.run(args);
    }

    private Cli eval(String name, String... extra) {
        String[] base = {"diffusion", "eval", "--checkpoint", dir.resolve(name).toString(), "--count", "20",
            "--steps", "2", "--judge-images", "400", "--judge-cache", dir.resolve("judge").toString()};
        String[] args = java.util.Arrays.copyOf(base, base.length + extra.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        return Cli.run(args);
    }

    @Test
    void reportsAccuracyDistanceFloorAndRatioOfAConditionalModel() {
        Cli trained = train("digits");
        assertEquals(0, trained.exit(), trained.err() + trained.out());
        Path grid = dir.resolve("eval.png");
        Cli eval = eval("digits", "--grid", grid.toString());
        assertEquals(0, eval.exit(), eval.err() + eval.out());
        String out = eval.out();
        for (String field : new String[] {"20 samples, DDIM 2 steps, guidance 2.0", "recognised as the requested class",
            "(", " of 20)", "per class:  0 ", "FID-style distance, generated vs real", "floor, real vs real",
            "ratio to the floor", "judge: "}) {
            assertTrue(out.contains(field), field + " in " + out);
        }
        assertTrue(Files.isRegularFile(grid), out);
        assertTrue(Files.isRegularFile(dir.resolve("judge").resolve("glyph-classifier-digits-12px.safetensors")));
        assertTrue(eval.err().contains("image-step"), eval.err());

        Cli someLabels = eval("digits", "--labels", "3,7", "--guidance", "1");
        assertEquals(0, someLabels.exit(), someLabels.err() + someLabels.out());
        assertTrue(someLabels.out().contains("per class:  3 ") && someLabels.out().contains("  7 ")
                && !someLabels.out().contains("  0 "), someLabels.out());
        Cli badLabel = eval("digits", "--labels", "10");
        assertEquals(2, badLabel.exit());
        assertTrue(badLabel.err().contains("label 10 is outside the model's classes [0, 10)"), badLabel.err());
    }

    @Test
    void anUnconditionalModelGetsTheDistanceOnlyAndOtherImagesAreRefused() {
        Cli trained = train("free", "--unconditional");
        assertEquals(0, trained.exit(), trained.err() + trained.out());
        Cli eval = eval("free");
        assertEquals(0, eval.exit(), eval.err() + eval.out());
        assertTrue(eval.out().contains("n/a (unconditional samples)") && eval.out().contains("ratio to the floor"),
                eval.out());
        Cli guided = eval("free", "--guidance", "2");
        assertEquals(2, guided.exit());
        assertTrue(guided.err().contains("needs a class-conditional model"), guided.err());

        Cli shapes = Cli.run("diffusion", "train", "--out", dir.toString(), "--name", "shapes", "--data", "shapes",
                "--data-count", "16", "--image-size", "8", "--base-channels", "8", "--channel-mult", "1,2", "--heads",
                "2", "--groups", "4", "--batch", "4", "--steps", "1", "--warmup", "0", "--sample-every", "0",
                "--sample-steps", "1");
        assertEquals(0, shapes.exit(), shapes.err() + shapes.out());
        Cli notGlyphs = eval("shapes");
        assertEquals(2, notGlyphs.exit());
        assertTrue(notGlyphs.err().contains("diffusion eval judges glyph models") && notGlyphs.err().contains("8x8"),
                notGlyphs.err());
        assertEquals(1, notGlyphs.err().strip().lines().count(), notGlyphs.err());
        Cli missing = eval("none");
        assertEquals(2, missing.exit());
        assertTrue(missing.err().contains("does not exist"), missing.err());
    }
}
