package dev.panamax.models.cli;

import dev.panamax.engine.Backend;
import dev.panamax.engine.Backends;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code panamax gpt}: train a GPT-2-style model on a text, and continue a prompt with it. */
@Command(name = "gpt", mixinStandardHelpOptions = true,
        description = {"Train a GPT-2-style language model on a text file, and generate text with it",
            "(the course's 文字接龙: continue a text one token at a time)."},
        subcommands = {GptTrainCommand.class, GptGenerateCommand.class})
final class GptCommand {

    @ParentCommand
    PanamaxCommand parent;

    Backend backend() {
        return Backends.select(parent == null ? "auto" : parent.backend);
    }
}
