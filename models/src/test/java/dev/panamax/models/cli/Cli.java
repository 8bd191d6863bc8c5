package dev.panamax.models.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;

/** Runs the panamax command in-process and captures what it printed. */
record Cli(int exit, String out, String err) {

    static Cli run(String... args) {
        PrintStream originalOut = System.out;
        PrintStream originalErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream progress = new ByteArrayOutputStream();
        StringWriter err = new StringWriter();
        int exit;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(progress, true, StandardCharsets.UTF_8));
            CommandLine cli = PanamaxCommand.commandLine();
            cli.setErr(new PrintWriter(err, true));
            exit = cli.execute(args);
        } finally {
            System.setOut(originalOut);
            System.setErr(originalErr);
        }
        return new Cli(exit, out.toString(StandardCharsets.UTF_8),
                err + progress.toString(StandardCharsets.UTF_8));
    }

    /** Asserts exit code 0 and parses stdout as one JSON object. */
    java.util.Map<String, Object> json() {
        if (exit != 0) {
            throw new AssertionError("exit " + exit + ": " + err + out);
        }
        return JsonParser.object(out);
    }
}
