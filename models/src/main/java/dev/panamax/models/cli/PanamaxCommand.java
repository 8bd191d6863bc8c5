package dev.panamax.models.cli;

import dev.panamax.engine.Backends;
import dev.panamax.engine.parallel.WorkerPool;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code panamax} command: one subcommand per job. Run {@code ./panamax --help}. */
@Command(name = "panamax", mixinStandardHelpOptions = true, version = "panamax 0.1.0",
        description = "A Java compute engine for machine learning (Vector API kernels on off-heap memory).",
        subcommands = {DemoCommand.class, RegressCommand.class, ClassifyCommand.class, GptCommand.class,
            DiffusionCommand.class, GlyphsCommand.class, InfoCommand.class, CommandLine.HelpCommand.class})
public final class PanamaxCommand {

    @Option(names = "--threads", description = "Worker threads (default: -Dpanamax.threads, else the core count).",
            scope = CommandLine.ScopeType.INHERIT)
    void threads(int threads) {
        if (threads < 1) {
            throw new CommandLine.ParameterException(new CommandLine(this),
                    "--threads must be >= 1, got " + threads);
        }
        WorkerPool.setSharedThreads(threads);
    }

    @Option(names = "--backend", defaultValue = "auto", scope = CommandLine.ScopeType.INHERIT,
            description = "Compute backend: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).",
            completionCandidates = BackendNames.class)
    String backend;

    static final class BackendNames implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return Backends.NAMES.iterator();
        }
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line; bad input is reported as one clear line with exit code 2. */
    static CommandLine commandLine() {
        return new CommandLine(new PanamaxCommand())
                .setExecutionExceptionHandler((e, cmd, parse) -> {
                    // Bad input is reported as one clear line, not a stack trace.
                    if (e instanceof IllegalArgumentException || e instanceof IllegalStateException) {
                        cmd.getErr().println("panamax " + cmd.getCommandName() + ": " + e.getMessage());
                        return 2;
                    }
                    throw e;
                });
    }
}
