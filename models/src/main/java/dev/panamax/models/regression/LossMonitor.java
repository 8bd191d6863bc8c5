package dev.panamax.models.regression;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.DoubleSupplier;

/**
 * Records the loss of an iterative solver, reports progress, and stops a diverging run with a
 * {@link DivergenceException} that names the learning rate, instead of letting NaN reach the coefficients.
 *
 * <p>Divergence means a non-finite loss, or a loss {@value #BLOW_UP}× above the starting one. Gradient descent
 * with a step past 2/L grows geometrically, so it crosses that line within a few dozen iterations; a solver
 * that is merely slow never does.
 */
final class LossMonitor {

    static final double BLOW_UP = 1e4;

    private final String solver;
    private final double learningRate;
    private final int maxIterations;
    private final double lossScale;
    private final ProgressListener progress;
    private DoubleSupplier stableRate = () -> Double.NaN;
    private boolean standardized = true;
    private final List<Double> losses = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();

    /**
     * {@code lossScale} converts the objective's internal units to the reported ones (the target's variance when
     * the solver works on a standardized target). {@code learningRate} is NaN for solvers without one.
     */
    LossMonitor(String solver, double learningRate, int maxIterations, double lossScale, ProgressListener progress) {
        this.solver = solver;
        this.learningRate = learningRate;
        this.maxIterations = maxIterations;
        this.lossScale = lossScale;
        this.progress = progress == null ? ProgressListener.NONE : progress;
    }

    /**
     * What the divergence message suggests: a learning rate that is stable for this data (for gradient descent on
     * a loss whose gradient is L-Lipschitz, anything below 2/L; the caller passes 1/L), and whether standardizing
     * the features would help. The rate is only computed (a pass over the data) if the run diverges.
     */
    LossMonitor advice(DoubleSupplier stableRate, boolean standardized) {
        this.stableRate = stableRate;
        this.standardized = standardized;
        return this;
    }

    /** Records the loss after iteration {@code iteration} (0 = the start); throws if the run diverged. */
    void record(int iteration, double loss, double[] theta) {
        boolean finite = Double.isFinite(loss);
        for (int i = 0; finite && i < theta.length; i++) {
            finite = Double.isFinite(theta[i]);
        }
        double start = losses.isEmpty() ? loss : losses.getFirst() / lossScale;
        if (!finite || (iteration > 0 && loss > BLOW_UP * start && start > 0)) {
            String what = finite ? String.format(Locale.ROOT, "the loss grew from %.4g to %.4g", start * lossScale,
                    loss * lossScale) : "the loss or the parameters became " + (Double.isNaN(loss) ? "NaN" : "infinite");
            throw diverged("diverged at iteration " + iteration + ": " + what);
        }
        losses.add(loss * lossScale);
        if (iteration > 0) {
            progress.onIteration(iteration, maxIterations, loss * lossScale);
        }
    }

    /** The divergence error, with a learning rate that would be stable. */
    private DivergenceException diverged(String what) {
        String advice = "";
        if (!Double.isNaN(learningRate)) {
            double stable = stableRate.getAsDouble();
            double suggestion = Double.isNaN(stable) ? learningRate / 10 : Math.min(stable, learningRate / 2);
            advice = "; the learning rate " + format(learningRate) + " is too large for this data: try "
                    + format(suggestion) + " or less" + (standardized ? "" : ", or standardize the features");
        }
        return new DivergenceException(solver + " " + what + advice);
    }

    void warn(String warning) {
        warnings.add(warning);
    }

    /**
     * The report; warns when the run ended without converging or above its starting loss. Ending at more than
     * twice the starting loss is divergence too: a loss with bounded slope (the log-loss) does not blow up under
     * too large a step, it oscillates far above where it started.
     */
    SolverReport report(int iterations, boolean converged, String hint) {
        double[] history = losses.stream().mapToDouble(Double::doubleValue).toArray();
        if (history.length > 1 && history[history.length - 1] > 2 * history[0]) {
            throw diverged(String.format(Locale.ROOT, "did not converge: after %d iterations the loss is %.4g, "
                    + "more than twice the %.4g it started at", iterations, history[history.length - 1], history[0]));
        }
        if (!converged) {
            warnings.add(solver + " stopped after " + iterations + " iterations without meeting its convergence test"
                    + (hint.isEmpty() ? "" : "; " + hint));
        }
        if (history.length > 1 && history[history.length - 1] > history[0]) {
            warnings.add(String.format(Locale.ROOT, "%s ended with a higher loss (%.4g) than it started with (%.4g)%s", solver,
                    history[history.length - 1], history[0],
                    Double.isNaN(learningRate) ? "" : "; the learning rate " + format(learningRate)
                            + " is probably too large"));
        }
        return new SolverReport(solver, iterations, converged, history, warnings);
    }

    /** A number with 3 significant digits and no trailing zeros: 0.1, 250, 1e-05. */
    static String format(double value) {
        String s = String.format(Locale.ROOT, "%.3g", value);
        int e = s.indexOf('e');
        String mantissa = e >= 0 ? s.substring(0, e) : s;
        if (mantissa.contains(".")) {
            mantissa = mantissa.replaceAll("0+$", "").replaceAll("\\.$", "");
        }
        return mantissa + (e >= 0 ? s.substring(e) : "");
    }
}
