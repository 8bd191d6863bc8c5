package dev.panamax.models.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class PanamaxCommandTest {

    @TempDir
    Path dir;

    @Test
    void demoRunsTheCourseLessonsThenComparesBackends() {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true));
        int exit;
        try {
            exit = PanamaxCommand.commandLine().execute("demo", "--sizes", "33,64", "--seconds", "0.05", "--out",
                    dir.toString(), "--gpt-iters", "8");
        } finally {
            System.setOut(original);
        }
        String out = captured.toString();
        assertEquals(0, exit, out);
        assertTrue(out.indexOf("1. Regression") < out.indexOf("2. Classification")
                && out.indexOf("2. Classification") < out.indexOf("3. The engine"), out);
        assertTrue(out.contains("lowest test RMSE") && out.contains("confusion matrix"), out);
        assertTrue(Files.exists(dir.resolve("regress/sweep.png")) && Files.exists(dir.resolve("classify/boundary.png")));
        assertTrue(out.contains("simd GF/s"), out);
        // the GPT section (8 steps here: it runs, it does not learn yet) trains, then scores 20 sums
        assertTrue(out.indexOf("3. The engine") < out.indexOf("4. A GPT") && out.contains("of 20 sums right"), out);
        assertTrue(Files.exists(dir.resolve("gpt/metrics.csv")) && Files.exists(dir.resolve("gpt/loss.png")));
        // Each row ends with the relative difference to the scalar reference; float GEMM agrees to ~1e-6.
        for (String line : out.split("\n")) {
            if (line.trim().startsWith("33") || line.trim().startsWith("64")) {
                String[] cols = line.trim().split("\\s+");
                assertTrue(Double.parseDouble(cols[cols.length - 1]) < 1e-5, line);
            }
        }
    }

    @Test
    void badInputGivesOneClearLineAndExitCode2() {
        CommandLine cli = PanamaxCommand.commandLine();
        StringWriter err = new StringWriter();
        cli.setErr(new PrintWriter(err));
        assertEquals(2, cli.execute("demo", "--sizes", "0"));
        assertTrue(err.toString().contains("--sizes"), err.toString());

        CommandLine unknownBackend = PanamaxCommand.commandLine();
        StringWriter err2 = new StringWriter();
        unknownBackend.setErr(new PrintWriter(err2));
        assertEquals(2, unknownBackend.execute("info", "--backend", "tpu"));
        assertTrue(err2.toString().contains("tpu") && err2.toString().contains("scalar"), err2.toString());
    }
}
