package dev.panamax.engine.optim;

import dev.panamax.engine.nn.Parameter;
import java.lang.foreign.Arena;
import java.util.List;

/**
 * Updates parameters from their gradients, one training step at a time.
 *
 * <p>An optimizer steps one fixed list of parameters: the first {@link #step} (or {@link #importState}) binds it
 * to that list and allocates the per-parameter state (moments, momentum buffers) once, off-heap, in the
 * optimizer's own arena. Later steps must pass the same list, so a step allocates nothing on the Java heap and
 * never looks anything up by name. {@link #close()} frees the state.
 *
 * <p>The state can be exported and imported, keyed by parameter name, so that a run checkpointed after step
 * {@code t} and resumed in a new process takes exactly the same subsequent steps as the uninterrupted run (same
 * step count for bias correction, same learning rate, same moments bit for bit). {@link OptimizerState} turns
 * into safetensors metadata and tensors for the checkpoint file.
 *
 * <p>Optimizers are not thread-safe: one training loop drives one optimizer.
 */
public interface Optimizer extends AutoCloseable {

    /** The name a checkpoint records: "sgd", "adagrad", "adam" or "adamw". */
    String name();

    /**
     * Applies one update to every parameter from its current gradient. The first call binds the optimizer to
     * {@code parameters}; later calls must pass the same parameters in the same order.
     */
    void step(List<Parameter> parameters);

    /** Sets every gradient to zero, ready for the next backward pass. */
    default void zeroGrad(List<Parameter> parameters) {
        for (int i = 0; i < parameters.size(); i++) {
            parameters.get(i).zeroGrad();
        }
    }

    /** The learning rate the next step uses. */
    double learningRate();

    /** Sets the learning rate for the next steps (a schedule calls this before every step); must be >= 0. */
    void setLearningRate(double learningRate);

    /** How many steps have been taken (restored by {@link #importState}); bias correction depends on it. */
    long stepCount();

    /**
     * A copy of the state in {@code arena}: step count, learning rate, the hyper-parameters that shape the
     * update, and one tensor per parameter and kind of state, named {@code <parameter>.<kind>} as in PyTorch
     * ({@code exp_avg}, {@code exp_avg_sq}, {@code momentum_buffer}, {@code sum}).
     */
    OptimizerState exportState(Arena arena);

    /**
     * Replaces the state with {@code state} (exported by an optimizer of the same kind and hyper-parameters, for
     * parameters of the same names and shapes), binding this optimizer to {@code parameters} if no step bound it
     * yet. Nothing changes when the state does not fit; the exception lists every mismatch.
     */
    void importState(List<Parameter> parameters, OptimizerState state);

    /** Frees the off-heap state; the optimizer cannot step afterwards. */
    @Override
    void close();
}
