package dev.panamax.models.diffusion;

import dev.panamax.engine.Backend;
import dev.panamax.engine.Tensor;
import dev.panamax.engine.io.AtomicFiles;
import dev.panamax.engine.io.Json;
import dev.panamax.engine.io.SafeTensors;
import dev.panamax.engine.io.SafeTensorsException;
import dev.panamax.engine.io.SafeTensorsFile;
import dev.panamax.engine.nn.Parameter;
import dev.panamax.engine.optim.OptimizerState;
import dev.panamax.models.diffusion.data.ImageDataset;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A diffusion run on disk: one safetensors file holding everything needed to sample or to resume, written
 * atomically (a crash never leaves half a checkpoint), plus a readable {@code config.json} beside it.
 *
 * <pre>
 *   model.&lt;name&gt;                   trained weights (e.g. model.down.0.0.conv1.weight)
 *   ema.&lt;name&gt;                     their moving average: what sampling uses
 *   optimizer.&lt;name&gt;.exp_avg, ... AdamW's moments
 *   __metadata__                   model_config, training_config (JSON), step, and the optimizer's scalars
 * </pre>
 *
 * The random state is the seed in training_config and the step: every step's generator derives from those two.
 */
public final class DiffusionCheckpoint {

    /** The checkpoint's file name inside a run folder. */
    public static final String FILE = "checkpoint.safetensors";
    static final String MODEL = "model.";
    static final String EMA = "ema.";
    static final String OPTIMIZER = "optimizer.";

    private DiffusionCheckpoint() {
    }

    /** A model loaded for sampling: the EMA weights, with the schedule and configs it was trained with. */
    public record Loaded(UNet model, NoiseSchedule schedule, UNetConfig modelConfig, TrainingConfig training,
                         long step) {
    }

    static Path save(Path dir, DiffusionTrainer trainer) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve(FILE);
        try (Arena scratch = Arena.ofShared()) {
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            put(tensors, MODEL, trainer.model().parameters());
            put(tensors, EMA, trainer.ema().parameters());
            OptimizerState state = trainer.optimizer().exportState(scratch);
            state.tensors().forEach((name, tensor) -> tensors.put(OPTIMIZER + name, tensor));
            Map<String, String> metadata = new LinkedHashMap<>(state.metadata());
            metadata.put("format", "panamax-diffusion");
            metadata.put("model_config", Json.write(trainer.modelConfig().toJson()));
            metadata.put("training_config", Json.write(trainer.config().toJson()));
            metadata.put("step", Long.toString(trainer.stepCount()));
            SafeTensors.write(file, tensors, metadata);
        }
        Map<String, Object> readable = new LinkedHashMap<>();
        readable.put("model", trainer.modelConfig().toJson());
        readable.put("training", trainer.config().toJson());
        readable.put("step", trainer.stepCount());
        AtomicFiles.writeString(dir.resolve("config.json"), Json.writePretty(readable) + "\n");
        return file;
    }

    private static void put(Map<String, Tensor> tensors, String prefix, List<Parameter> parameters) {
        for (Parameter p : parameters) {
            tensors.put(prefix + p.name(), p.value());
        }
    }

    /** {@code path} itself when it is a file, else {@code path}/{@value #FILE}; the error says what is missing. */
    public static Path file(Path path) {
        if (!Files.exists(path)) {
            throw new IllegalArgumentException("checkpoint: " + path + " does not exist (expected a run folder "
                    + "holding " + FILE + ", written by 'panamax diffusion train')");
        }
        Path file = Files.isDirectory(path) ? path.resolve(FILE) : path;
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("checkpoint: " + file + " does not exist (expected a run folder "
                    + "holding " + FILE + ", written by 'panamax diffusion train')");
        }
        return file;
    }

    /** Loads the EMA weights of {@code path} (a run folder or its checkpoint file) into a new model in {@code arena}. */
    public static Loaded load(Path path, Arena arena) throws IOException {
        Path file = file(path);
        try (SafeTensorsFile opened = SafeTensorsFile.open(file)) {
            Map<String, String> metadata = opened.metadata();
            UNetConfig modelConfig = UNetConfig.fromJson(required(file, metadata, "model_config"));
            TrainingConfig training = trainingConfig(file, metadata);
            UNet model = new UNet(arena, modelConfig, 0);
            readInto(opened, EMA, model.parameters());
            return new Loaded(model, training.noiseSchedule(), modelConfig, training, step(file, metadata));
        }
    }

    static DiffusionTrainer resume(Path path, ImageDataset data, Backend backend, long steps) throws IOException {
        Path file = file(path);
        try (SafeTensorsFile opened = SafeTensorsFile.open(file)) {
            Map<String, String> metadata = opened.metadata();
            UNetConfig modelConfig = UNetConfig.fromJson(required(file, metadata, "model_config"));
            TrainingConfig training = trainingConfig(file, metadata);
            if (steps > 0) {
                training = training.withSteps(steps);
            }
            DiffusionTrainer trainer = new DiffusionTrainer(modelConfig, training, data, backend);
            try {
                readInto(opened, MODEL, trainer.model().parameters());
                readInto(opened, EMA, trainer.ema().parameters());
                try (Arena scratch = Arena.ofShared()) {
                    Map<String, Tensor> optimizerTensors = new LinkedHashMap<>();
                    for (SafeTensorsFile.Entry entry : opened.entries()) {
                        if (entry.name().startsWith(OPTIMIZER)) {
                            optimizerTensors.put(entry.name().substring(OPTIMIZER.length()),
                                    opened.read(entry.name(), scratch));
                        }
                    }
                    trainer.optimizer().importState(trainer.model().parameters(),
                            OptimizerState.fromMetadata(metadata, optimizerTensors));
                }
                trainer.restoreStep(step(file, metadata));
                return trainer;
            } catch (IOException | RuntimeException e) {
                trainer.close();
                throw e;
            }
        }
    }

    private static void readInto(SafeTensorsFile opened, String prefix, List<Parameter> parameters)
            throws SafeTensorsException {
        for (Parameter p : parameters) {
            String name = prefix + p.name();
            if (opened.entry(name) == null) {
                throw new SafeTensorsException(opened.path(), "has no tensor " + name
                        + "; it is not a diffusion checkpoint of this model");
            }
            opened.readInto(name, p.value());
        }
    }

    private static TrainingConfig trainingConfig(Path file, Map<String, String> metadata) {
        if (!(Json.parse(required(file, metadata, "training_config")) instanceof Map<?, ?> json)) {
            throw new IllegalArgumentException("checkpoint " + file + ": training_config is not a JSON object");
        }
        return TrainingConfig.fromJson(json);
    }

    private static long step(Path file, Map<String, String> metadata) {
        try {
            return Long.parseLong(required(file, metadata, "step"));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("checkpoint " + file + ": step is not a whole number");
        }
    }

    private static String required(Path file, Map<String, String> metadata, String key) {
        String value = metadata.get(key);
        if (value == null) {
            throw new IllegalArgumentException("checkpoint " + file + " has no '" + key + "' in its metadata; it "
                    + "was not written by 'panamax diffusion train'");
        }
        return value;
    }
}
