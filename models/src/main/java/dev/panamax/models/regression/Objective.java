package dev.panamax.models.regression;

/**
 * A differentiable loss over a flat parameter vector, as the optimizers see it. The estimators implement it with
 * engine GEMMs (forward X·w, backward Xᵀ·residual) and keep the parameters in double.
 */
interface Objective {

    /** Number of parameters. */
    int dimension();

    /** Returns the loss at {@code theta} and writes its gradient to {@code gradient}. */
    double evaluate(double[] theta, double[] gradient);

    /** An objective whose loss is a mean over rows, so that a mini-batch gives an unbiased gradient (SGD). */
    interface MiniBatch extends Objective {

        int rows();

        /**
         * The loss and gradient on rows {@code order[from..to)} alone, with the same scaling per row as the full
         * objective (mean over the batch, regularization included).
         */
        double evaluate(int[] order, int from, int to, double[] theta, double[] gradient);
    }
}
