package dev.panamax.engine.optim;

import dev.panamax.engine.Tensor;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything an {@link Optimizer} needs to continue a run exactly: which optimizer, how many steps were taken,
 * the current learning rate, the hyper-parameters of its update formula, and its per-parameter tensors.
 *
 * <p>It maps one-to-one onto a safetensors file: {@link #metadata()} gives the string map for the header's
 * {@code __metadata__} and {@link #tensors()} the tensors, and {@link #fromMetadata} reads them back. Numbers are
 * written with {@link Double#toString}, which round-trips every double exactly.
 *
 * @param optimizer       the optimizer's {@link Optimizer#name()}
 * @param step            steps taken so far
 * @param learningRate    the learning rate at export time
 * @param hyperParameters formula constants (betas, eps, weight decay, momentum, ...), as strings
 * @param tensors         {@code <parameter>.<kind>} to state tensor
 */
public record OptimizerState(String optimizer, long step, double learningRate, Map<String, String> hyperParameters,
                             Map<String, Tensor> tensors) {

    static final String KEY_OPTIMIZER = "optimizer";
    static final String KEY_STEP = "optimizer.step";
    static final String KEY_LR = "optimizer.lr";
    static final String HYPER_PARAMETER_PREFIX = "optimizer.";

    public OptimizerState {
        if (optimizer == null || optimizer.isBlank()) {
            throw new IllegalArgumentException("OptimizerState: the optimizer name is required");
        }
        if (step < 0) {
            throw new IllegalArgumentException("OptimizerState: step must be >= 0, got " + step);
        }
        hyperParameters = Collections.unmodifiableMap(new LinkedHashMap<>(hyperParameters));
        tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
    }

    /** The scalar part as safetensors metadata: {@code optimizer}, {@code optimizer.step}, {@code optimizer.lr}, ... */
    public Map<String, String> metadata() {
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put(KEY_OPTIMIZER, optimizer);
        metadata.put(KEY_STEP, Long.toString(step));
        metadata.put(KEY_LR, Double.toString(learningRate));
        hyperParameters.forEach((name, value) -> metadata.put(HYPER_PARAMETER_PREFIX + name, value));
        return metadata;
    }

    /**
     * The state written as {@link #metadata()} plus {@code tensors}, e.g. as read back from a safetensors file.
     * Metadata keys that do not start with {@code optimizer.} are ignored, so the file may carry other notes.
     */
    public static OptimizerState fromMetadata(Map<String, String> metadata, Map<String, Tensor> tensors) {
        String optimizer = metadata.get(KEY_OPTIMIZER);
        if (optimizer == null) {
            throw new IllegalArgumentException("OptimizerState: the metadata has no \"" + KEY_OPTIMIZER
                    + "\" entry, so it was not written by an optimizer's exportState");
        }
        long step = parseLong(metadata, KEY_STEP);
        double learningRate = parseDouble(metadata, KEY_LR);
        Map<String, String> hyperParameters = new LinkedHashMap<>();
        metadata.forEach((key, value) -> {
            if (key.startsWith(HYPER_PARAMETER_PREFIX) && !key.equals(KEY_STEP) && !key.equals(KEY_LR)) {
                hyperParameters.put(key.substring(HYPER_PARAMETER_PREFIX.length()), value);
            }
        });
        return new OptimizerState(optimizer, step, learningRate, hyperParameters, tensors);
    }

    private static long parseLong(Map<String, String> metadata, String key) {
        String text = required(metadata, key);
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("OptimizerState: metadata \"" + key + "\" is \"" + text
                    + "\", not a whole number");
        }
    }

    private static double parseDouble(Map<String, String> metadata, String key) {
        String text = required(metadata, key);
        try {
            return Double.parseDouble(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("OptimizerState: metadata \"" + key + "\" is \"" + text
                    + "\", not a number");
        }
    }

    private static String required(Map<String, String> metadata, String key) {
        String text = metadata.get(key);
        if (text == null) {
            throw new IllegalArgumentException("OptimizerState: the metadata has no \"" + key + "\" entry");
        }
        return text;
    }
}
