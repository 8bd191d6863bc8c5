package dev.panamax.models.regression;

import dev.panamax.engine.Backend;
import dev.panamax.engine.Tensor;
import dev.panamax.engine.Transpose;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The loss of a linear model with K outputs, scores {@code S = Z·W + b}, for the iterative solvers: squared error
 * (linear regression), sigmoid cross-entropy (binary logistic regression) or softmax cross-entropy (multinomial).
 *
 * <p>Parameters are one flat vector: W row-major ({@code d × K}), then b ({@code K}). The forward pass
 * {@code Z·W} and the backward pass {@code Zᵀ·∂L/∂S} are engine GEMMs over all rows (or a gathered mini-batch);
 * the per-row loss and its derivative with respect to the scores are plain double arithmetic.
 *
 * <p>The loss is {@code (Σᵢ rowLoss + λ·‖W‖²) / n}: the course's summed loss divided by the row count, which has
 * the same minimizer and makes the learning rate independent of n. A mini-batch of m rows uses
 * {@code Σ rowLoss / m + λ·‖W‖² / n}, an unbiased estimate of it. The bias is not regularized.
 */
final class LinearObjective implements Objective.MiniBatch {

    /** The loss of one row from its K scores; writes ∂loss/∂score to {@code dScores}. */
    interface RowLoss {
        double loss(int row, double[] scores, double[] dScores);
    }

    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;

    private final Backend backend;
    private final DesignMatrix data;
    private final int outputs;
    private final double lambda;
    private final RowLoss rowLoss;
    private final int d;
    private final Tensor weights;
    private final Tensor scores;
    private final Tensor dScores;
    private final Tensor gradient;
    private Tensor batchRows;
    private Tensor batchScores;
    private Tensor batchDScores;

    LinearObjective(Backend backend, DesignMatrix data, int outputs, double lambda, RowLoss rowLoss) {
        this.backend = backend;
        this.data = data;
        this.outputs = outputs;
        this.lambda = lambda;
        this.rowLoss = rowLoss;
        this.d = data.features;
        this.weights = Tensor.zeros(data.arena, d, outputs);
        this.scores = Tensor.zeros(data.arena, data.rows, outputs);
        this.dScores = Tensor.zeros(data.arena, data.rows, outputs);
        this.gradient = Tensor.zeros(data.arena, d, outputs);
    }

    /** Squared error (t − s)², for linear regression on targets {@code t}. */
    static RowLoss squaredError(double[] t) {
        return (row, s, ds) -> {
            double r = t[row] - s[0];
            ds[0] = -2 * r;
            return r * r;
        };
    }

    /** −[y·log σ(s) + (1−y)·log(1−σ(s))], computed as log(1+eˢ) − y·s without overflow. */
    static RowLoss sigmoidCrossEntropy(int[] labels) {
        return (row, s, ds) -> {
            double z = s[0];
            int y = labels[row];
            ds[0] = sigmoid(z) - y;
            return softplus(z) - y * z;
        };
    }

    /** −log softmax(s)[y], with the maximum subtracted before exponentiating. */
    static RowLoss softmaxCrossEntropy(int[] labels) {
        return (row, s, ds) -> {
            double max = Double.NEGATIVE_INFINITY;
            for (double v : s) {
                max = Math.max(max, v);
            }
            double sum = 0;
            for (int k = 0; k < s.length; k++) {
                ds[k] = Math.exp(s[k] - max);
                sum += ds[k];
            }
            for (int k = 0; k < s.length; k++) {
                ds[k] /= sum;
            }
            ds[labels[row]] -= 1;
            return max + Math.log(sum) - s[labels[row]];
        };
    }

    static double sigmoid(double z) {
        return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
    }

    static double softplus(double z) {
        return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
    }

    /**
     * 1/L for an upper bound L on the Lipschitz constant of the gradient: gradient descent is stable below 2/L.
     * L ≤ c·(1 + mean‖zᵢ‖²), where c bounds the second derivative of the row loss in the score (2 for squared
     * error, 1/4 for the sigmoid, 1/2 for softmax) and the 1 accounts for the bias.
     */
    double stableLearningRate(double curvature) {
        double sum = 0;
        for (double[] row : data.x) {
            double q = 0;
            for (int j = 0; j < d; j++) {
                double v = (row[j] - data.means[j]) / data.scales[j];
                q += v * v;
            }
            sum += q;
        }
        return 1 / (curvature * (1 + sum / data.rows) + 2 * lambda / data.rows);
    }

    @Override
    public int dimension() {
        return (d + 1) * outputs;
    }

    @Override
    public int rows() {
        return data.rows;
    }

    @Override
    public double evaluate(double[] theta, double[] grad) {
        return evaluate(data.z, null, 0, data.rows, scores, dScores, theta, grad);
    }

    @Override
    public double evaluate(int[] order, int from, int to, double[] theta, double[] grad) {
        int m = to - from;
        if (batchRows == null || batchRows.dim(0) < m) {
            batchRows = Tensor.zeros(data.arena, m, d);
            batchScores = Tensor.zeros(data.arena, m, outputs);
            batchDScores = Tensor.zeros(data.arena, m, outputs);
        }
        MemorySegment src = data.z.segment();
        MemorySegment dst = batchRows.segment();
        long rowBytes = (long) d * Float.BYTES;
        for (int i = 0; i < m; i++) {
            MemorySegment.copy(src, order[from + i] * rowBytes, dst, i * rowBytes, rowBytes);
        }
        return evaluate(batchRows, order, from, m, batchScores, batchDScores, theta, grad);
    }

    /** Rows of {@code z} are data rows {@code order[from + i]} (or {@code i} when order is null). */
    private double evaluate(Tensor z, int[] order, int from, int m, Tensor s, Tensor ds, double[] theta,
                            double[] grad) {
        MemorySegment w = weights.segment();
        for (int i = 0; i < d * outputs; i++) {
            w.setAtIndex(FLOAT, i, (float) theta[i]);
        }
        backend.gemm(Transpose.N, Transpose.N, m, outputs, d, 1f, z, 0, d, weights, 0, outputs, 0f, s, 0,
                outputs);
        MemorySegment sSeg = s.segment();
        MemorySegment dsSeg = ds.segment();
        double[] rowScores = new double[outputs];
        double[] rowD = new double[outputs];
        double[] biasGrad = new double[outputs];
        int biasAt = d * outputs;
        double total = 0;
        for (int i = 0; i < m; i++) {
            int row = order == null ? i : order[from + i];
            for (int k = 0; k < outputs; k++) {
                rowScores[k] = sSeg.getAtIndex(FLOAT, (long) i * outputs + k) + theta[biasAt + k];
            }
            total += rowLoss.loss(row, rowScores, rowD);
            for (int k = 0; k < outputs; k++) {
                dsSeg.setAtIndex(FLOAT, (long) i * outputs + k, (float) rowD[k]);
                biasGrad[k] += rowD[k];
            }
        }
        backend.gemm(Transpose.T, Transpose.N, d, outputs, m, 1f, z, 0, d, ds, 0, outputs, 0f, gradient, 0,
                outputs);
        MemorySegment gSeg = gradient.segment();
        double penalty = 0;
        int n = data.rows;
        for (int i = 0; i < d * outputs; i++) {
            penalty += theta[i] * theta[i];
            grad[i] = gSeg.getAtIndex(FLOAT, i) / m + 2 * lambda * theta[i] / n;
        }
        for (int k = 0; k < outputs; k++) {
            grad[biasAt + k] = biasGrad[k] / m;
        }
        return total / m + lambda * penalty / n;
    }
}
