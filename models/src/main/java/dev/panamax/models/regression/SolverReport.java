package dev.panamax.models.regression;

import java.util.List;

/**
 * What a fit did: the solver, how many iterations it ran (refinement steps for the closed form), whether it met
 * its convergence test, the training loss after each iteration (index 0 is the starting loss; empty for solvers
 * that do not iterate on the loss), and warnings a user should see (dropped dependent features, no convergence).
 */
public record SolverReport(String solver, int iterations, boolean converged, double[] lossHistory,
                           List<String> warnings) {

    public SolverReport {
        lossHistory = lossHistory.clone();
        warnings = List.copyOf(warnings);
    }

    @Override
    public double[] lossHistory() {
        return lossHistory.clone();
    }

    /** The final training loss, or NaN when the solver recorded none. */
    public double finalLoss() {
        return lossHistory.length == 0 ? Double.NaN : lossHistory[lossHistory.length - 1];
    }
}
