package dev.panamax.engine.autograd;

import dev.panamax.engine.Backend;
import dev.panamax.engine.StepMemory;
import dev.panamax.engine.Tensor;
import dev.panamax.engine.nn.Parameter;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;

/**
 * Reverse-mode autograd for one training step. Operations (in {@code LinearOps}, {@code ActivationOps}, ...) run
 * their forward kernel at once and record the backward rule here; {@link #backward} replays the rules in reverse
 * order, each accumulating into its inputs' gradients.
 *
 * <p>Everything the step creates (activations, their gradients, saved statistics) lives in the tape's own
 * arena, freed by {@link #close()}: a step allocates off-heap memory once and releases it all at the end.
 * Parameters enter through {@link #param}, whose gradient is the parameter's long-lived one.
 *
 * <p>A training loop passes a {@link StepMemory} ({@code new Tape(backend, memory)}), so that each step reuses the
 * memory of the one before and outputs that a kernel overwrites ({@link #allocateUninitialized}) skip the
 * zeroing; without one, every step allocates fresh zeroed memory.
 *
 * <pre>
 * try (Tape tape = new Tape(backend)) {
 *     Var loss = LossOps.crossEntropy(tape, model.forward(tape, tokens), targets, -1);
 *     tape.backward(loss);            // parameter gradients are now filled
 * }                                   // activations freed
 * </pre>
 */
public final class Tape implements AutoCloseable {

    private final Backend backend;
    private final Arena arena;
    private final List<BackwardRule> backwardRules = new ArrayList<>();
    private boolean backwardDone;
    private boolean closed;

    /** A tape whose step allocates fresh (zeroed) off-heap memory. */
    public Tape(Backend backend) {
        this(backend, null);
    }

    /** A tape whose step takes its memory from {@code memory} (null: fresh memory, as {@link #Tape(Backend)}). */
    public Tape(Backend backend, StepMemory memory) {
        if (backend == null) {
            throw new IllegalArgumentException("Tape: backend is null");
        }
        this.backend = backend;
        this.arena = memory == null ? Arena.ofShared() : memory.openStep();
    }

    public Backend backend() {
        return backend;
    }

    /** A tensor of zeros in this step's arena. */
    public Tensor allocate(int... shape) {
        requireOpen("allocate");
        return Tensor.zeros(arena, shape);
    }

    /**
     * A tensor in this step's arena whose contents are unspecified (zeros without a {@link StepMemory}): for an
     * operation's output or scratch buffer that its kernel overwrites entirely, never for one it accumulates into.
     */
    public Tensor allocateUninitialized(int... shape) {
        requireOpen("allocateUninitialized");
        return Tensor.uninitialized(arena, shape);
    }

    /** An input that needs no gradient (data, targets, masks). */
    public Var constant(Tensor value) {
        requireOpen("constant");
        value.requireAlive("Tape.constant");
        return new Var(this, value, null, false);
    }

    /** A parameter: its gradient accumulates into {@link Parameter#grad()}. */
    public Var param(Parameter parameter) {
        requireOpen("param");
        return new Var(this, parameter.value(), parameter.grad(), true);
    }

    /** The output of an operation: a fresh tensor in this step, needing a gradient if any input does. */
    Var output(Tensor value, Var... inputs) {
        boolean requiresGrad = false;
        for (Var input : inputs) {
            requireSameTape(input);
            requiresGrad |= input.requiresGrad();
        }
        return new Var(this, value, null, requiresGrad);
    }

    /** Records the backward rule of an operation whose output is {@code out}; skipped when nothing needs it. */
    void onBackward(Var out, Runnable rule) {
        requireOpen("record");
        if (out.requiresGrad()) {
            backwardRules.add(new BackwardRule(out, rule));
        }
    }

    void requireSameTape(Var v) {
        if (v == null) {
            throw new IllegalArgumentException("autograd: an input Var is null");
        }
        if (v.tape() != this) {
            throw new IllegalArgumentException("autograd: " + v + " belongs to another step's tape"
                    + (v.tape().closed ? " (already closed)" : ""));
        }
        v.value().requireAlive("autograd");
    }

    /**
     * Seeds d(loss)/d(loss) = 1 and runs every recorded backward rule in reverse. {@code loss} must be a scalar
     * produced on this tape; backward runs once per tape.
     */
    public void backward(Var loss) {
        requireOpen("backward");
        requireSameTape(loss);
        if (loss.value().size() != 1) {
            throw new IllegalArgumentException("backward: the loss must be a scalar, got " + loss.value().shapeString());
        }
        if (!loss.requiresGrad()) {
            throw new IllegalStateException("backward: the loss does not depend on any parameter, so there is "
                    + "nothing to differentiate (was it computed from constants only?)");
        }
        if (backwardDone) {
            throw new IllegalStateException("backward: already ran on this tape; record a new step");
        }
        backwardDone = true;
        loss.gradForAccumulation().fill(1f);
        for (int i = backwardRules.size() - 1; i >= 0; i--) {
            BackwardRule step = backwardRules.get(i);
            if (step.output().grad() != null) {      // outputs that do not reach the loss get no gradient
                step.rule().run();
            }
        }
    }

    private record BackwardRule(Var output, Runnable rule) {
    }

    private void requireOpen(String op) {
        if (closed) {
            throw new IllegalStateException("Tape." + op + ": this step's tape is closed; its values are freed");
        }
    }

    /** Frees every activation and gradient of this step. Parameters and their gradients are untouched. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            backwardRules.clear();
            arena.close();
        }
    }
}
