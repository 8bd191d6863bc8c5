package dev.panamax.models.gpt;

import dev.panamax.engine.Tensor;
import dev.panamax.engine.io.SafeTensorsException;
import dev.panamax.engine.io.SafeTensorsFile;
import dev.panamax.engine.nn.Parameter;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Hugging Face's GPT-2 checkpoints ({@code model.safetensors} and {@code config.json} of {@code gpt2},
 * {@code gpt2-medium}, ..., supplied by the user: nothing downloads) loaded into a {@link GptModel}.
 *
 * <p>The names are the same as ours ({@code h.0.attn.c_attn.weight}; a {@code transformer.} prefix, as in
 * {@code GPT2LMHeadModel} exports, is accepted). The difference is the layout of the four linear layers per
 * block: Hugging Face's GPT-2 uses {@code Conv1D}, which stores the weight as [in, out], where ours (PyTorch's
 * {@code nn.Linear}) is [out, in], so those are transposed on load. The file's non-parameter buffers (the causal
 * masks {@code h.*.attn.bias} and {@code h.*.attn.masked_bias}) and the tied {@code lm_head.weight} are skipped.
 *
 * <p>Generate with {@link GptGenerator} and the GPT-2 tokenizer built from the same model's {@code vocab.json} and
 * {@code merges.txt}.
 */
public final class HuggingFaceGpt2 {

    /** The per-block layers Hugging Face stores as Conv1D, [in, out]. */
    private static final List<String> CONV1D = List.of(".attn.c_attn.weight", ".attn.c_proj.weight",
            ".mlp.c_fc.weight", ".mlp.c_proj.weight");

    private HuggingFaceGpt2() {
    }

    /** The model shape from a Hugging Face GPT-2 {@code config.json} (n_positions, n_layer, n_head, n_embd, vocab_size). */
    public static GptConfig config(Path configJson) {
        try {
            return GptConfig.fromJson(Files.readString(configJson, StandardCharsets.UTF_8), configJson.toString());
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(configJson + " does not exist", e);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + configJson + ": " + e.getMessage(), e);
        }
    }

    /**
     * A model of shape {@code config} holding the weights of a Hugging Face GPT-2 {@code model.safetensors}.
     * Every parameter must be in the file with its shape (transposed for Conv1D); a missing, mis-shaped or
     * unknown tensor throws an {@link IllegalArgumentException} naming the file and listing the problems.
     */
    public static GptModel loadWeights(Path modelSafetensors, GptConfig config) {
        GptModel model = new GptModel(config, 0);
        try (SafeTensorsFile file = SafeTensorsFile.open(modelSafetensors)) {
            String prefix = file.entry("wte.weight") == null && file.entry("transformer.wte.weight") != null
                    ? "transformer." : "";
            List<String> problems = new ArrayList<>();
            Set<String> used = new HashSet<>();
            for (Parameter p : model.parameters()) {
                String name = prefix + p.name();
                SafeTensorsFile.Entry entry = file.entry(name);
                int[] want = stored(p);
                if (entry == null) {
                    problems.add("missing " + name + " " + Arrays.toString(want));
                } else if (!Arrays.equals(toInts(entry.shape()), want)) {
                    problems.add(name + " is " + entry.shapeString() + " in the file, expected " + Arrays.toString(want)
                            + (isConv1d(p) ? " (Conv1D layout, [in, out])" : ""));
                }
                used.add(name);
            }
            for (SafeTensorsFile.Entry entry : file.entries()) {
                String name = entry.name();
                boolean buffer = name.endsWith(".attn.bias") || name.endsWith(".attn.masked_bias")
                        || name.equals("lm_head.weight");
                if (!used.contains(name) && !buffer) {
                    problems.add("unexpected tensor " + name + " " + entry.shapeString());
                }
            }
            if (!problems.isEmpty()) {
                throw new IllegalArgumentException(modelSafetensors + " does not fit a GPT-2 of "
                        + GptModel.describe(config) + ":\n  " + String.join("\n  ",
                        problems.subList(0, Math.min(20, problems.size())))
                        + (problems.size() > 20 ? "\n  ... (" + problems.size() + " problems)" : ""));
            }
            for (Parameter p : model.parameters()) {
                String name = prefix + p.name();
                if (isConv1d(p)) {
                    try (Arena scratch = Arena.ofShared()) {
                        transposeInto(file.read(name, scratch), p.value());
                    }
                } else {
                    file.readInto(name, p.value());
                }
            }
            return model;
        } catch (SafeTensorsException e) {
            model.close();
            throw new IllegalArgumentException(e.getMessage(), e);
        } catch (IOException e) {
            model.close();
            throw new IllegalArgumentException("cannot read " + modelSafetensors + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    static boolean isConv1d(Parameter p) {
        return p.name().startsWith("h.") && CONV1D.stream().anyMatch(p.name()::endsWith);
    }

    /** The shape Hugging Face stores a parameter in: Conv1D weights transposed. */
    private static int[] stored(Parameter p) {
        int[] shape = p.value().shape();
        return isConv1d(p) ? new int[] {shape[1], shape[0]} : shape;
    }

    /** target [out, in] = source [in, out]ᵀ, a row of the target at a time. */
    private static void transposeInto(Tensor source, Tensor target) {
        int rows = source.dim(0);
        int cols = source.dim(1);
        MemorySegment from = source.segment();
        MemorySegment to = target.segment();
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                to.setAtIndex(ValueLayout.JAVA_FLOAT, (long) j * rows + i,
                        from.getAtIndex(ValueLayout.JAVA_FLOAT, (long) i * cols + j));
            }
        }
    }

    private static int[] toInts(long[] shape) {
        int[] out = new int[shape.length];
        for (int i = 0; i < shape.length; i++) {
            out[i] = (int) shape[i];
        }
        return out;
    }
}
