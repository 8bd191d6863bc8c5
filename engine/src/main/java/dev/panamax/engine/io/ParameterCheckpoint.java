package dev.panamax.engine.io;

import dev.panamax.engine.Tensor;
import dev.panamax.engine.nn.Parameter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Saves a model's parameters to a safetensors file under their names, and loads them back into an existing
 * model. Loading is all or nothing: the file must hold every parameter, with its shape, and nothing else, or no
 * parameter is touched and the exception lists every missing, mismatched and unexpected name, which is what one
 * needs to see when a config and a checkpoint disagree.
 */
public final class ParameterCheckpoint {

    private static final int MAX_LISTED = 20;

    private ParameterCheckpoint() {
    }

    /** Writes every parameter's value under its name (atomically), with {@code metadata} (may be empty). */
    public static void save(Path file, List<Parameter> parameters, Map<String, String> metadata) throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Parameter parameter : parameters) {
            if (tensors.put(parameter.name(), parameter.value()) != null) {
                throw new IllegalArgumentException("ParameterCheckpoint.save: two parameters are named "
                        + parameter.name());
            }
        }
        SafeTensors.write(file, tensors, metadata);
    }

    /**
     * Copies each parameter's value from the tensor of the same name in {@code file} and returns the file's
     * metadata. Gradients are left alone.
     */
    public static Map<String, String> load(Path file, List<Parameter> parameters) throws IOException {
        try (SafeTensorsFile opened = SafeTensorsFile.open(file)) {
            List<String> missing = new ArrayList<>();
            List<String> mismatched = new ArrayList<>();
            Set<String> expected = new HashSet<>();
            for (Parameter parameter : parameters) {
                expected.add(parameter.name());
                SafeTensorsFile.Entry entry = opened.entry(parameter.name());
                if (entry == null) {
                    missing.add(parameter.name());
                } else if (!entry.dtype().readableAsFloat()) {
                    mismatched.add(parameter.name() + " has dtype " + entry.dtype() + ", not a floating-point type");
                } else if (!Arrays.equals(opened.tensorShape(entry), parameter.value().shape())) {
                    mismatched.add(parameter.name() + " is " + entry.shapeString() + " in the file but "
                            + parameter.value().shapeString() + " in the model");
                }
            }
            List<String> unexpected = new ArrayList<>();
            for (SafeTensorsFile.Entry entry : opened.entries()) {
                if (!expected.contains(entry.name())) {
                    unexpected.add(entry.name());
                }
            }
            if (!missing.isEmpty() || !mismatched.isEmpty() || !unexpected.isEmpty()) {
                StringBuilder problem = new StringBuilder("does not match the model's parameters; nothing was loaded");
                list(problem, "missing from the file", missing);
                list(problem, "shape mismatch", mismatched);
                list(problem, "in the file but not in the model", unexpected);
                throw new SafeTensorsException(file, problem.toString());
            }
            for (Parameter parameter : parameters) {
                opened.readInto(parameter.name(), parameter.value());
            }
            return opened.metadata();
        }
    }

    private static void list(StringBuilder out, String heading, List<String> items) {
        if (items.isEmpty()) {
            return;
        }
        out.append("\n  ").append(heading).append(" (").append(items.size()).append("): ");
        out.append(String.join(", ", items.subList(0, Math.min(items.size(), MAX_LISTED))));
        if (items.size() > MAX_LISTED) {
            out.append(", ...");
        }
    }
}
