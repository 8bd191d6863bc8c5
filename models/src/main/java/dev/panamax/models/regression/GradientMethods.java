package dev.panamax.models.regression;

import java.util.SplittableRandom;

/**
 * The course's first-order solvers, over any {@link Objective}: full-batch gradient descent with a fixed learning
 * rate, Adagrad, and mini-batch SGD. They update {@code theta} in place.
 *
 * <p>Convergence test: the gradient norm falls to {@code tolerance} times the starting gradient norm (or below
 * {@code tolerance} when the start is already flat). The gradients come from float32 GEMMs, so a tolerance much
 * below 1e-6 asks for more than the arithmetic resolves; the closed form and L-BFGS are the exact solvers.
 */
final class GradientMethods {

    /** Adagrad's guard against dividing by zero before a parameter has seen a gradient. */
    static final double ADAGRAD_EPSILON = 1e-8;

    private GradientMethods() {
    }

    /** θ ← θ − η·∇L(θ). */
    static SolverReport gradientDescent(Objective f, double[] theta, double learningRate, int maxIterations,
                                        double tolerance, LossMonitor monitor) {
        double[] g = new double[f.dimension()];
        monitor.record(0, f.evaluate(theta, g), theta);
        double threshold = tolerance * Math.max(1, norm(g));
        int it = 0;
        while (norm(g) > threshold && it < maxIterations) {
            for (int i = 0; i < theta.length; i++) {
                theta[i] -= learningRate * g[i];
            }
            it++;
            monitor.record(it, f.evaluate(theta, g), theta);
        }
        return monitor.report(it, norm(g) <= threshold, "raise the iteration limit or the learning rate");
    }

    /**
     * Adagrad as in the course: each parameter's step is the learning rate divided by the root of the sum of its
     * past squared gradients, θᵢ ← θᵢ − η·gᵢ / √(Σ gᵢ²). Steep directions slow down, flat ones keep moving.
     */
    static SolverReport adagrad(Objective f, double[] theta, double learningRate, int maxIterations,
                                double tolerance, LossMonitor monitor) {
        double[] g = new double[f.dimension()];
        double[] sumSquares = new double[theta.length];
        monitor.record(0, f.evaluate(theta, g), theta);
        double threshold = tolerance * Math.max(1, norm(g));
        int it = 0;
        while (norm(g) > threshold && it < maxIterations) {
            for (int i = 0; i < theta.length; i++) {
                sumSquares[i] += g[i] * g[i];
                theta[i] -= learningRate * g[i] / (Math.sqrt(sumSquares[i]) + ADAGRAD_EPSILON);
            }
            it++;
            monitor.record(it, f.evaluate(theta, g), theta);
        }
        return monitor.report(it, norm(g) <= threshold, "raise the iteration limit or the learning rate");
    }

    /**
     * Mini-batch SGD with a fixed learning rate: each epoch shuffles the rows (seeded) and takes one step per
     * batch. The loss is recorded once per epoch, on all rows; an iteration is an epoch.
     */
    static SolverReport sgd(Objective.MiniBatch f, double[] theta, double learningRate, int epochs, int batchSize,
                            long seed, double tolerance, LossMonitor monitor) {
        int rows = f.rows();
        int[] order = new int[rows];
        for (int i = 0; i < rows; i++) {
            order[i] = i;
        }
        SplittableRandom random = new SplittableRandom(seed);
        double[] g = new double[f.dimension()];
        monitor.record(0, f.evaluate(theta, g), theta);
        double threshold = tolerance * Math.max(1, norm(g));
        int epoch = 0;
        while (norm(g) > threshold && epoch < epochs) {
            for (int i = rows - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            epoch++;
            for (int from = 0; from < rows; from += batchSize) {
                double batchLoss = f.evaluate(order, from, Math.min(rows, from + batchSize), theta, g);
                if (!Double.isFinite(batchLoss)) {
                    monitor.record(epoch, batchLoss, theta);       // throws: diverged
                }
                for (int i = 0; i < theta.length; i++) {
                    theta[i] -= learningRate * g[i];
                }
            }
            monitor.record(epoch, f.evaluate(theta, g), theta);
        }
        return monitor.report(epoch, norm(g) <= threshold,
                "SGD with a fixed learning rate ends in a noise ball around the optimum; raise the epochs, lower "
                        + "the learning rate, or use the closed form for the exact optimum");
    }

    static double norm(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x * x;
        }
        return Math.sqrt(s);
    }
}
