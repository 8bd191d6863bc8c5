package dev.panamax.models.regression;

/**
 * Limited-memory BFGS (Nocedal and Wright, algorithm 7.4) with a backtracking Armijo line search: the exact solver
 * for the convex log-loss. It keeps the last {@value #MEMORY} steps and gradient changes, and its two-loop
 * recursion turns the gradient into a quasi-Newton direction, so it converges superlinearly where gradient
 * descent crawls.
 *
 * <p>It stops when the gradient norm falls below {@code tolerance} times its starting value, or when a step
 * improves the loss by less than {@value #RELATIVE_DECREASE} relative (the loss is then flat to far below 1e-6,
 * and further digits are float32 rounding in the GEMMs).
 */
final class Lbfgs {

    static final int MEMORY = 10;
    static final double RELATIVE_DECREASE = 1e-13;
    private static final double ARMIJO = 1e-4;
    private static final int MAX_BACKTRACKS = 40;

    private Lbfgs() {
    }

    static SolverReport minimize(Objective f, double[] theta, int maxIterations, double tolerance,
                                 LossMonitor monitor) {
        int n = f.dimension();
        double[][] s = new double[MEMORY][n];
        double[][] y = new double[MEMORY][n];
        double[] rho = new double[MEMORY];
        double[] alpha = new double[MEMORY];
        double[] g = new double[n];
        double[] gNew = new double[n];
        double[] direction = new double[n];
        double[] trial = new double[n];
        double loss = f.evaluate(theta, g);
        monitor.record(0, loss, theta);
        double threshold = tolerance * Math.max(1, GradientMethods.norm(g));
        int stored = 0;
        int newest = -1;
        int it = 0;
        boolean converged = GradientMethods.norm(g) <= threshold;
        while (!converged && it < maxIterations) {
            // Two-loop recursion: direction = -H·g.
            System.arraycopy(g, 0, direction, 0, n);
            for (int k = 0; k < stored; k++) {
                int idx = Math.floorMod(newest - k, MEMORY);
                alpha[idx] = rho[idx] * dot(s[idx], direction);
                axpy(-alpha[idx], y[idx], direction);
            }
            double gamma = stored > 0 ? dot(s[newest], y[newest]) / dot(y[newest], y[newest])
                    : 1 / Math.max(1, GradientMethods.norm(g));
            scale(gamma, direction);
            for (int k = stored - 1; k >= 0; k--) {
                int idx = Math.floorMod(newest - k, MEMORY);
                double beta = rho[idx] * dot(y[idx], direction);
                axpy(alpha[idx] - beta, s[idx], direction);
            }
            scale(-1, direction);
            double slope = dot(g, direction);
            if (!(slope < 0)) {                  // not a descent direction (rounding): restart from the gradient
                stored = 0;
                System.arraycopy(g, 0, direction, 0, n);
                scale(-1 / Math.max(1, GradientMethods.norm(g)), direction);
                slope = dot(g, direction);
            }
            double step = 1;
            double newLoss = Double.NaN;
            boolean accepted = false;
            for (int b = 0; b < MAX_BACKTRACKS; b++) {
                for (int i = 0; i < n; i++) {
                    trial[i] = theta[i] + step * direction[i];
                }
                newLoss = f.evaluate(trial, gNew);
                if (Double.isFinite(newLoss) && newLoss <= loss + ARMIJO * step * slope) {
                    accepted = true;
                    break;
                }
                step *= 0.5;
            }
            if (!accepted) {
                // No decrease along a descent direction: the loss is flat to rounding. That is the optimum as far
                // as float32 resolves it, unless the gradient is still large.
                converged = GradientMethods.norm(g) <= Math.sqrt(threshold);
                break;
            }
            it++;
            newest = (newest + 1) % MEMORY;
            for (int i = 0; i < n; i++) {
                s[newest][i] = trial[i] - theta[i];
                y[newest][i] = gNew[i] - g[i];
            }
            double sy = dot(s[newest], y[newest]);
            if (sy > 1e-300) {
                rho[newest] = 1 / sy;
                stored = Math.min(stored + 1, MEMORY);
            } else {                              // curvature not positive: drop this pair (its slot held the oldest)
                newest = Math.floorMod(newest - 1, MEMORY);
                stored = Math.min(stored, MEMORY - 1);
            }
            double decrease = (loss - newLoss) / Math.max(1, Math.max(Math.abs(loss), Math.abs(newLoss)));
            System.arraycopy(trial, 0, theta, 0, n);
            System.arraycopy(gNew, 0, g, 0, n);
            loss = newLoss;
            monitor.record(it, loss, theta);
            converged = GradientMethods.norm(g) <= threshold || decrease <= RELATIVE_DECREASE;
        }
        return monitor.report(it, converged, "raise the iteration limit");
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    private static void axpy(double a, double[] x, double[] y) {
        for (int i = 0; i < x.length; i++) {
            y[i] += a * x[i];
        }
    }

    private static void scale(double a, double[] x) {
        for (int i = 0; i < x.length; i++) {
            x[i] *= a;
        }
    }
}
