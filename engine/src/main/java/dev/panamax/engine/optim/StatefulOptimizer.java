package dev.panamax.engine.optim;

import dev.panamax.engine.Tensor;
import dev.panamax.engine.nn.Parameter;
import dev.panamax.engine.parallel.WorkerPool;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The bookkeeping every optimizer shares, so that each subclass is only its update formula: binding to one list
 * of parameters, the off-heap state (a fixed number of float buffers per parameter, zero at the start, made once
 * in the optimizer's own shared arena), the step count, the learning rate, and state export and import.
 *
 * <p>A step checks the list by identity (same parameter objects, same order), which costs nothing and allocates
 * nothing, then calls {@link #prepareStep} once for the per-step scalars (bias corrections) and
 * {@link #update} once per parameter, or, with a {@link #setWorkerPool worker pool}, once per range of elements
 * that the pool's threads take (the updates are elementwise, so the results are the same bits either way).
 */
abstract class StatefulOptimizer implements Optimizer {

    private final String name;
    private final String[] stateKinds;
    private double learningRate;
    private long steps;
    private Arena arena;
    private Parameter[] bound;
    private MemorySegment[][] state;
    private boolean closed;
    private WorkerPool pool;
    /** Per step: each bound parameter's value and gradient memory, and where its elements start in the whole list. */
    private MemorySegment[] values;
    private MemorySegment[] grads;
    private long[] starts;

    /** Below this many elements in all, a step runs on the calling thread: a hand-off would cost more. */
    private static final long MIN_ELEMENTS_PER_THREAD = 1L << 16;

    /**
     * @param name       the optimizer's name, used in messages and checkpoints
     * @param stateKinds one name per state buffer each parameter needs, in PyTorch's terms (may be empty)
     */
    StatefulOptimizer(String name, double learningRate, String... stateKinds) {
        this.name = name;
        this.learningRate = HyperParameters.learningRate(displayName(name), learningRate);
        this.stateKinds = stateKinds.clone();
    }

    /** The constants of the update formula, as exported; an import requires the same values. */
    abstract Map<String, String> hyperParameters();

    /** Computes the scalars of step {@code step} (1 for the first step), before any parameter is updated. */
    abstract void prepareStep(long step);

    /**
     * Updates {@code n} elements of a parameter from its gradient: {@code value}, {@code grad} and {@code state}
     * (its buffers, in {@code stateKinds} order) are the same range of each; {@code parameter} says whether it decays.
     */
    abstract void update(Parameter parameter, MemorySegment value, MemorySegment grad, MemorySegment[] state, long n);

    /**
     * Splits the updates over {@code pool}'s threads (the trainers pass their backend's pool); null runs them on the
     * calling thread, as without a call. The result does not depend on it.
     */
    public final void setWorkerPool(WorkerPool pool) {
        this.pool = pool;
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final void step(List<Parameter> parameters) {
        bind("step", parameters);
        long next = steps + 1;
        prepareStep(next);
        Parameter[] params = bound;
        if (values == null) {                               // once: steps allocate nothing on the calling thread
            values = new MemorySegment[params.length];
            grads = new MemorySegment[params.length];
            starts = new long[params.length + 1];          // parameter i holds elements [starts[i], starts[i + 1])
        }
        MemorySegment[] values = this.values;
        MemorySegment[] grads = this.grads;
        long[] starts = this.starts;
        for (int i = 0; i < params.length; i++) {
            params[i].value().requireAlive("step");
            params[i].grad().requireAlive("step");
            values[i] = params[i].value().segment();
            grads[i] = params[i].grad().segment();
            starts[i + 1] = starts[i] + params[i].value().size();
        }
        if (pool == null || pool.threads() == 1) {
            for (int i = 0; i < params.length; i++) {
                update(params[i], values[i], grads[i], state[i], starts[i + 1] - starts[i]);
            }
        } else {
            pool.runRange(starts[params.length], MIN_ELEMENTS_PER_THREAD, (from, to) -> {
                int i = Arrays.binarySearch(starts, from);
                i = i >= 0 ? i : -i - 2;                     // the parameter whose range holds element `from`
                for (long at = from; at < to; i++) {        // parameters hold >= 1 element: no empty range
                    long end = Math.min(to, starts[i + 1]);
                    updateRange(params[i], values[i], grads[i], state[i], at - starts[i], end - starts[i]);
                    at = end;
                }
            });
        }
        steps = next;
    }

    /** {@link #update} of elements {@code [from, to)} of one parameter. */
    private void updateRange(Parameter parameter, MemorySegment value, MemorySegment grad, MemorySegment[] buffers,
                             long from, long to) {
        long offset = from * Float.BYTES;
        long bytes = (to - from) * Float.BYTES;
        MemorySegment[] slices = new MemorySegment[buffers.length];
        for (int k = 0; k < buffers.length; k++) {
            slices[k] = buffers[k].asSlice(offset, bytes);
        }
        update(parameter, value.asSlice(offset, bytes), grad.asSlice(offset, bytes), slices, to - from);
    }

    @Override
    public final double learningRate() {
        return learningRate;
    }

    @Override
    public final void setLearningRate(double learningRate) {
        this.learningRate = HyperParameters.learningRate(displayName(name), learningRate);
    }

    @Override
    public final long stepCount() {
        return steps;
    }

    @Override
    public final OptimizerState exportState(Arena target) {
        requireOpen("exportState");
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        if (bound != null) {
            for (int i = 0; i < bound.length; i++) {
                Tensor value = bound[i].value();
                for (int k = 0; k < stateKinds.length; k++) {
                    Tensor copy = Tensor.zeros(target, value.shape());
                    MemorySegment.copy(state[i][k], 0, copy.segment(), 0, state[i][k].byteSize());
                    tensors.put(stateName(bound[i], k), copy);
                }
            }
        }
        return new OptimizerState(name, steps, learningRate, hyperParameters(), tensors);
    }

    @Override
    public final void importState(List<Parameter> parameters, OptimizerState imported) {
        requireOpen("importState");
        String who = who("importState");
        if (!imported.optimizer().equals(name)) {
            throw new IllegalArgumentException(who + ": the state was exported by " + imported.optimizer()
                    + ", not " + name);
        }
        if (bound != null) {
            checkSameList("importState", parameters);
        } else {
            checkUniqueNames(who, parameters);
        }
        List<String> problems = new ArrayList<>();
        Map<String, String> mine = hyperParameters();
        Map<String, String> theirs = imported.hyperParameters();
        for (Map.Entry<String, String> entry : mine.entrySet()) {
            String other = theirs.get(entry.getKey());
            if (!entry.getValue().equals(other)) {
                problems.add(entry.getKey() + " is " + other + " in the state but " + entry.getValue()
                        + " in this optimizer");
            }
        }
        for (String key : theirs.keySet()) {
            if (!mine.containsKey(key)) {
                problems.add("the state has " + key + " = " + theirs.get(key) + ", which " + name + " does not use");
            }
        }
        Set<String> expected = new HashSet<>();
        for (Parameter parameter : parameters) {
            for (int k = 0; k < stateKinds.length; k++) {
                String key = stateName(parameter, k);
                expected.add(key);
                Tensor tensor = imported.tensors().get(key);
                if (tensor == null) {
                    problems.add("no tensor " + key);
                } else if (!Arrays.equals(tensor.shape(), parameter.value().shape())) {
                    problems.add(key + " is " + tensor.shapeString() + " but the parameter is "
                            + parameter.value().shapeString());
                }
            }
        }
        for (String key : imported.tensors().keySet()) {
            if (!expected.contains(key)) {
                problems.add("unexpected tensor " + key + " (no such parameter)");
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(who + ": the state does not fit this optimizer and these "
                    + "parameters; construct the optimizer with the checkpoint's hyper-parameters:\n  - "
                    + String.join("\n  - ", problems.subList(0, Math.min(problems.size(), 20)))
                    + (problems.size() > 20 ? "\n  ... and " + (problems.size() - 20) + " more" : ""));
        }
        double lr = HyperParameters.learningRate(who, imported.learningRate());
        bind("importState", parameters);
        for (int i = 0; i < bound.length; i++) {
            for (int k = 0; k < stateKinds.length; k++) {
                Tensor source = imported.tensors().get(stateName(bound[i], k));
                MemorySegment.copy(source.segment(), 0, state[i][k], 0, state[i][k].byteSize());
            }
        }
        steps = imported.step();
        learningRate = lr;
    }

    @Override
    public final void close() {
        if (!closed) {
            closed = true;
            if (arena != null) {
                arena.close();
            }
        }
    }

    /** "AdamW" for messages from the checkpoint name "adamw". */
    static String displayName(String name) {
        return switch (name) {
            case "sgd" -> "SGD";
            case "adagrad" -> "Adagrad";
            case "adam" -> "Adam";
            case "adamw" -> "AdamW";
            default -> name;
        };
    }

    private String stateName(Parameter parameter, int kind) {
        return parameter.name() + "." + stateKinds[kind];
    }

    private void requireOpen(String op) {
        if (closed) {
            throw new IllegalStateException(who(op) + ": this optimizer was closed");
        }
    }

    /** "AdamW.step", for messages. */
    private String who(String op) {
        return displayName(name) + "." + op;
    }

    /** Binds to {@code parameters} on first use (allocating the state); afterwards checks it is the same list. */
    private void bind(String op, List<Parameter> parameters) {
        requireOpen(op);
        if (bound != null) {
            checkSameList(op, parameters);      // allocation-free unless it fails
            return;
        }
        checkUniqueNames(who(op), parameters);
        Parameter[] params = parameters.toArray(new Parameter[0]);
        Arena newArena = Arena.ofShared();
        MemorySegment[][] buffers = new MemorySegment[params.length][stateKinds.length];
        for (int i = 0; i < params.length; i++) {
            long bytes = params[i].value().size() * Float.BYTES;
            for (int k = 0; k < stateKinds.length; k++) {
                buffers[i][k] = newArena.allocate(bytes, Tensor.ALIGNMENT);   // zero-filled
            }
        }
        arena = newArena;
        state = buffers;
        bound = params;
    }

    private void checkSameList(String op, List<Parameter> parameters) {
        if (parameters.size() != bound.length) {
            throw new IllegalArgumentException(who(op) + ": got " + parameters.size() + " parameters, but this "
                    + "optimizer steps the " + bound.length + " it was first given; use one optimizer per list");
        }
        for (int i = 0; i < bound.length; i++) {
            if (parameters.get(i) != bound[i]) {
                throw new IllegalArgumentException(who(op) + ": parameter " + i + " is " + parameters.get(i)
                        + ", but this optimizer was first given " + bound[i] + " there; pass the same list, in "
                        + "the same order, at every step");
            }
        }
    }

    private static void checkUniqueNames(String who, List<Parameter> parameters) {
        if (parameters == null || parameters.isEmpty()) {
            throw new IllegalArgumentException(who + ": no parameters to optimize");
        }
        Set<String> names = new HashSet<>();
        for (Parameter parameter : parameters) {
            if (parameter == null) {
                throw new IllegalArgumentException(who + ": the parameter list contains null");
            }
            if (!names.add(parameter.name())) {
                throw new IllegalArgumentException(who + ": two parameters are named " + parameter.name()
                        + "; the optimizer state is keyed by name, so names must be unique");
            }
        }
    }
}
