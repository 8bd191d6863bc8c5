package dev.panamax.engine.nn;

import java.util.List;

/**
 * Something with named trainable parameters. The names are dotted paths ({@code h.0.mlp.c_fc.weight}), unique
 * within a model, so a safetensors checkpoint can key every tensor by name.
 */
public interface Module {

    /** The parameters in a fixed order (registration order), with their full names. */
    List<Parameter> parameters();

    /** The total number of trainable values. */
    default long parameterCount() {
        long n = 0;
        for (Parameter p : parameters()) {
            n += p.value().size();
        }
        return n;
    }

    /** Zeros every parameter's gradient. */
    default void zeroGrad() {
        for (Parameter p : parameters()) {
            p.zeroGrad();
        }
    }
}
