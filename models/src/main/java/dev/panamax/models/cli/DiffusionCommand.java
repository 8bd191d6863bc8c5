package dev.panamax.models.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code panamax diffusion}: DDPM image generation (course ch. 8): train a U-Net, then sample from it. */
@Command(name = "diffusion", mixinStandardHelpOptions = true,
        description = {"Denoising diffusion (DDPM): train a U-Net noise predictor on images, then generate new ones",
            "with the DDPM or DDIM sampler, optionally class-conditional with classifier-free guidance."},
        subcommands = {DiffusionTrainCommand.class, DiffusionSampleCommand.class, DiffusionEvalCommand.class})
final class DiffusionCommand implements Runnable {

    @ParentCommand
    PanamaxCommand parent;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "diffusion: name a subcommand: train, sample or eval");
    }
}
