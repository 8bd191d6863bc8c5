package dev.panamax.models.regression;

/** Called by iterative solvers after each iteration (each epoch for SGD); a command prints some of these. */
@FunctionalInterface
public interface ProgressListener {

    ProgressListener NONE = (iteration, maxIterations, loss) -> { };

    void onIteration(int iteration, int maxIterations, double loss);
}
